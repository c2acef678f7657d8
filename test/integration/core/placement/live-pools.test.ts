// The live inventory lists each device's shared database servers, so that placement judges a database
// need as install will meet it: before any server exists it says install creates the shared one (and
// counts its memory); once it exists, the need is met by that pool, with the version and extensions
// the server reports.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { DevicesFeature } from '../../../../core/devices/index.js';
import { featureRoutes } from '../../../../core/features.js';
import { PoolingFeature } from '../../../../core/pooling/index.js';
import { parseSnapshot, rankDevices, type PlacementRequirements } from '../../../../core/placement/index.js';
import { adminToken, startTestHub } from '../../../helpers/hub.js';
import { needServices } from '../../../helpers/services.js';
import { until } from '../../../helpers/wait.js';
import { removePoolContainers, TEST_REWRITES } from '../pooling/fixture.js';

const env = needServices(t, 'docker', 'images');
const MiB = 2 ** 20;

if (env) {
  t.test('snapshot databases follow the pooling store; placement predicts what install does', async (t) => {
    const namespace = `wt${randomBytes(3).toString('hex')}`;
    t.teardown(() => removePoolContainers(namespace));
    const th = await startTestHub(t, {
      env: { WARREN_ADMIN_PASSWORD: 'correct horse battery' },
      hub: {
        routeModules: featureRoutes(),
        extensions: [new DevicesFeature({ pollIntervalMs: 5_000 }), new PoolingFeature({ imageRewrites: TEST_REWRITES, namespace, healthTimeoutMs: 120_000 })],
      },
    });
    const token = await adminToken(th, 'correct horse battery');
    const api = (method: string, path: string, body?: unknown) => th.call(method, path, { token, body });
    const added = await api('POST', '/api/devices', { name: 'local', connection: { type: 'socket', socketPath: env.docker!.socket }, helperImage: env.images!.web });
    t.equal(added.status, 201, JSON.stringify(added.body).slice(0, 300));
    const device = added.body.device?.id ?? added.body.id;
    const snapshot = async () => parseSnapshot((await api('GET', '/api/devices/snapshot')).body).devices.find((d) => d.id === device)!;
    await until('fresh figures', async () => {
      const d = await snapshot();
      return d.online && d.metricsAgeSeconds !== null && d.memory.availableBytes > 0 && d.storage.availableBytes > 0;
    }, 120_000);

    const app: PlacementRequirements = { app: 'notes', memoryBytes: 64 * MiB, diskBytes: 0, databases: [{ ref: 'main', engine: 'postgres', extensions: ['pg_trgm'] }] };
    const before = await snapshot();
    t.same(before.databases, [], 'no shared server yet');
    let plan = rankDevices(app, [before]).candidates[0]!.databases[0]!;
    t.equal(plan.via, 'pool');
    t.equal(plan.newServer, true, 'placement says install will create the shared server');
    t.equal(plan.memoryBytes, 256 * MiB, 'and counts its memory');

    await th.hub.store.apps.insert({ id: 'notes', catalogId: 'notes', catalogVersion: '1', project: 'notes', device });
    const pooling = th.hub.services.pooling!;
    const made = await pooling.ensureDatabase({ device, app: 'notes', need: { ref: 'main', engine: 'postgres', extensions: ['pg_trgm'] } });
    t.equal(made.mode, 'pooled', 'install did create the shared server, as placement said');

    const after = await snapshot();
    t.equal(after.databases.length, 1, 'the shared server is listed');
    t.equal(after.databases[0]!.engine, 'postgres');
    t.match(after.databases[0]!.version, /^15(\.|$)/, 'with the version the server reports');
    t.ok(after.databases[0]!.extensions?.includes('pg_trgm'), 'and the extensions its image offers');
    plan = rankDevices(app, [after]).candidates[0]!.databases[0]!;
    t.same([plan.via, plan.newServer, plan.memoryBytes], ['pool', undefined, 0], 'a second app with the same need uses that pool');
    const postgis = rankDevices({ ...app, databases: [{ ref: 'main', engine: 'postgres', extensions: ['postgis'] }] }, [after]).candidates[0]!.databases[0]!;
    t.equal(postgis.via, 'dedicated', 'a need the pool lacks gets a dedicated server');
    t.match(postgis.detail, /lacks postgis/);

    // What a new shared server would run, for a device that has none: the configured image's tag
    // (postgres:16, rewritten here to warren-test/postgres:15).
    const plans = pooling.newServerPlans();
    t.equal(plans.postgres?.version, '15', 'the version a new shared server would run');
    const none = { ...after, id: 'other', databases: [] };
    const misfit = rankDevices({ ...app, databases: [{ ref: 'main', engine: 'postgres', versions: '>=16' }] }, [none], { newPoolServer: plans }).candidates[0]!.databases[0]!;
    t.same([misfit.via, misfit.newServer, misfit.memoryBytes], ['dedicated', true, 512 * MiB], 'a need the new server would not meet: install creates it and a dedicated one');
    t.match(misfit.detail, /a new shared postgres server would run 15, which does not satisfy >=16/);

    await pooling.releaseDatabase({ app: 'notes', ref: 'main' });
  });
}
