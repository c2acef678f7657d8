// `warren db dump|restore|move <app>`: per-app database work on whichever server holds it.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WarrenError } from '../../errors.js';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

const path = (app: string, ref: string, action: string) => `/api/pools/databases/${encodeURIComponent(app)}/${encodeURIComponent(ref)}/${action}`;

export function register(program: Command, cli: CliContext): void {
  const db = program.command('db').description("An app's database: dump, restore, move between the pool and a dedicated server");
  db.command('dump <app>')
    .description('Write a plain SQL dump of the app\'s database to a file (or stdout), streamed as the server writes it')
    .option('--ref <ref>', 'the database ref of the app', 'main')
    .option('-o, --output <file>', 'file to write; stdout when left out')
    .action(async (app: string, opts: { ref: string; output?: string }) => {
      try {
        const res = await cli.request('GET', path(app, opts.ref, 'dump'));
        const body = Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream<Uint8Array>);
        if (opts.output) {
          const part = `${opts.output}.part`;
          try {
            // Written beside the target and renamed at the end: a dump cut short never looks complete.
            await pipeline(body, createWriteStream(part, { mode: 0o600 }));
            await rename(part, opts.output);
          } catch (e) {
            await rm(part, { force: true });
            throw new WarrenError('WARREN_ERR_DATABASE', `the dump was cut short: ${(e as Error).message}`, { hint: 'The hub log says why; nothing was written to the output file.' });
          }
          const { size } = await stat(opts.output);
          cli.print({ file: opts.output, bytes: size }, (r) => `wrote ${r.bytes} bytes to ${r.file}`);
        } else await pipeline(body, process.stdout);
      } catch (e) {
        cli.fail(e);
      }
    });
  db.command('restore <app> <file>')
    .description("Replace the app's database content with a dump, streamed up from the file (stop the app first)")
    .option('--ref <ref>', 'the database ref of the app', 'main')
    .action(async (app: string, file: string, opts: { ref: string }) => {
      try {
        const { size } = await stat(file).catch((e: Error) => {
          throw new WarrenError('WARREN_ERR_INVALID_INPUT', `cannot read ${file}: ${e.message}`, { details: [{ path: '/file', message: 'must be a readable dump file' }] });
        });
        if (size === 0) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${file} is empty`, { details: [{ path: '/file', message: 'must be a dump made by `warren db dump`' }] });
        const res = await cli.request('POST', path(app, opts.ref, 'restore'), { body: createReadStream(file), contentType: 'application/sql' });
        cli.print((await res.json()) as { restored: boolean; bytes: number }, (r) => `restored ${file} (${r.bytes} bytes) into ${app}/${opts.ref}`);
      } catch (e) {
        cli.fail(e);
      }
    });
  db.command('move <app> <to>')
    .description('Move the app\'s database into the pool or onto a dedicated server (verified by row counts; stop the app first)')
    .option('--ref <ref>', 'the database ref of the app', 'main')
    .action(async (app: string, to: string, opts: { ref: string }) => {
      try {
        const r = await cli.api<{ mode: string; server: string }>('POST', path(app, opts.ref, 'move'), { to });
        cli.print(r, (x) => `${app}/${opts.ref} is now ${x.mode === 'pooled' ? 'in the shared server' : 'on a dedicated server'} (${x.server}); redeploy the app to use it`);
      } catch (e) {
        cli.fail(e);
      }
    });
}
