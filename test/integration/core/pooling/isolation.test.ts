// Two apps on one device share one server container per engine, cannot reach each other's data, and
// leave nothing behind (database, user, secret, grant) when removed. Real servers in Docker containers.
import { execFileSync } from 'node:child_process';
import t from 'tap';
import type { DatabaseEngine } from '../../../../core/providers/database-pool.js';
import { needServices } from '../../../helpers/services.js';
import { poolFixture, type Runtime } from './fixture.js';

const env = needServices(t, 'docker', 'images');
const podman = env && needServices(t, 'podman');

/** Runs the engine's client in the shared server's container as an app would connect (TCP, its password). */
function asApp(runtime: Runtime, project: string, engine: DatabaseEngine, c: { user: string; password: string; database: string }, sql: string): { ok: boolean; out: string } {
  const container = execFileSync(runtime, ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`]).toString().trim();
  const cmd = engine === 'postgres'
    ? ['exec', '-e', `PGPASSWORD=${c.password}`, container, 'psql', '-X', '-At', '-h', '127.0.0.1', '-U', c.user, '-d', c.database, '-v', 'ON_ERROR_STOP=1', '-c', sql]
    : ['exec', '-e', `MYSQL_PWD=${c.password}`, container, 'mariadb', '-N', '-B', '--protocol=tcp', '-h', '127.0.0.1', `--user=${c.user}`, `--database=${c.database}`, '-e', sql];
  try {
    return { ok: true, out: execFileSync(runtime, cmd, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim() };
  } catch (e) {
    return { ok: false, out: String((e as { stderr?: Buffer }).stderr ?? e) };
  }
}

const runtimes: Runtime[] = podman ? ['docker', 'podman'] : ['docker'];

if (env) {
  for (const [runtime, engine] of runtimes.flatMap((r) => (['postgres', 'mariadb'] as const).map((e) => [r, e] as const))) {
    t.test(`${runtime}, ${engine}: two apps share one server and are isolated; removal leaves nothing`, async (t) => {
      const f = await poolFixture(t, env, { runtime });
      await f.addApp('notes');
      await f.addApp('wiki');
      const a = await f.pooling.ensureDatabase({ device: f.device, app: 'notes', need: { ref: 'main', engine } });
      const b = await f.pooling.ensureDatabase({ device: f.device, app: 'wiki', need: { ref: 'main', engine } });
      t.equal(a.mode, 'pooled');
      t.equal(a.server, b.server, 'one server for both apps');
      const containers = execFileSync(runtime, ['ps', '-q', '--filter', `label=warren.pool.namespace=${f.namespace}`]).toString().trim().split('\n');
      t.equal(containers.length, 1, 'one server container on the device');
      t.ok(a.isolation.ok, `self-test passed: ${JSON.stringify(a.isolation.checks)}`);
      t.ok(b.isolation.checks.some((c) => c.name === `no access to ${a.database.database}` && c.ok), 'the second app was tested against the first one');
      t.equal(a.database.host, f.pooled(engine));
      t.equal(a.database.network, f.pooled(engine));
      t.match(a.database.url, engine === 'postgres' ? /^postgres:\/\// : /^mysql:\/\//);
      t.not(a.database.password, b.database.password);

      t.ok(asApp(runtime, f.pooled(engine), engine, a.database, 'CREATE TABLE secrets_of_notes (x int)').ok, 'notes writes its own database');
      t.ok(asApp(runtime, f.pooled(engine), engine, a.database, "INSERT INTO secrets_of_notes VALUES (42)").ok);
      const cross = asApp(runtime, f.pooled(engine), engine, { ...b.database, database: a.database.database }, 'SELECT * FROM secrets_of_notes');
      t.notOk(cross.ok, 'wiki cannot open notes\'s database');
      t.match(cross.out, engine === 'postgres' ? /permission denied for database/ : /Access denied/);
      const wrongPw = asApp(runtime, f.pooled(engine), engine, { ...a.database, password: b.database.password }, 'SELECT 1');
      t.notOk(wrongPw.ok, 'a password is bound to its user');

      const again = await f.pooling.ensureDatabase({ device: f.device, app: 'notes', need: { ref: 'main', engine } });
      t.same(again.database, a.database, 'idempotent: same database, user and password');

      const savings = await f.pooling.savings();
      const mine = savings.servers.find((s) => s.server === a.server)!;
      t.equal(mine.apps, 2);
      t.equal(mine.basis, 'measured', 'the shared server\'s memory and its empty baseline both come from container stats');
      t.ok(mine.baselineBytes! > 0 && mine.sharedBytes! > 0);
      t.equal(mine.savedBytes, Math.max(0, 2 * mine.baselineBytes! - mine.sharedBytes!));

      const grant = (await f.th.hub.store.dbGrants.get('notes', 'main'))!;
      const listed = await f.pooling.list();
      t.same(listed.find((v) => v.id === a.server)?.databases.map((d) => d.app).filter(Boolean).sort(), ['notes', 'wiki']);

      await f.pooling.releaseDatabase({ app: 'notes', ref: 'main' });
      t.equal(await f.th.hub.store.dbGrants.get('notes', 'main'), undefined, 'no grant row');
      await t.rejects(f.th.hub.store.secrets.get(grant.secretRef!), { code: 'WARREN_ERR_NOT_FOUND' }, 'no secret row');
      const live = (await f.pooling.list()).find((v) => v.id === a.server)!;
      t.notOk(live.databases.some((d) => d.database === a.database.database), 'no database');
      t.notOk(asApp(runtime, f.pooled(engine), engine, a.database, 'SELECT 1').ok, 'the user cannot log in any more');
      t.ok(asApp(runtime, f.pooled(engine), engine, b.database, 'SELECT 1').ok, 'the other app is untouched');
    });
  }
}
