// What every DatabasePool driver does the same way, whatever its engine: reading batched client output,
// shaping the isolation self-test's report, and streaming dumps and restores through the ServerChannel.
import { WarrenError } from '../errors.js';
import type { DatabaseCredentials, IsolationReport, ServerChannel } from './database-pool.js';

export interface BatchResult {
  exitCode: number;
  output: string;
}

/** Splits the output of a batch script that prints `@@wn-check <exit code>` after each command's output. */
export function parseBatch(output: string): BatchResult[] {
  const out: BatchResult[] = [];
  let buf: string[] = [];
  for (const line of output.split('\n')) {
    const m = /^@@wn-check (\d+)$/.exec(line);
    if (m) {
      out.push({ exitCode: Number(m[1]), output: buf.join('\n') });
      buf = [];
    } else buf.push(line);
  }
  return out;
}

/** The clients print one JSON value on its own line; warnings, if any, come on other lines. */
export function parseJsonLine<T>(output: string, client = 'the client'): T {
  const line = output.split('\n').find((l) => l.startsWith('{') || l.startsWith('['));
  if (line === undefined) throw new Error(`${client} gave no JSON: ${output.trim().slice(0, 300)}`);
  return JSON.parse(line) as T;
}

/** `16.4 (Debian 16.4-1.pgdg120+2)` → `16.4`; `10.11.6-MariaDB-0+deb12u1` → `10.11.6`. */
export function shortVersion(version: string): string {
  return /^\d+(?:\.\d+)*/.exec(version.trim())?.[0] ?? version.trim();
}

export interface IsolationProbe {
  /** Run in the app's own database; its last output line must be `expect`. */
  own: { sql: string; expect: string };
  /** Databases the app's user must be refused. */
  foreign: string[];
  /** Statements run in its own database that must be denied, with the check's name. */
  denials: (readonly [name: string, sql: string])[];
}

export interface IsolationWording {
  refused(output: string): boolean;
  refusedMessage: string;
  denied(output: string): boolean;
  deniedMessage: string;
  firstError(output: string): string;
}

/** The (database, statement) pairs of a probe, in the order {@link isolationReport} reads their results. */
export function isolationChecks(creds: DatabaseCredentials, p: IsolationProbe): [database: string, sql: string][] {
  return [[creds.database, p.own.sql], ...p.foreign.map((db): [string, string] => [db, 'SELECT 1']), ...p.denials.map(([, sql]): [string, string] => [creds.database, sql])];
}

export function isolationReport(creds: DatabaseCredentials, p: IsolationProbe, results: BatchResult[], w: IsolationWording): IsolationReport {
  const [own, ...rest] = results;
  // Compared exactly, not trimmed: a name may begin with a space.
  const checks: IsolationReport['checks'] = [{
    name: 'own database',
    ok: own!.exitCode === 0 && (own!.output === p.own.expect || own!.output.endsWith(`\n${p.own.expect}`)),
    message: own!.exitCode === 0 ? `${creds.user} connects to its database over TCP with its password` : w.firstError(own!.output),
  }];
  p.foreign.forEach((db, i) => {
    const r = rest[i]!;
    const refused = r.exitCode !== 0 && w.refused(r.output);
    checks.push({ name: `no access to ${db}`, ok: refused, message: refused ? w.refusedMessage : r.exitCode === 0 ? 'connected' : w.firstError(r.output) });
  });
  p.denials.forEach(([name], i) => {
    const r = rest[p.foreign.length + i]!;
    const denied = r.exitCode !== 0 && w.denied(r.output);
    checks.push({ name, ok: denied, message: denied ? w.deniedMessage : r.exitCode === 0 ? 'allowed' : w.firstError(r.output) });
  });
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * A dump command's standard output as it comes, for a channel that streams; the command's failure (exit
 * code, first error line of its stderr) is thrown after the last chunk, so a reader never takes a cut
 * dump for a whole one.
 */
export async function streamedDump(channel: ServerChannel, cmd: string[], what: string, firstError: (s: string) => string, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
  const x = await channel.stream!(cmd, signal ? { signal } : {});
  const out = x.stdout[Symbol.asyncIterator]();
  let done = false;
  // An object rather than a generator: a reader that gives up before its first read (the restore
  // could not start) still closes the exec stream, so the dump is not left running on the server.
  const it: AsyncIterableIterator<Uint8Array> = {
    async next() {
      if (done) return { done: true, value: undefined };
      const r = await out.next();
      if (!r.done) return r;
      done = true;
      const w = await x.wait();
      if (w.exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `${what} failed: ${firstError(w.stderr)}`);
      return { done: true, value: undefined };
    },
    async return() {
      if (!done) {
        done = true;
        await out.return?.();
      }
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return it;
}

/** Feeds `data` to a restore command's standard input as it comes; fails with the first error line. */
export async function streamedRestore(channel: ServerChannel, cmd: string[], data: AsyncIterable<Uint8Array>, what: string, firstError: (s: string) => string, signal?: AbortSignal): Promise<void> {
  let x;
  try {
    x = await channel.stream!(cmd, { stdin: data, ...(signal ? { signal } : {}) });
  } catch (e) {
    // The input is not going to be read: close it (a dump being copied stops on its server).
    await Promise.resolve(data[Symbol.asyncIterator]().return?.()).catch(() => undefined);
    throw e;
  }
  const r = await x.wait();
  if (r.exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `${what} failed: ${firstError(r.stderr)}`);
}
