// The admin channel to a server container: commands run inside it through the device's ContainerHost,
// so the hub reaches a server on a private network of a remote device without publishing its port.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WarrenError } from '../errors.js';
import type { ContainerHost } from '../providers/container-host.js';
import type { ServerChannel } from '../providers/database-pool.js';

/** Base64 travels in arguments; Linux caps one argument at 128 KiB (MAX_ARG_STRLEN). */
const CHUNK_BYTES = 96 * 1024;

export function containerChannel(host: ContainerHost, project: string, service: string): ServerChannel {
  const exec = async (cmd: string[], signal?: AbortSignal) => {
    if (!host.exec) {
      throw new WarrenError('WARREN_ERR_ENGINE', `the device's container engine provider cannot run commands in containers`, {
        hint: 'Database pools need a ContainerHost with exec (docker-host and podman-host have it).',
      });
    }
    return host.exec(project, service, cmd, signal);
  };
  return {
    exec,
    ...(host.execStream ? { stream: (cmd: string[], opts?: { stdin?: AsyncIterable<Uint8Array>; signal?: AbortSignal }) => host.execStream!(project, service, cmd, opts) } : {}),
    async upload(data, signal) {
      const made = await exec(['mktemp'], signal);
      const file = made.output.trim();
      if (made.exitCode !== 0 || !file.startsWith('/')) throw new WarrenError('WARREN_ERR_DATABASE', `cannot make a temporary file in ${project}: ${file.slice(0, 200)}`);
      const append = async (bytes: Buffer) => {
        // The file name and the data are positional parameters, never parsed by the shell.
        const r = await exec(['sh', '-c', 'printf %s "$1" | base64 -d >>"$0"', file, bytes.toString('base64')], signal);
        if (r.exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `copying data into ${project} failed: ${r.output.trim().slice(0, 200)}`);
      };
      try {
        let pending = Buffer.alloc(0);
        for await (const chunk of data) {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= CHUNK_BYTES) {
            await append(pending.subarray(0, CHUNK_BYTES));
            pending = pending.subarray(CHUNK_BYTES);
          }
        }
        if (pending.length) await append(pending);
      } catch (e) {
        await exec(['rm', '-f', file]).catch(() => {});
        throw e;
      }
      return file;
    },
  };
}

/**
 * The channel of an adopted server: the engine's clients run on the hub itself (they must be installed
 * there: psql/pg_dump, or mariadb/mariadb-dump) and connect to the server over TCP. Commands get a bare
 * environment, so that the hub's own PG... and MYSQL... settings or ~/.pgpass never change where they connect.
 */
export function localChannel(): ServerChannel {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/nonexistent' };
  const start = (cmd: string[], signal?: AbortSignal) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const exited = new Promise<number>((resolve, reject) => {
      child.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'ENOENT' ? new WarrenError('WARREN_ERR_DATABASE', `the hub has no ${cmd[0]} command`, { hint: 'An adopted server is reached with the engine\'s clients on the hub machine (psql and pg_dump, or mariadb and mariadb-dump).' }) : e),
      );
      child.once('close', (code) => resolve(code ?? -1));
    });
    return { child, exited };
  };
  const missing = (code: number, output: string) => code === 127 && /No such file or directory/.test(output)
    ? new WarrenError('WARREN_ERR_DATABASE', `the hub cannot run the database client: ${output.trim().slice(0, 200)}`, { hint: 'An adopted server is reached with the engine\'s clients on the hub machine (psql and pg_dump, or mariadb and mariadb-dump).' })
    : undefined;
  return {
    async exec(cmd, signal) {
      const { child, exited } = start(cmd, signal);
      child.stdin.end();
      const parts: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => parts.push(b));
      child.stderr.on('data', (b: Buffer) => parts.push(b));
      const exitCode = await exited;
      const output = Buffer.concat(parts).toString('utf8');
      const e = missing(exitCode, output);
      if (e) throw e;
      return { exitCode, output };
    },
    async stream(cmd, opts = {}) {
      const { child, exited } = start(cmd, opts.signal);
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => void (stderr.length < 65536 && (stderr += b.toString('utf8'))));
      const fed = opts.stdin ? pipeline(Readable.from(opts.stdin), child.stdin) : Promise.resolve(child.stdin.end());
      fed.catch(() => child.kill());
      let finished = false;
      const stdout = (async function* () {
        try {
          for await (const chunk of child.stdout as AsyncIterable<Buffer>) yield new Uint8Array(chunk);
        } finally {
          finished = true;
          if (!child.stdout.readableEnded) child.kill();
        }
      })();
      return {
        stdout,
        async wait() {
          if (!finished) for await (const _ of stdout) void _;
          const exitCode = await exited;
          await fed;
          const e = missing(exitCode, stderr);
          if (e) throw e;
          return { exitCode, stderr };
        },
      };
    },
    async upload(data, signal) {
      const dir = await mkdtemp(join(tmpdir(), 'warren-upload-'));
      const file = join(dir, 'data');
      await pipeline(Readable.from(data), createWriteStream(file, { mode: 0o600 }), ...(signal ? [{ signal }] : []));
      return file;
    },
  };
}
