// The DatabasePool contract, the same assertions for every driver, against real servers that core
// deploys in containers on the local Docker. Names here bypass core's sanitising on purpose: whatever
// a name holds (quotes, semicolons, backslashes, unicode, reserved words), the driver's quoting keeps it
// one identifier — the database gets exactly that name, nothing else is touched, and it goes away whole.
import fc from 'fast-check';
import t from 'tap';
import type { DatabaseCredentials, DatabaseEngine, DatabasePool } from '../../../core/providers/database-pool.js';
import { needServices } from '../../helpers/services.js';
import { poolFixture } from '../../integration/core/pooling/fixture.js';

const env = needServices(t, 'docker', 'images');

const HOSTILE = ["'", '"', '`', ';', '\\', '--', '/*', ' ', '%', '_', '$', ':', 'é', '☃', '中', 'DROP', 'SELECT', 'USER', 'TABLE', 'a', 'z', '0'];
const LIMITS: Record<DatabaseEngine, { database: number; user: number }> = { postgres: { database: 63, user: 63 }, mariadb: { database: 64, user: 32 } };

/** A name of hostile pieces within the engine's limit (PostgreSQL counts bytes, MariaDB characters). */
const hostileName = (engine: DatabaseEngine, max: number) =>
  fc
    .array(fc.constantFrom(...HOSTILE), { minLength: 1, maxLength: 12 })
    .map((parts) => parts.join(''))
    .filter((s) => (engine === 'postgres' ? Buffer.byteLength(s) <= max : [...s].length <= max))
    // MariaDB refuses names that end in a space (they map to file names).
    .filter((s) => engine !== 'mariadb' || !s.endsWith(' '));

async function exists(pool: DatabasePool, database: string, user: string) {
  return pool.exists({ database, user });
}

if (env) {
  for (const engine of ['postgres', 'mariadb'] as const) {
    t.test(`${engine} driver`, async (t) => {
      const f = await poolFixture(t, env);
      const { pool } = await f.pooling.pooledServer(f.device, engine);
      const sentinel = { database: 'wn_sentinel_main', user: 'wn_sentinel_main' };
      const sentinelCreds = await pool.provision({ app: 'sentinel', ref: 'main', ...sentinel, password: 'sentinel-pw', connectionLimit: 5 });

      t.test('provision is idempotent and converges on the password given', async (t) => {
        const a = await pool.provision({ app: 'idem', ref: 'main', database: 'wn_idem_main', user: 'wn_idem_main', password: 'first', connectionLimit: 3 });
        const b = await pool.provision({ app: 'idem', ref: 'main', database: 'wn_idem_main', user: 'wn_idem_main', password: 'second', connectionLimit: 3 });
        t.equal(a.database, b.database);
        t.notOk((await pool.verifyIsolation(a)).checks.find((c) => c.name === 'own database')!.ok, 'the old password no longer works');
        t.ok((await pool.verifyIsolation(b)).ok);
        const listed = (await pool.listDatabases()).find((d) => d.database === 'wn_idem_main');
        t.equal(listed?.connectionLimit, 3, 'the connection limit is set on the user');
        await pool.deprovision({ database: 'wn_idem_main', user: 'wn_idem_main' });
        await pool.deprovision({ database: 'wn_idem_main', user: 'wn_idem_main' });
        t.same(await exists(pool, 'wn_idem_main', 'wn_idem_main'), { database: false, user: false }, 'deprovision twice is fine and leaves nothing');
      });

      t.test('hostile names and passwords stay inside their quotes', async (t) => {
        await fc.assert(
          fc.asyncProperty(hostileName(engine, LIMITS[engine].database), hostileName(engine, LIMITS[engine].user), fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0')), fc.boolean(), async (database, user, password, spare) => {
            // Half the rounds provision from a spare database made ahead of time (Postgres renames it).
            if (spare && pool.warm) await pool.warm();
            const creds: DatabaseCredentials = await pool.provision({ app: 'hostile', ref: 'main', database, user, password, connectionLimit: 2 });
            try {
              t.same(await exists(pool, database, user), { database: true, user: true }, `created exactly ${JSON.stringify(database)} / ${JSON.stringify(user)}`);
              const names = (await pool.listDatabases()).map((d) => d.database);
              t.ok(names.includes(database), 'listed under its exact name');
              t.ok(names.includes(sentinel.database), 'another app\'s database is untouched');
              t.notOk(names.includes('wn__spare'), 'a spare database is not listed as an app\'s');
              const report = await pool.verifyIsolation(creds);
              t.ok(report.ok, `isolation holds: ${JSON.stringify(report.checks.filter((c) => !c.ok))}`);
            } finally {
              await pool.deprovision({ database, user });
            }
            t.same(await exists(pool, database, user), { database: false, user: false }, 'removed whole');
            t.same(await exists(pool, sentinel.database, sentinel.user), { database: true, user: true });
          }),
          { numRuns: 10 },
        );
        t.ok((await pool.verifyIsolation(sentinelCreds)).ok, 'the sentinel still works after every hostile round');
      });

      t.test('dump and restore keep the rows, owned by the app', async (t) => {
        const src = { database: 'wn_dump_main', user: 'wn_dump_main' };
        const dst = { database: 'wn_restore_main', user: 'wn_restore_main' };
        const c = await pool.provision({ app: 'dump', ref: 'main', ...src, password: 'dump-pw' });
        await pool.provision({ app: 'restore', ref: 'main', ...dst, password: 'restore-pw' });
        const channelSql = engine === 'postgres'
          ? ["CREATE TABLE notes (id serial PRIMARY KEY, body text)", "INSERT INTO notes (body) SELECT 'n' || g || E' \\' quote' FROM generate_series(1, 250) g"]
          : ["CREATE TABLE notes (id int AUTO_INCREMENT PRIMARY KEY, body text, blob_col blob)", "INSERT INTO notes (body, blob_col) SELECT CONCAT('n', seq, ' '' quote'), UNHEX('00FF10') FROM seq_1_to_250"];
        // Rows are written as the app's user, the way an app would.
        const { host } = await f.pooling.pooledServer(f.device, engine);
        for (const sql of channelSql) {
          const cmd = engine === 'postgres'
            ? ['env', `PGPASSWORD=${c.password}`, 'psql', '-X', '-h', '127.0.0.1', '-U', c.user, '-d', c.database, '-v', 'ON_ERROR_STOP=1', '-c', sql]
            : ['env', `MYSQL_PWD=${c.password}`, 'mariadb', '--protocol=tcp', '-h', '127.0.0.1', `--user=${c.user}`, `--database=${c.database}`, '-e', sql];
          const r = await host.exec!(f.pooled(engine), 'server', cmd);
          t.equal(r.exitCode, 0, r.output);
        }
        const before = await pool.rowCounts(src);
        t.equal(Object.values(before)[0], 250);
        await pool.restore(dst, await pool.dump(src));
        t.same(Object.values(await pool.rowCounts(dst)), Object.values(before), 'same row counts after the copy');
        if (engine === 'postgres') {
          const owner = await host.exec!(f.pooled('postgres'), 'server', ['env', 'PGDATABASE=wn_restore_main', 'psql', '-X', '-At', '-U', 'postgres', '-c', "SELECT tableowner FROM pg_tables WHERE tablename = 'notes'"]);
          t.equal(owner.output.trim(), dst.user, 'restored tables belong to the app\'s role');
        }
        for (const x of [src, dst]) await pool.deprovision(x);
      });

      t.test('server info', async (t) => {
        const info = await pool.serverInfo();
        t.equal(info.engine, engine);
        t.match(info.version, /^\d+\.\d+/);
        t.ok(info.connectionsMax > 0 && info.connectionsUsed >= 0);
        t.equal(info.host, f.pooled(engine));
        if (engine === 'postgres') t.ok(info.extensionsAvailable.includes('pg_trgm') || info.extensionsAvailable.length > 0);
      });
    });
  }
}
