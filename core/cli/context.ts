// What every CLI command gets: a client for a running hub's REST API, output that honours --json,
// and one way to fail (a one-line reason on stderr, a non-zero exit).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDataDir } from '../config.js';
import { describeError, WarrenError } from '../errors.js';

export interface CliContext {
  /** Calls the hub's REST API (`path` with or without the `/api` prefix); throws WarrenError with the hub's code on failure. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /**
   * A raw request for bodies of any size: `body` is streamed up, and the Response is returned once its
   * status is known, for the caller to stream down; a non-2xx answer throws as api() does.
   */
  request(method: string, path: string, init?: { body?: AsyncIterable<Uint8Array>; contentType?: string }): Promise<Response>;
  /** A GET whose text body is handed over chunk by chunk as it arrives, until it ends or `signal` aborts. */
  stream(path: string, onText: (text: string) => void, signal?: AbortSignal): Promise<void>;
  /** Prints `data` as JSON with --json, else what `human` makes of it. */
  print<T>(data: T, human: (data: T) => string): void;
  /** Whether --json was given. */
  json(): boolean;
  fail(err: unknown): never;
  dataDir(): string;
  /** For long work: a progress line on a terminal (nothing with --json or when piped). */
  progress(fraction: number, label: string): void;
}

export interface GlobalOptions {
  json?: boolean;
  hub?: string;
  token?: string;
  dataDir?: string;
}

export function createCliContext(globals: () => GlobalOptions, io: { out: (s: string) => void; err: (s: string) => void; exit: (code: number) => never } = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  exit: (code) => process.exit(code),
}): CliContext {
  const dataDir = () => globals().dataDir ?? defaultDataDir();
  const token = () => {
    const g = globals();
    if (g.token) return g.token;
    if (process.env.WARREN_TOKEN) return process.env.WARREN_TOKEN;
    const file = join(dataDir(), 'cli-token');
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  };
  const hubUrl = () => (globals().hub ?? process.env.WARREN_URL ?? `http://127.0.0.1:${process.env.WARREN_PORT ?? 8420}`).replace(/\/$/, '');
  const ctx: CliContext = {
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const url = `${hubUrl()}${path.startsWith('/api/') ? path : `/api${path}`}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token() ? { authorization: `Bearer ${token()}` } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        throw new WarrenError('WARREN_ERR_NOT_READY', `cannot reach the hub at ${hubUrl()}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`, {
          hint: 'Start it with `warren serve` (or `npm start`), or point to it with --hub URL / WARREN_URL.',
        });
      }
      const text = await res.text();
      let data: unknown;
      try {
        data = text ? JSON.parse(text) : undefined;
      } catch {
        data = text;
      }
      if (!res.ok) {
        const e = (data as { error?: { code?: string; message?: string; hint?: string; details?: { path: string; message: string }[] } })?.error;
        const hint = res.status === 401 && !token() ? 'Create a token on the hub machine with `warren tokens create cli --save`, or set WARREN_TOKEN.' : e?.hint;
        throw new WarrenError((e?.code as never) ?? 'WARREN_ERR_INTERNAL', e?.message ?? `HTTP ${res.status}`, { hint, details: e?.details, status: res.status });
      }
      return data as T;
    },
    async request(method, path, init = {}) {
      const url = `${hubUrl()}${path.startsWith('/api/') ? path : `/api${path}`}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { ...(init.contentType ? { 'content-type': init.contentType } : {}), ...(token() ? { authorization: `Bearer ${token()}` } : {}) },
          // Streamed up as it is read (Node's fetch needs half duplex for a streamed body).
          ...(init.body ? { body: init.body as unknown as BodyInit, duplex: 'half' } : {}),
        } as RequestInit);
      } catch (e) {
        throw new WarrenError('WARREN_ERR_NOT_READY', `cannot reach the hub at ${hubUrl()}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`, {
          hint: 'Start it with `warren serve` (or `npm start`), or point to it with --hub URL / WARREN_URL.',
        });
      }
      if (!res.ok) {
        const e = ((await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string; hint?: string; details?: { path: string; message: string }[] } } | undefined)?.error;
        const hint = res.status === 401 && !token() ? 'Create a token on the hub machine with `warren tokens create cli --save`, or set WARREN_TOKEN.' : e?.hint;
        throw new WarrenError((e?.code as never) ?? 'WARREN_ERR_INTERNAL', e?.message ?? `HTTP ${res.status}`, { hint, details: e?.details, status: res.status });
      }
      return res;
    },
    async stream(path, onText, signal) {
      const url = `${hubUrl()}${path.startsWith('/api/') ? path : `/api${path}`}`;
      let res: Response;
      try {
        res = await fetch(url, { headers: token() ? { authorization: `Bearer ${token()}` } : {}, ...(signal ? { signal } : {}) });
      } catch (e) {
        if (signal?.aborted) return;
        throw new WarrenError('WARREN_ERR_NOT_READY', `cannot reach the hub at ${hubUrl()}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`, {
          hint: 'Start it with `warren serve` (or `npm start`), or point to it with --hub URL / WARREN_URL.',
        });
      }
      if (!res.ok) {
        const e = ((await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string; hint?: string; details?: { path: string; message: string }[] } } | undefined)?.error;
        throw new WarrenError((e?.code as never) ?? 'WARREN_ERR_INTERNAL', e?.message ?? `HTTP ${res.status}`, { hint: e?.hint, details: e?.details, status: res.status });
      }
      const decoder = new TextDecoder();
      try {
        const reader = res.body?.getReader();
        for (let r = await reader?.read(); r && !r.done; r = await reader!.read()) onText(decoder.decode(r.value, { stream: true }));
        onText(decoder.decode());
      } catch (e) {
        if (!signal?.aborted) throw new WarrenError('WARREN_ERR_NOT_READY', `the hub closed the stream: ${(e as Error).message}`);
      }
    },
    print(data, human) {
      io.out(globals().json ? `${JSON.stringify(data, null, 2)}\n` : `${human(data).replace(/\n?$/, '\n')}`);
    },
    json: () => Boolean(globals().json),
    fail(err) {
      const d = describeError(err);
      if (globals().json) io.err(`${JSON.stringify({ error: d })}\n`);
      else {
        io.err(`warren: ${d.message}${d.hint ? ` (${d.hint})` : ''}\n`);
        for (const x of d.details ?? []) io.err(`  ${x.path}: ${x.message}\n`);
      }
      return io.exit(1);
    },
    dataDir,
    progress(fraction, label) {
      if (globals().json || !process.stderr.isTTY) return;
      const width = 30;
      const done = Math.round(Math.max(0, Math.min(1, fraction)) * width);
      process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${Math.round(fraction * 100)}% ${label}`.padEnd(80));
      if (fraction >= 1) process.stderr.write('\n');
    },
  };
  return ctx;
}

/** A plain text table: columns padded to their widest cell. */
export function table(headers: string[], rows: (string | number | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
