// An existing server adopted by URL as a device's shared server, on the real servers of this machine
// (Postgres on 127.0.0.1:5432 from test-env, MariaDB on 127.0.0.1:3306 when there is one): the URL is
// kept encrypted and never shown, apps are provisioned and isolated through a direct connection, dump and
// restore stream, removal leaves nothing, and forgetting the server undoes what adopting closed.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import type { DatabaseEngine } from '../../../../core/providers/database-pool.js';
import { needServices } from '../../../helpers/services.js';
import { poolFixture } from './fixture.js';

const env = needServices(t, 'docker', 'postgres');

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
    s.setTimeout(2000, () => (s.destroy(), resolve(false)));
  });

/** Runs SQL on the adopted server as its admin, straight from this machine. */
function adminSql(engine: DatabaseEngine, sql: string): string {
  return engine === 'postgres'
    ? execFileSync('psql', ['-X', '-At', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-c', sql], { env: { PATH: process.env.PATH!, HOME: '/nonexistent' } }).toString().trim()
    : execFileSync('mariadb', ['-N', '-B', '--protocol=tcp', '-h', '127.0.0.1', '-u', 'root', '-e', sql], { env: { PATH: process.env.PATH!, HOME: '/nonexistent' } }).toString().trim();
}

/** Every database and user these tests could have made, dropped whatever happened. */
function cleanUp(engine: DatabaseEngine): void {
  try {
    if (engine === 'postgres') {
      for (const db of adminSql('postgres', "SELECT datname FROM pg_database WHERE datname LIKE 'wn\\_adopt%' OR datname = 'wn__spare'").split('\n').filter(Boolean)) adminSql('postgres', `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      for (const r of adminSql('postgres', "SELECT rolname FROM pg_roles WHERE rolname LIKE 'wn\\_adopt%'").split('\n').filter(Boolean)) adminSql('postgres', `DROP ROLE IF EXISTS "${r}"`);
    } else {
      for (const db of adminSql('mariadb', "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'wn\\_adopt%'").split('\n').filter(Boolean)) adminSql('mariadb', `DROP DATABASE IF EXISTS \`${db}\``);
      for (const u of adminSql('mariadb', "SELECT user FROM mysql.user WHERE user LIKE 'wn\\_adopt%'").split('\n').filter(Boolean)) adminSql('mariadb', `DROP USER IF EXISTS '${u}'@'%'`);
    }
  } catch {
    // the server went away; nothing of ours can be left on it then
  }
}

if (env) {
  for (const engine of ['postgres', 'mariadb'] as const) {
    t.test(`adopting the ${engine} server of this machine`, async (t) => {
      const port = engine === 'postgres' ? 5432 : 3306;
      if (!(await reachable(port))) {
        t.comment(`skipped: no ${engine} server on 127.0.0.1:${port}`);
        return;
      }
      // Postgres trusts local TCP and takes any password; on MariaDB an admin account with this password is
      // made for the test (root has none). Either way the password must never show.
      const shown = 'never-shown-Pw9';
      cleanUp(engine);
      t.teardown(() => cleanUp(engine));
      if (engine === 'mariadb') adminSql('mariadb', `CREATE USER 'wn_adopt_admin'@'%' IDENTIFIED BY '${shown}'; GRANT ALL PRIVILEGES ON *.* TO 'wn_adopt_admin'@'%' WITH GRANT OPTION`);
      const url = engine === 'postgres' ? `postgres://postgres:${shown}@127.0.0.1:5432/postgres` : `mysql://wn_adopt_admin:${shown}@127.0.0.1:3306`;
      const openBefore = engine === 'postgres' ? adminSql('postgres', "SELECT has_database_privilege('public', 'postgres', 'CONNECT')") : '';
      const f = await poolFixture(t, env);
      const pooling = f.pooling;

      await t.rejects(pooling.adopt(f.device, 'ftp://x@y'), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/url' }] });
      await t.rejects(pooling.adopt('nowhere', url), { code: 'WARREN_ERR_NOT_FOUND' });
      // MariaDB tells a wrong password apart; Postgres under trust does not, so a wrong port stands in.
      await t.rejects(pooling.adopt(f.device, engine === 'postgres' ? 'postgres://postgres@127.0.0.1:1/postgres' : 'mysql://nobody-here:x@127.0.0.1:3306'), { code: 'WARREN_ERR_DATABASE' });
      t.equal((await f.th.hub.store.dbServers.list()).length, 0, 'a failed adoption records nothing');
      const failedOps = (await f.th.hub.store.operations.list({ target: `device:${f.device}` })).filter((o) => o.kind === 'pool.adopt');
      t.equal(failedOps.at(-1)?.state, 'rolled_back', 'the failed adoption was journaled and undone');

      const row = await pooling.adopt(f.device, url);
      t.equal(row.engine, engine);
      t.equal(row.container, null);
      t.match(row.version, /^\d+\.\d+/);
      await t.rejects(pooling.adopt(f.device, url), { code: 'WARREN_ERR_CONFLICT' }, 'one shared server per device and engine');

      const views = await pooling.list();
      t.same(views[0]!.adopted, { host: '127.0.0.1', port, user: engine === 'postgres' ? 'postgres' : 'wn_adopt_admin' });
      t.equal(views[0]!.state, 'running');
      t.notMatch(JSON.stringify(views), shown, 'the admin password is not shown');
      const stored = readdirSync(f.th.dataDir).filter((x) => /\.(db|sqlite)/.test(x)).map((x) => readFileSync(join(f.th.dataDir, x)).toString('latin1')).join('');
      t.ok(stored.length > 0, 'the store was read');
      t.notMatch(stored, shown, 'nor kept in the clear');
      t.notMatch(JSON.stringify(await f.th.hub.store.operations.list()), shown, 'nor written into the journal');

      for (const app of ['adopt-a', 'adopt-b']) await f.addApp(app);
      const a = await pooling.ensureDatabase({ device: f.device, app: 'adopt-a', need: { ref: 'main', engine } });
      const b = await pooling.ensureDatabase({ device: f.device, app: 'adopt-b', need: { ref: 'main', engine } });
      t.equal(a.mode, 'pooled');
      t.equal(a.server, row.id);
      t.equal(a.database.host, '127.0.0.1');
      t.equal(a.database.network, undefined, 'no container network to join');
      t.ok(a.isolation.ok, JSON.stringify(a.isolation.checks));
      t.ok(b.isolation.ok, JSON.stringify(b.isolation.checks));
      t.ok(b.isolation.checks.some((c) => c.name === `no access to ${a.database.database}` && c.ok), 'b is refused by a\'s database');
      t.notOk(b.isolation.checks.some((c) => c.name === 'no access to wn__spare'), 'no spare database is made on a server Warren does not own');

      // Rows written as the app, dumped and restored through the direct connection.
      const asApp = (sql: string) =>
        engine === 'postgres'
          ? execFileSync('psql', ['-X', '-At', '-h', '127.0.0.1', '-U', a.database.user, '-d', a.database.database, '-v', 'ON_ERROR_STOP=1', '-c', sql], { env: { PATH: process.env.PATH!, HOME: '/nonexistent', PGPASSWORD: a.database.password } }).toString().trim()
          : execFileSync('mariadb', ['-N', '-B', '--protocol=tcp', '-h', '127.0.0.1', '-u', a.database.user, a.database.database, '-e', sql], { env: { PATH: process.env.PATH!, HOME: '/nonexistent', MYSQL_PWD: a.database.password } }).toString().trim();
      asApp(engine === 'postgres' ? "CREATE TABLE kept (id int PRIMARY KEY, v text); INSERT INTO kept SELECT g, 'v' || g FROM generate_series(1, 1000) g" : "CREATE TABLE kept (id int PRIMARY KEY, v text); INSERT INTO kept SELECT seq, CONCAT('v', seq) FROM seq_1_to_1000");
      const parts: Buffer[] = [];
      for await (const c of await pooling.dump('adopt-a', 'main')) parts.push(Buffer.from(c));
      t.match(Buffer.concat(parts).toString(), /kept/);
      asApp('DELETE FROM kept');
      await pooling.restore('adopt-a', 'main', (async function* () { yield* parts; })());
      t.equal(asApp('SELECT COUNT(*) FROM kept'), '1000', 'restored');

      await t.rejects(pooling.forget(row.id), { code: 'WARREN_ERR_CONFLICT', message: /still holds adopt-a\/main, adopt-b\/main/ });
      for (const app of ['adopt-a', 'adopt-b']) await pooling.releaseDatabase({ app, ref: 'main' });
      const live = await pooling.pooledServer(f.device, engine);
      for (const r of [a, b]) t.same(await live.pool.exists({ database: r.database.database, user: r.database.user }), { database: false, user: false }, `${r.database.database} left nothing`);
      t.equal((await f.th.hub.store.dbGrants.list()).length, 0);

      await pooling.forget(row.id);
      t.equal((await f.th.hub.store.dbServers.list()).length, 0, 'forgotten');
      t.equal(await f.th.hub.store.secrets.get(row.adminSecretRef!).catch(() => 'gone'), 'gone', 'its URL secret is deleted');
      if (engine === 'postgres') t.equal(adminSql('postgres', "SELECT has_database_privilege('public', 'postgres', 'CONNECT')"), openBefore, 'the maintenance database is as open as it was before adoption');
      t.equal(adminSql(engine, engine === 'postgres' ? "SELECT count(*) FROM pg_database WHERE datname LIKE 'wn\\_%'" : "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE 'wn\\_%'"), '0', 'no database of Warren\'s is left on the server');
    });
  }
}
