// API tokens are made on the hub's machine, straight in its store: whoever can read the data
// directory administers the hub anyway, and this is how the first token is had.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Auth } from '../../auth/auth.js';
import { createLogger } from '../../log.js';
import { openStore } from '../../store/index.js';
import { table, type CliContext } from '../context.js';

async function withStore<T>(cli: CliContext, fn: (auth: Auth, store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir: cli.dataDir(), databaseUrl: process.env.WARREN_DATABASE_URL || undefined });
  try {
    await store.migrate();
    return await fn(new Auth(store, createLogger({ level: 'silent' })), store);
  } finally {
    await store.close();
  }
}

export function register(program: Command, cli: CliContext): void {
  const tokens = program.command('tokens').description('API tokens (stored hashed; shown once)');
  tokens
    .command('create <name>')
    .description('create a token for the first account; --save keeps it for this machine\'s CLI')
    .option('--save', 'write it to <data dir>/cli-token (mode 0600) for later warren commands')
    .action(async (name: string, opts: { save?: boolean }) => {
      try {
        const created = await withStore(cli, async (auth) => auth.createToken((await auth.ownerForCli()).id, name));
        if (opts.save) writeFileSync(join(cli.dataDir(), 'cli-token'), `${created.token}\n`, { mode: 0o600 });
        cli.print(created, (c) => `${c.token}\n(token "${c.name}" created; it is shown only this once${opts.save ? '; saved for this machine\'s CLI' : ''})`);
      } catch (e) {
        cli.fail(e);
      }
    });
  tokens
    .command('list', { isDefault: true })
    .description('list tokens (never their values)')
    .action(async () => {
      try {
        const list = await withStore(cli, (_a, store) => store.apiTokens.list());
        const data = list.map((t) => ({ id: t.id, name: t.name, prefix: t.prefix, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt }));
        cli.print(data, (d) => table(['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED'], d.map((t) => [t.id, t.name, `${t.prefix}…`, new Date(t.createdAt).toISOString(), t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : 'never'])));
      } catch (e) {
        cli.fail(e);
      }
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token by id')
    .action(async (id: string) => {
      try {
        const gone = await withStore(cli, (_a, store) => store.apiTokens.delete(id));
        if (!gone) throw Object.assign(new Error(`no token ${id}`), { code: 'WARREN_ERR_NOT_FOUND' });
        cli.print({ revoked: id }, () => `revoked ${id}`);
      } catch (e) {
        cli.fail(e);
      }
    });
}
