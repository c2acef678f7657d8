// Pooling over time, against real Postgres servers in containers: persistence across server and hub
// restarts, the connection budget, dedicated fallback (and its clear failure when the dedicated image
// cannot meet the need either), moving in and out of the pool, removal with a dump, and recovery of a
// provision interrupted by a hub crash.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { PooledDatabase } from '../../../../core/catalog/resolve.js';
import { PoolingService } from '../../../../core/pooling/index.js';
import { needServices } from '../../../helpers/services.js';
import { poolFixture, type PoolFixture, removePoolContainers, TEST_REWRITES } from './fixture.js';

const env = needServices(t, 'docker', 'images');

function sql(project: string, c: PooledDatabase, statement: string): string {
  const container = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`]).toString().trim();
  return execFileSync('docker', ['exec', '-e', `PGPASSWORD=${c.password}`, container, 'psql', '-X', '-At', '-h', '127.0.0.1', '-U', c.user, '-d', c.database, '-v', 'ON_ERROR_STOP=1', '-c', statement]).toString().trim();
}

const dedicatedContainers = (f: PoolFixture) =>
  execFileSync('docker', ['ps', '-aq', '--filter', `label=warren.pool.namespace=${f.namespace}`, '--filter', 'label=warren.pool.mode=dedicated']).toString().trim();

const leftovers = async (f: PoolFixture, app: string) => ({
  grants: (await f.th.hub.store.dbGrants.list({ app })).length,
  dedicated: (await f.th.hub.store.dbServers.list({ mode: 'dedicated' })).filter((s) => s.app === app).length,
  containers: dedicatedContainers(f),
});

if (env) {
  t.test('the server and the data survive a server restart and a hub restart', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warren-pool-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    let first: PooledDatabase;
    const namespace = `wt${process.pid}`;
    await t.test('first hub', async (t) => {
      const f = await poolFixture(t, env, { keepDataDir: dataDir, keepContainers: true, namespace });
      await f.addApp('notes');
      first = (await f.pooling.ensureDatabase({ device: f.device, app: 'notes', need: { ref: 'main', engine: 'postgres' } })).database;
      sql(f.pooled('postgres'), first, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (1), (2), (3)');
    });
    const container = execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${namespace}-pool-postgres`]).toString().trim();
    execFileSync('docker', ['restart', container]);
    t.equal(execFileSync('docker', ['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', container]).toString().trim(), 'unless-stopped', 'comes back after a device reboot');
    await t.test('second hub on the same data directory', async (t) => {
      const f = await poolFixture(t, env, { keepDataDir: dataDir, keepContainers: true, namespace });
      const again = await f.pooling.ensureDatabase({ device: f.device, app: 'notes', need: { ref: 'main', engine: 'postgres' } });
      t.same(again.database, first, 'same database, user and password');
      t.equal(sql(f.pooled('postgres'), again.database, 'SELECT count(*) FROM kept'), '3', 'the rows are still there');
      execFileSync('docker', ['rm', '-f', container]);
      const redeployed = await f.pooling.ensureDatabase({ device: f.device, app: 'notes', need: { ref: 'main', engine: 'postgres' } });
      t.equal(sql(f.pooled('postgres'), redeployed.database, 'SELECT count(*) FROM kept'), '3', 'a lost container is redeployed on the same volume');
      await f.pooling.releaseDatabase({ app: 'notes', ref: 'main' });
    });
    // The containers were kept for the second hub; they go now.
    removePoolContainers(namespace);
  });

  t.test('the connection budget refuses to overpack a server, saying why', async (t) => {
    const f = await poolFixture(t, env, { maxConnections: { postgres: 30 }, connectionLimit: 10, reservedConnections: 5 });
    for (const app of ['a1', 'a2', 'a3']) await f.addApp(app);
    await f.pooling.ensureDatabase({ device: f.device, app: 'a1', need: { ref: 'main', engine: 'postgres' } });
    await f.pooling.ensureDatabase({ device: f.device, app: 'a2', need: { ref: 'main', engine: 'postgres' } });
    await t.rejects(f.pooling.ensureDatabase({ device: f.device, app: 'a3', need: { ref: 'main', engine: 'postgres' } }), {
      code: 'WARREN_ERR_DATABASE',
      message: /is full: 2 app database\(s\) hold 20 connections, this one asks for 10 and 5 stay reserved: 35 of max_connections 30/,
    });
    t.equal(await f.th.hub.store.dbGrants.get('a3', 'main'), undefined, 'nothing recorded for the refused app');
  });

  t.test('a need the pool cannot meet gets a dedicated server, or fails clearly and leaves nothing', async (t) => {
    const f = await poolFixture(t, env, { imageRewrites: { ...TEST_REWRITES, 'postgres:17': 'warren-test/postgres:15' } });
    for (const app of ['vec', 'new', 'own']) await f.addApp(app);
    const own = await f.pooling.ensureDatabase({ device: f.device, app: 'own', need: { ref: 'main', engine: 'postgres', dedicated: true } });
    t.equal(own.mode, 'dedicated');
    t.match(own.reason, /its own/);
    t.equal(own.database.host, `${f.namespace}-db-own-main`);
    t.ok(own.isolation.ok);
    t.equal(sql(own.database.network!, own.database, 'SELECT current_database()'), own.database.database);

    await t.rejects(f.pooling.ensureDatabase({ device: f.device, app: 'vec', need: { ref: 'main', engine: 'postgres', extensions: ['vector'] } }), {
      code: 'WARREN_ERR_DATABASE',
      message: /vector/,
      hint: /no vector extension/,
    }, 'the local image has no pgvector: the dedicated server cannot give it either');
    t.same(await leftovers(f, 'vec'), { grants: 0, dedicated: 0, containers: dedicatedContainers(f) }, 'the failed dedicated server was removed (only "own"\'s is left)');
    t.equal(dedicatedContainers(f).split('\n').length, 1);
    const ops = await f.th.hub.store.operations.list({ target: 'app:vec' });
    t.equal(ops.at(-1)?.state, 'rolled_back');

    await t.rejects(f.pooling.ensureDatabase({ device: f.device, app: 'new', need: { ref: 'main', engine: 'postgres', versions: '>=16' } }), {
      message: /runs postgres 15\.\d+, which does not satisfy >=16/,
    });
    await f.pooling.releaseDatabase({ app: 'own', ref: 'main' });
    t.same(await leftovers(f, 'own'), { grants: 0, dedicated: 0, containers: '' }, 'removing the app removes its dedicated server');
  });

  t.test('move into a dedicated server and back, verified by row counts', async (t) => {
    const f = await poolFixture(t, env);
    await f.addApp('mover');
    const a = await f.pooling.ensureDatabase({ device: f.device, app: 'mover', need: { ref: 'main', engine: 'postgres' } });
    sql(f.pooled('postgres'), a.database, "CREATE TABLE t (id serial, v text); INSERT INTO t (v) SELECT 'row ' || g FROM generate_series(1, 500) g");
    const out = await f.pooling.move('mover', 'main', 'dedicated');
    t.equal(out.mode, 'dedicated');
    t.equal(sql(out.database.network!, out.database, 'SELECT count(*) FROM t'), '500');
    t.notOk((await f.pooling.list()).find((v) => v.mode === 'pooled')?.databases.some((d) => d.app === 'mover'), 'gone from the pool');
    const back = await f.pooling.move('mover', 'main', 'pool');
    t.equal(back.mode, 'pooled');
    t.equal(sql(f.pooled('postgres'), back.database, 'SELECT count(*) FROM t'), '500');
    t.equal(dedicatedContainers(f), '', 'the dedicated server went away');
    await t.rejects(f.pooling.move('mover', 'main', 'pool'), { code: 'WARREN_ERR_CONFLICT' });
  });

  t.test('a move into the pool is refused before anything changes when an install would not be allowed there', async (t) => {
    const f = await poolFixture(t, env, { maxConnections: { postgres: 30 }, connectionLimit: 10, reservedConnections: 5 });
    for (const app of ['own', 'a1', 'a2', 'late']) await f.addApp(app);
    const own = await f.pooling.ensureDatabase({ device: f.device, app: 'own', need: { ref: 'main', engine: 'postgres', dedicated: true } });
    await t.rejects(f.pooling.move('own', 'main', 'pool'), { code: 'WARREN_ERR_CONFLICT', message: /cannot move into the shared postgres server on local: its manifest asks for a server of its own/ });
    t.equal((await f.th.hub.store.dbGrants.get('own', 'main'))?.server, own.server, 'still on its dedicated server');

    // `late` leaves the pool while there is room; two more apps fill it; coming back would overpack it.
    await f.pooling.ensureDatabase({ device: f.device, app: 'late', need: { ref: 'main', engine: 'postgres' } });
    const moved = await f.pooling.move('late', 'main', 'dedicated');
    await f.pooling.ensureDatabase({ device: f.device, app: 'a1', need: { ref: 'main', engine: 'postgres' } });
    await f.pooling.ensureDatabase({ device: f.device, app: 'a2', need: { ref: 'main', engine: 'postgres' } });
    const opsBefore = (await f.th.hub.store.operations.list({ target: 'app:late' })).length;
    await t.rejects(f.pooling.move('late', 'main', 'pool'), {
      code: 'WARREN_ERR_CONFLICT',
      message: /it is full: 2 app database\(s\) hold 20 connections, this one asks for 10 and 5 stay reserved: 35 of max_connections 30/,
      hint: /max connections/,
    });
    t.equal((await f.th.hub.store.dbGrants.get('late', 'main'))?.server, moved.server, 'the refused move changed nothing');
    t.equal((await f.th.hub.store.operations.list({ target: 'app:late' })).length, opsBefore, 'no operation was started');
    t.notOk((await f.pooling.list()).find((v) => v.mode === 'pooled')?.databases.some((d) => d.database === 'wn_late_main'), 'nothing of it in the pool');
    for (const app of ['own', 'a1', 'a2', 'late']) await f.pooling.releaseDatabase({ app, ref: 'main' });
    t.equal(dedicatedContainers(f), '', 'no dedicated server left');
  });

  t.test('removal with a dump, and a provision interrupted by a crash is rolled back on restart', async (t) => {
    const f = await poolFixture(t, env);
    await f.addApp('leaving');
    const a = await f.pooling.ensureDatabase({ device: f.device, app: 'leaving', need: { ref: 'main', engine: 'postgres' } });
    sql(f.pooled('postgres'), a.database, "CREATE TABLE farewell (v text); INSERT INTO farewell VALUES ('bye')");
    const { dumpFile } = await f.pooling.releaseDatabase({ app: 'leaving', ref: 'main', dump: true });
    t.ok(dumpFile && existsSync(dumpFile));
    t.match(readFileSync(dumpFile!, 'utf8'), /CREATE TABLE public\.farewell[\s\S]*bye/);

    // A hub that died after creating the user and database, before recording the grant.
    await f.addApp('crashed');
    const live = await f.pooling.pooledServer(f.device, 'postgres');
    const secretRef = await f.th.hub.store.secrets.put('pw-of-crashed');
    await live.pool.provision({ app: 'crashed', ref: 'main', database: 'wn_crashed_main', user: 'wn_crashed_main', password: 'pw-of-crashed' });
    const data = { device: f.device, app: 'crashed', ref: 'main', engine: 'postgres', mode: 'pooled', need: { ref: 'main', engine: 'postgres' }, server: live.row.id };
    await f.th.hub.store.operations.insert({
      kind: 'pool.provision', target: 'app:crashed', state: 'running', currentStep: 2,
      steps: [
        { name: 'dedicated server', state: 'done', data },
        { name: 'user password', state: 'done', data: { ...data, secretRef } },
        { name: 'database and user', state: 'running', data: { ...data, secretRef } },
        { name: 'record grant', state: 'pending' },
        { name: 'isolation self-test', state: 'pending' },
      ],
    });
    // The next hub's pooling service recovers what was left running before it started.
    await new Promise((r) => setTimeout(r, 5));
    const restarted = new PoolingService(f.th.hub, { dumpDir: join(f.th.dataDir, 'dumps'), imageRewrites: TEST_REWRITES, namespace: f.namespace });
    t.equal(await f.pooling.recover(), 0, 'a running service leaves operations newer than itself alone');
    t.equal(await restarted.recover(), 1);
    t.same(await live.pool.exists({ database: 'wn_crashed_main', user: 'wn_crashed_main' }), { database: false, user: false }, 'database and user dropped');
    await t.rejects(f.th.hub.store.secrets.get(secretRef), { code: 'WARREN_ERR_NOT_FOUND' }, 'secret removed');
    t.equal((await f.th.hub.store.operations.list({ target: 'app:crashed' }))[0]?.state, 'rolled_back');
  });
}
