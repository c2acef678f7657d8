// The pooling feature inside a running hub: `GET /api/pools` shows servers and databases but never a
// credential, dump and restore round-trip over REST, and bad input is refused with its path.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createCliContext, type GlobalOptions } from '../../../../core/cli/context.js';
import * as dbCommands from '../../../../core/cli/commands/db.js';
import t from 'tap';
import { PoolingFeature } from '../../../../core/pooling/index.js';
import { adminToken, startTestHub } from '../../../helpers/hub.js';
import { needServices } from '../../../helpers/services.js';
import { removePoolContainers, TEST_REWRITES } from './fixture.js';

const env = needServices(t, 'docker', 'images');

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** `warren <args>` against the test hub, through commander and the real CliContext. */
async function cli(hub: string, token: string, args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = new Command('warren').exitOverride().option('--json');
  const ctx = createCliContext(() => ({ ...(program.opts() as GlobalOptions), hub, token }), {
    out: (x) => void (out += x),
    err: (x) => void (err += x),
    exit: (code) => {
      throw new Exit(code);
    },
  });
  dbCommands.register(program, ctx);
  try {
    await program.parseAsync(['node', 'warren', ...args]);
    return { out, err, code: 0 };
  } catch (e) {
    if (e instanceof Exit) return { out, err, code: e.code };
    throw e;
  }
}

if (env) {
  t.test('REST: list without secrets, dump, restore, move refused with reasons', async (t) => {
    const namespace = `wt${randomBytes(3).toString('hex')}`;
    t.teardown(() => removePoolContainers(namespace));
    const th = await startTestHub(t, {
      env: { WARREN_ADMIN_PASSWORD: 'correct horse battery' },
      hub: { extensions: [new PoolingFeature({ imageRewrites: TEST_REWRITES, namespace })], routeModules: [(await import('../../../../core/api/routes/pools.js')).poolRoutes] },
    });
    const token = await adminToken(th);
    await th.hub.plugins.createInstance({ id: 'device-local', plugin: '@warren/docker-host', provider: 'docker', config: { connection: { type: 'socket', socketPath: env.docker!.socket } } });
    await th.hub.store.devices.insert({ id: 'local', name: 'local', connection: {} });
    await th.hub.store.apps.insert({ id: 'notes', catalogId: 'notes', catalogVersion: '1', project: 'notes', device: 'local' });
    const pooling = th.hub.services.pooling!;
    const r = await pooling.ensureDatabase({ device: 'local', app: 'notes', need: { ref: 'main', engine: 'postgres' } });

    const list = await th.call('GET', '/api/pools', { token });
    t.equal(list.status, 200);
    const text = JSON.stringify(list.body);
    t.match(text, r.database.database);
    t.notMatch(text, r.database.password, 'the app\'s password is not shown');
    const server = (await th.hub.store.dbServers.list())[0]!;
    t.notMatch(text, await th.hub.store.secrets.get(server.adminSecretRef!), 'the admin password is not shown');
    t.equal(list.body[0].databases[0].app, 'notes');
    t.equal(list.body[0].databases[0].isolation.ok, true);

    const dump = await th.call('GET', '/api/pools/databases/notes/main/dump', { token });
    t.equal(dump.status, 200);
    t.match(String(dump.body), /PostgreSQL database dump/);
    const restored = await th.call('POST', '/api/pools/databases/notes/main/restore', { token, body: { dumpBase64: Buffer.from(String(dump.body)).toString('base64') } });
    t.equal(restored.status, 200, JSON.stringify(restored.body));

    // Tens of MB, streamed both ways through the CLI (the old limit was ~2 MB, the dump held in memory).
    const project = `${namespace}-pool-postgres`;
    const asApp = (sql: string) => execFileSync('docker', ['exec', '-e', `PGPASSWORD=${r.database.password}`, `${project}-server-1`, 'psql', '-X', '-At', '-h', '127.0.0.1', '-U', r.database.user, '-d', r.database.database, '-v', 'ON_ERROR_STOP=1', '-c', sql]).toString().trim();
    // A file that is not a dump fails the restore and loses nothing: what the database held is put back.
    asApp("CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, 3)");
    const garbage = await fetch(`${th.url}/api/pools/databases/notes/main/restore`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sql' }, body: 'this is not a dump;\n' });
    const garbageBody = (await garbage.json()) as { error?: { message?: string } };
    t.not(garbage.status, 200, 'a file that is not a dump fails the restore');
    t.match(garbageBody.error?.message, /syntax error.*put back as it was before the restore/, `the failure says the data was put back: ${garbageBody.error?.message}`);
    t.equal(asApp('SELECT count(*) FROM kept'), '3', 'the rows are still there');
    t.equal(asApp("SELECT tableowner FROM pg_tables WHERE tablename = 'kept'"), r.database.user, 'still owned by the app');
    t.same(readdirSync(th.hub.services.pooling!['opts'].dumpDir).filter((f: string) => f.startsWith('.before-restore-')), [], 'the safety copy is removed');
    asApp('DROP TABLE kept');
    asApp("CREATE TABLE big (id int PRIMARY KEY, body text); INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 300000) g");
    const dir = mkdtempSync(join(tmpdir(), 'wn-dump-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'notes.sql');
    const dumped = await cli(th.url, token, ['--json', 'db', 'dump', 'notes', '-o', file]);
    t.equal(dumped.code, 0, dumped.err);
    t.ok(statSync(file).size > 30e6, `a dump of tens of MB (${statSync(file).size} bytes)`);
    t.equal(JSON.parse(dumped.out).bytes, statSync(file).size);
    t.match(readFileSync(file, 'utf8').slice(-2000), /PostgreSQL database dump complete/, 'whole, to its last line');
    asApp('DELETE FROM big WHERE id > 10');
    const back = await cli(th.url, token, ['--json', 'db', 'restore', 'notes', file]);
    t.equal(back.code, 0, back.err);
    t.equal(JSON.parse(back.out).bytes, statSync(file).size, 'the hub received every byte');
    t.equal(asApp('SELECT count(*) FROM big'), '300000', 'every row is back');
    t.equal(asApp("SELECT tableowner FROM pg_tables WHERE tablename = 'big'"), r.database.user, 'owned by the app');
    const empty = await cli(th.url, token, ['db', 'restore', 'notes', join(dir, 'missing.sql')]);
    t.equal(empty.code, 1);
    t.match(empty.err, /cannot read .*missing\.sql/);
    const raw = await fetch(`${th.url}/api/pools/databases/notes/main/restore`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/sql' }, body: '' });
    t.equal(raw.status, 400, 'an empty raw body is refused');
    t.equal(asApp('SELECT count(*) FROM big'), '300000', '... before anything was dropped');

    const noBody = await th.call('POST', '/api/pools/adopt', { token, body: {} });
    t.equal(noBody.status, 400);
    t.same(noBody.body.error.details.map((d: { path: string }) => d.path), ['/device', '/url']);
    const badUrl = await th.call('POST', '/api/pools/adopt', { token, body: { device: 'local', url: 'ftp://me:pw@host' } });
    t.equal(badUrl.status, 400);
    t.equal(badUrl.body.error.details[0].path, '/url');
    const taken = await th.call('POST', '/api/pools/adopt', { token, body: { device: 'local', url: 'postgres://postgres:pw@127.0.0.1:5432/postgres' } });
    t.equal(taken.status, 409, 'the device has a shared postgres server already');
    const deployed = await th.call('DELETE', `/api/pools/${server.id}`, { token });
    t.equal(deployed.status, 409, 'a server Warren deployed is not forgotten');

    const bad = await th.call('POST', '/api/pools/databases/notes/main/move', { token, body: { to: 'moon' } });
    t.equal(bad.status, 400);
    t.equal(bad.body.error.details[0].path, '/to');
    const missing = await th.call('GET', '/api/pools/databases/nobody/main/dump', { token });
    t.equal(missing.status, 404);
    t.equal((await th.call('GET', '/api/pools')).status, 401, 'authorised like every route');
    await pooling.releaseDatabase({ app: 'notes', ref: 'main' });
  });
}
