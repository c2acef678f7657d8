// The pooling feature inside a running hub: `GET /api/pools` shows servers and databases but never a
// credential, dump and restore round-trip over REST, and bad input is refused with its path.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { PoolingFeature } from '../../../../core/pooling/index.js';
import { adminToken, startTestHub } from '../../../helpers/hub.js';
import { needServices } from '../../../helpers/services.js';
import { removePoolContainers, TEST_REWRITES } from './fixture.js';

const env = needServices(t, 'docker', 'images');

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

    const bad = await th.call('POST', '/api/pools/databases/notes/main/move', { token, body: { to: 'moon' } });
    t.equal(bad.status, 400);
    t.equal(bad.body.error.details[0].path, '/to');
    const missing = await th.call('GET', '/api/pools/databases/nobody/main/dump', { token });
    t.equal(missing.status, 404);
    t.equal((await th.call('GET', '/api/pools')).status, 401, 'authorised like every route');
    await pooling.releaseDatabase({ app: 'notes', ref: 'main' });
  });
}
