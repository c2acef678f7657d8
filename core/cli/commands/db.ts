// `warren db dump|restore|move <app>`: per-app database work on whichever server holds it.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

const path = (app: string, ref: string, action: string) => `/api/pools/databases/${encodeURIComponent(app)}/${encodeURIComponent(ref)}/${action}`;

export function register(program: Command, cli: CliContext): void {
  const db = program.command('db').description("An app's database: dump, restore, move between the pool and a dedicated server");
  db.command('dump <app>')
    .description('Write a plain SQL dump of the app\'s database to a file (or stdout)')
    .option('--ref <ref>', 'the database ref of the app', 'main')
    .option('-o, --output <file>', 'file to write; stdout when left out')
    .action(async (app: string, opts: { ref: string; output?: string }) => {
      try {
        const sql = await cli.api<string>('GET', path(app, opts.ref, 'dump'));
        const text = typeof sql === 'string' ? sql : JSON.stringify(sql);
        if (opts.output) {
          await writeFile(opts.output, text, { mode: 0o600 });
          cli.print({ file: opts.output, bytes: Buffer.byteLength(text) }, (r) => `wrote ${r.bytes} bytes to ${r.file}`);
        } else process.stdout.write(text);
      } catch (e) {
        cli.fail(e);
      }
    });
  db.command('restore <app> <file>')
    .description("Replace the app's database content with a dump (stop the app first)")
    .option('--ref <ref>', 'the database ref of the app', 'main')
    .action(async (app: string, file: string, opts: { ref: string }) => {
      try {
        const dumpBase64 = (await readFile(file)).toString('base64');
        cli.print(await cli.api('POST', path(app, opts.ref, 'restore'), { dumpBase64 }), () => `restored ${file} into ${app}/${opts.ref}`);
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
