import t from 'tap';
import { stat } from 'node:fs/promises';
import type { Knex } from 'knex';
import { forEachEngine } from './engines.js';
import { migrations } from '../../../../core/store/migrations.js';

const TABLES = [
  'devices', 'provider_instances', 'metric_samples', 'apps', 'db_servers', 'db_grants', 'operations',
  'secrets', 'users', 'api_tokens', 'sessions', 'setup_tokens', 'events', 'kv',
];

async function tablesPresent(knex: Knex): Promise<string[]> {
  const present: string[] = [];
  for (const table of TABLES) if (await knex.schema.hasTable(table)) present.push(table);
  return present.sort();
}

forEachEngine(t, async (t, env) => {
  const store = await env.open({ migrate: false });
  t.same(await tablesPresent(store.knex), [], 'a fresh database has none of the tables');

  t.same(await store.migrate(), migrations.map((m) => m.name), 'migrate applies every migration');
  t.same(await tablesPresent(store.knex), [...TABLES].sort());
  t.same(await store.migrate(), [], 'a second migrate has nothing to do');

  await store.devices.insert({ id: 'nuc', name: 'nuc', connection: {} });
  t.same(await store.rollbackAll(), [...migrations].reverse().map((m) => m.name), 'rollbackAll undoes every migration');
  t.same(await tablesPresent(store.knex), [], 'down leaves no table behind');

  t.same(await store.migrate(), migrations.map((m) => m.name), 'and up again');
  t.same(await store.devices.list(), [], 'on an empty schema');
  const d = await store.devices.insert({ name: 'pi', connection: {} });
  t.equal((await store.devices.get(d.id))?.name, 'pi');

  t.test('the store knows its engine and says where its data is', async (t) => {
    t.equal(store.engine, env.engine);
    if (env.engine === 'sqlite') t.match(store.location, /warren\.db$/);
    else t.notMatch(store.location, /:[^@/]*@.*\*\*\*/, 'no password in the location');
  });

  if (env.engine === 'sqlite') {
    t.test('a new SQLite database and its WAL are readable by the owner only', async (t) => {
      for (const suffix of ['', '-wal', '-shm']) {
        t.equal((await stat(store.location + suffix)).mode & 0o777, 0o600, `warren.db${suffix}`);
      }
    });

    t.test('SQLite runs in WAL mode with foreign keys enforced', async (t) => {
      const [{ journal_mode }] = await store.knex.raw('PRAGMA journal_mode');
      const [{ foreign_keys }] = await store.knex.raw('PRAGMA foreign_keys');
      t.equal(journal_mode, 'wal');
      t.equal(foreign_keys, 1);
    });
  }

  t.test('a database migrated by a newer Warren is refused with a hint', async (t) => {
    await store.knex('knex_migrations').insert({ name: '9999-from-the-future', batch: 99, migration_time: new Date() });
    await t.rejects(store.migrate(), { code: 'WARREN_ERR_STORE', hint: /newer Warren/ });
    await store.knex('knex_migrations').where({ name: '9999-from-the-future' }).delete();
  });
});

t.test('a Postgres URL that cannot be reached fails at open with a coded error', async (t) => {
  const { openStore } = await import('../../../../core/store/index.js');
  const { SecretBox } = await import('../../../../core/secrets/secret-box.js');
  await t.rejects(
    openStore({ dataDir: '/nonexistent', databaseUrl: 'postgres://nobody:pw@127.0.0.1:1/none', secretBox: SecretBox.fromKey(Buffer.alloc(32)) }),
    { code: 'WARREN_ERR_STORE', message: /cannot open the database at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/, hint: /reachable/ },
  );
  await t.rejects(openStore({ dataDir: '/tmp', databaseUrl: 'mysql://x', secretBox: SecretBox.fromKey(Buffer.alloc(32)) }), { code: 'WARREN_ERR_INVALID_INPUT' });
});
