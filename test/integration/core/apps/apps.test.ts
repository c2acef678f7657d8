// Apps on the local Docker, for real: bad input answered with a clear error and nothing created; the
// demo app installed with a pooled Postgres, its page saying it reached its database; stop, start,
// restart; removal leaving no container, network, volume, database, user, grant or secret.
import t from 'tap';
import Docker from 'dockerode';
import { needServices } from '../../../helpers/services.js';
import { appsHub, leftovers, removeDefaultPools, until } from './fixture.js';

t.test('install, operate and remove warren-demo with a pooled database', async (t) => {
  const state = needServices(t, 'docker', 'images');
  if (!state) return;
  const docker = new Docker({ socketPath: state.docker!.socket });
  await removeDefaultPools(docker);
  t.teardown(() => removeDefaultPools(docker));
  const { th, api, finish } = await appsHub(t, state);
  const store = th.hub.store;
  const counts = async () => ({
    apps: (await store.apps.list()).length,
    operations: (await store.operations.list()).length,
    secrets: Number(((await store.knex('secrets').count({ n: '*' })) as { n: number }[])[0]!.n),
  });

  t.test('bad input: a clear error, nothing created', async (t) => {
    const before = await counts();
    const cases: [string, unknown, number, RegExp][] = [
      ['unknown catalog id', { app: 'no-such-app' }, 404, /no-such-app/],
      ['catalog id with path characters', { app: '../../etc/passwd' }, 400, /not an app id/],
      ['no catalog id', {}, 400, /catalog id/],
      ['app id with a slash', { app: 'warren-demo', name: 'a/b' }, 400, /cannot be an app id/],
      ['app id with shell characters', { app: 'warren-demo', name: 'x;rm -rf /' }, 400, /cannot be an app id/],
      ['app id with a leading dash', { app: 'warren-demo', name: '-x' }, 400, /cannot be an app id/],
      ['app id in capitals', { app: 'warren-demo', name: 'Demo' }, 400, /cannot be an app id/],
      ['missing required input', { app: 'gotify' }, 400, /required/],
      ['input failing its pattern', { app: 'warren-demo', inputs: { GREETING: '<script>' } }, 400, /GREETING/],
      ['input the app does not have', { app: 'warren-demo', inputs: { NOPE: 1 } }, 400, /no input named NOPE/],
      ['inputs not an object', { app: 'warren-demo', inputs: 'GREETING=hi' }, 400, /inputs/],
      ['unknown device', { app: 'warren-demo', device: 'nowhere' }, 404, /nowhere/],
      ['unknown field', { app: 'warren-demo', colour: 'red' }, 400, /colour/],
    ];
    for (const [what, body, status, message] of cases) {
      const r = await api('POST', '/api/apps', body);
      t.equal(r.status, status, `${what}: ${status}`);
      t.match(r.body.error?.message, message, `${what}: ${r.body.error?.message}`);
    }
    for (const [what, path, status] of [
      ['hostile app id in a path', '/api/apps/..%2F..%2Fetc', 400],
      ['unknown app', '/api/apps/nothing-here', 404],
      ['unknown operation', '/api/operations/nothing-here', 404],
    ] as const) t.equal((await api('GET', path)).status, status, what);
    t.equal((await api('DELETE', '/api/apps/x%3Bls')).status, 400, 'hostile id on removal');
    t.equal((await api('POST', '/api/apps/nothing-here/start')).status, 404);
    t.same(await counts(), before, 'no app, operation or secret recorded');
    t.same(await leftovers(docker, 'warren-warren-demo'), [], 'nothing on the engine');
  });

  t.test('POST /api/placement ranks the live inventory for a catalog app', async (t) => {
    const r = await api('POST', '/api/placement', { app: 'warren-demo', weights: { ram: 100 } });
    t.equal(r.status, 200);
    t.equal(r.body.recommended, 'local');
    t.equal(r.body.weights.ram, 100);
    t.same(r.body.candidates.map((c: { device: string; eligible: boolean }) => [c.device, c.eligible]), [['local', true]]);
    t.equal((await api('POST', '/api/placement', { app: 'no-such-app' })).status, 404);
    t.equal((await api('POST', '/api/placement', {})).status, 400);
    t.equal((await api('POST', '/api/placement', { app: 'warren-demo', weights: { speed: 1 } })).status, 400);
    t.equal((await api('POST', '/api/placement', { app: 'warren-demo', freshnessLimitSeconds: -1 })).status, 400);
    const huge = await api('POST', '/api/placement', { requirements: { memoryBytes: 2 ** 50, diskBytes: 0 } });
    t.equal(huge.body.recommended, null, 'explicit requirements are ranked too');
    t.match(huge.body.candidates[0].reasons[0].code, 'RAM');
  });

  let opId = '';
  t.test('install onto the recommended device, with progress', async (t) => {
    const progress: string[] = [];
    th.hub.bus.on('operation.progress', (e) => { progress.push(`${e.step}: ${e.message}`); }, 'test');
    const r = await api('POST', '/api/apps', { app: 'warren-demo', inputs: { GREETING: 'Hello from the test' } });
    t.equal(r.status, 202, JSON.stringify(r.body.error ?? ''));
    t.equal(r.body.app, 'warren-demo');
    t.equal(r.body.device, 'local');
    t.equal(r.body.placement.recommended, 'local');
    opId = r.body.operation;
    const op = await finish(opId);
    t.equal(op.state, 'done', `install done: ${op.error ?? ''}`);
    t.same(op.steps.map((s: { name: string }) => s.name), ['record-app', 'secrets', 'database', 'deploy', 'healthy', 'finish']);
    t.ok(progress.some((p) => p.startsWith('deploy:')), 'deploy progress streamed');
    const app = (await api('GET', '/api/apps/warren-demo')).body.app;
    t.equal(app.status, 'running');
    t.equal(app.project, 'warren-warren-demo');
    t.same(app.inputs, { GREETING: 'Hello from the test' });
    const port = app.services[0].ports.find((p: { target: number }) => p.target === 8080).published;
    const page = await until('the demo page', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      const text = await res.text();
      return res.ok && text;
    });
    t.match(page, /database: /, `the page says it reached its database: ${page.slice(0, 200)}`);
    const health = await (await fetch(`http://127.0.0.1:${port}/cgi-bin/health`)).text();
    t.match(health, /connected: yes/);
    const grant = (await store.dbGrants.list({ app: 'warren-demo' }))[0]!;
    t.ok(grant, 'a pooled database was granted');
    t.equal((await store.dbServers.get(grant.server))!.mode, 'pooled');
    const password = await store.secrets.get(grant.secretRef!);
    const everything = JSON.stringify([
      (await api('GET', '/api/apps')).body, app, (await api('GET', '/api/operations')).body, await store.events.list({ limit: 1000 }), await store.operations.list(),
    ]);
    t.notOk(everything.includes(password), 'the database password is in no API answer, event or journal entry');
    th.hub.bus.releaseOwner('test');
    t.equal((await api('POST', '/api/apps', { app: 'warren-demo', name: 'warren-demo' })).status, 409, 'the name is taken');
  });

  t.test('stop, start, restart', async (t) => {
    const running = async () => (await docker.listContainers({ filters: JSON.stringify({ label: ['com.docker.compose.project=warren-warren-demo'] }) })).length;
    let r = await api('POST', '/api/apps/warren-demo/stop');
    t.equal(r.status, 202);
    t.equal((await finish(r.body.operation)).state, 'done');
    t.equal((await api('GET', '/api/apps/warren-demo')).body.app.status, 'stopped');
    t.equal(await running(), 0, 'no container running');
    r = await api('POST', '/api/apps/warren-demo/start');
    t.equal((await finish(r.body.operation)).state, 'done');
    t.equal((await api('GET', '/api/apps/warren-demo')).body.app.status, 'running');
    t.equal(await running(), 1);
    r = await api('POST', '/api/apps/warren-demo/restart');
    const busy = await api('POST', '/api/apps/warren-demo/stop');
    t.equal(busy.status, 409, 'one operation at a time per app');
    t.equal((await finish(r.body.operation)).state, 'done');
    t.equal((await api('GET', '/api/apps/warren-demo')).body.app.status, 'running');
    const logs = await api('GET', '/api/apps/warren-demo/logs?tail=20');
    t.equal(logs.status, 200);
    t.type(logs.body, 'string', 'logs come as text');
    t.equal((await fetch(`${th.url}/api/apps/warren-demo/logs?tail=20`)).status, 401, 'logs need a token like everything else');
    t.equal((await api('GET', '/api/apps/warren-demo/logs?tail=lots')).status, 400);
  });

  t.test('the reconcile loop notices a container stopped behind the hub\'s back', async (t) => {
    const states: string[] = [];
    th.hub.bus.on('app.state', (e) => { if (e.app === 'warren-demo') states.push(e.status); }, 'test');
    const [c] = await docker.listContainers({ filters: JSON.stringify({ label: ['com.docker.compose.project=warren-warren-demo'] }) });
    await docker.getContainer(c!.Id).stop({ t: 1 });
    await until('status stopped', async () => states.includes('stopped'), 30_000);
    t.equal((await api('GET', '/api/apps/warren-demo')).body.app.status, 'stopped');
    const r = await api('POST', '/api/apps/warren-demo/start');
    t.equal((await finish(r.body.operation)).state, 'done');
    th.hub.bus.releaseOwner('test');
  });

  t.test('remove with its data leaves nothing behind', async (t) => {
    const grant = (await store.dbGrants.list({ app: 'warren-demo' }))[0]!;
    const appSecret = (await store.apps.get('warren-demo'))!.secretsRef!;
    const before = (await th.hub.services.pooling!.list()).flatMap((p) => p.databases.map((d) => d.database));
    t.ok(before.includes(grant.database), 'the database exists in the pool before');
    const r = await api('DELETE', '/api/apps/warren-demo?removeData=true');
    t.equal(r.status, 202);
    const op = await finish(r.body.operation);
    t.equal(op.state, 'done', op.error ?? '');
    t.equal((await api('GET', '/api/apps/warren-demo')).status, 404);
    t.same(await leftovers(docker, 'warren-warren-demo'), [], 'no container, volume or network');
    t.same(await store.dbGrants.list({ app: 'warren-demo' }), [], 'no grant row');
    await t.rejects(store.secrets.get(grant.secretRef!), 'the database password is gone');
    await t.rejects(store.secrets.get(appSecret), 'the app secrets are gone');
    const pools = await th.hub.services.pooling!.list();
    t.notOk(pools.flatMap((p) => p.databases.map((d) => d.database)).includes(grant.database), 'the database is dropped');
    const users = await th.hub.services.pooling!.dump('warren-demo').then(() => 'still there', (e: Error) => e.message);
    t.match(users, /no database/, 'the pool has nothing for the app');
    const live = await (th.hub.services.pooling as unknown as { liveById(id: string): Promise<{ host: { exec(p: string, s: string, c: string[]): Promise<{ output: string }> }; row: { container: string } }> }).liveById(grant.server);
    const roles = await live.host.exec(live.row.container, 'server', ['psql', '-U', 'postgres', '-Atc', `select count(*) from pg_roles where rolname = '${grant.username}'`]);
    t.equal(roles.output.trim(), '0', 'no database user');
  });
});
