// The MQTT bridge against a real Mosquitto with a password file and an ACL; outside clients are the
// real mosquitto_pub/mosquitto_sub, as a Home Assistant or Node-RED user's would be.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsFeature } from '../../../../core/apps/index.js';
import { MqttBridge, mqttSettingsFromEnv } from '../../../../core/bus/mqtt-bridge.js';
import { CatalogFeature, catalogSources } from '../../../../core/catalog/index.js';
import { DevicesFeature } from '../../../../core/devices/index.js';
import { featureRoutes } from '../../../../core/features.js';
import { PoolingFeature } from '../../../../core/pooling/index.js';
import { adminToken, startTestHub } from '../../../helpers/hub.js';
import { freePort, publish, retained, startBroker, subscribe, type Broker } from '../../../helpers/mosquitto.js';
import { needServices } from '../../../helpers/services.js';
import { TEST_REWRITES } from '../apps/fixture.js';
import { until } from '../../../helpers/wait.js';

const PASSWORD = 'correct horse battery';
const USERS = { warren: 'hub-pass-1', ha: 'ha-pass-2', intruder: 'intruder-pass-3', spy: 'spy-pass-4' };
const ACL = `user warren
topic readwrite warren/#
topic readwrite homeassistant/#

user ha
topic read warren/#
topic read homeassistant/#
topic write warren/request/ha/#
topic write homeassistant/status

user intruder
topic write warren/request/intruder/#
topic read warren/response/intruder/#

user spy
topic read #
`;

const mqttEnv = (b: Broker) => ({
  WARREN_MQTT_URL: b.url,
  WARREN_MQTT_USERNAME: 'warren',
  WARREN_MQTT_PASSWORD: USERS.warren,
  WARREN_MQTT_CLIENT_ID: `warren-test-${process.pid}`,
  WARREN_MQTT_ACL: JSON.stringify({ ha: ['install', 'start', 'stop', 'restart', 'remove', 'place'] }),
});

const waitFor = <T>(what: string, fn: () => T | undefined | false, ms = 30_000) => until(what, async () => fn(), ms);

t.test('discovery, commands, and no secret anywhere on the bus through a full install', async (t) => {
  const env = needServices(t, 'mosquitto', 'docker', 'images');
  if (!env) return;
  const broker = await startBroker(env.mosquitto!.bin, USERS, ACL);
  t.teardown(() => broker.stop());
  const spy = subscribe(broker, 'spy', '#');
  t.teardown(() => spy.stop());

  const th = await startTestHub(t, {
    env: { WARREN_ADMIN_PASSWORD: PASSWORD },
    hub: {
      routeModules: featureRoutes(),
      extensions: [
        new DevicesFeature({ pollIntervalMs: 2_000 }),
        new PoolingFeature({ imageRewrites: TEST_REWRITES, healthTimeoutMs: 120_000 }),
        new CatalogFeature({ sources: catalogSources('/nonexistent', [join(import.meta.dirname, '../../../fixtures/catalog-mqtt')]) }),
        new AppsFeature({ imageRewrites: TEST_REWRITES, reconcileIntervalMs: 1_000, healthTimeoutMs: 120_000 }),
        new MqttBridge(mqttSettingsFromEnv(mqttEnv(broker))!),
      ],
    },
  });
  const token = await adminToken(th, PASSWORD);
  const api = (method: string, path: string, body?: unknown) => th.call(method, path, { token, body });
  t.equal(retained(broker, 'ha', 'warren/status'), 'online', 'warren/status is retained online');

  const added = await api('POST', '/api/devices', { name: 'local', connection: { type: 'socket', socketPath: env.docker!.socket }, helperImage: env.images!.web });
  t.equal(added.status, 201, JSON.stringify(added.body));
  const device = added.body.device?.id ?? added.body.id;
  await until('fresh metrics from the local device', async () => {
    const snap = (await api('GET', '/api/devices/snapshot')).body;
    return snap.devices?.[0]?.online && snap.devices[0].metricsAgeSeconds !== null;
  }, 120_000);

  // Home Assistant discovery for the device, with the documented fields.
  const ramTopic = `homeassistant/sensor/warren_${device}_ram_used/config`;
  const ram = JSON.parse(await waitFor('device discovery', () => spy.messages.find((m) => m.topic === ramTopic)?.payload) as string);
  t.equal(ram.unique_id, `warren_${device}_ram_used`);
  t.equal(ram.device_class, 'data_size');
  t.equal(ram.state_class, 'measurement');
  t.equal(ram.unit_of_measurement, 'MiB');
  t.equal(ram.state_topic, `warren/devices/${device}/metrics`);
  t.same(ram.availability.map((a: { topic: string }) => a.topic), ['warren/status', `warren/devices/${device}/availability`], 'a dead hub or device shows unavailable');
  t.equal(ram.availability_mode, 'all');
  t.same(ram.device.identifiers, [`warren_device_${device}`]);
  const online = JSON.parse(retained(broker, 'ha', `homeassistant/binary_sensor/warren_${device}_online/config`)!);
  t.equal(online.device_class, 'connectivity');
  const metrics = JSON.parse(await waitFor('device metrics', () => spy.messages.find((m) => m.topic === `warren/devices/${device}/metrics`)?.payload) as string);
  t.ok(metrics.ramTotalBytes > 0, 'metrics carry real figures');
  t.equal(retained(broker, 'ha', `warren/devices/${device}/availability`), 'online');
  t.ok(JSON.parse(retained(broker, 'ha', 'warren/summary')!).devices, 'the summary is retained');

  // Home Assistant restarting: discovery is sent again.
  const before = spy.messages.filter((m) => m.topic === ramTopic).length;
  publish(broker, 'ha', 'homeassistant/status', 'online');
  await waitFor('discovery republished', () => spy.messages.filter((m) => m.topic === ramTopic).length > before, 10_000);
  t.pass('discovery republished when Home Assistant comes online');

  // A full install with a pooled database, over the API.
  // A copy of warren-demo on its own port, so that other suites' demo installs never collide with it.
  const install = await api('POST', '/api/apps', { catalogId: 'mqtt-demo' });
  t.equal(install.status, 202, JSON.stringify(install.body));
  const app = install.body.app as string;
  await until('install to finish', async () => {
    const op = (await api('GET', `/api/operations/${install.body.operation}`)).body.operation;
    return op && op.state !== 'running' && op.state !== 'pending' && op;
  }, 300_000);
  t.equal((await api('GET', `/api/apps/${app}`)).body.app?.status ?? (await api('GET', `/api/apps/${app}`)).body.status, 'running');
  const appTopic = `homeassistant/sensor/warren_app_${app.replace(/-/g, '_')}_state/config`;
  const appConfig = JSON.parse(await waitFor('app discovery', () => spy.messages.find((m) => m.topic === appTopic && m.payload)?.payload) as string);
  t.equal(appConfig.device_class, 'enum');
  t.ok(appConfig.options.includes('running'));
  t.match(await waitFor('app state', () => spy.messages.find((m) => m.topic === `warren/apps/${app}/state`)?.payload), /"status":"running"/);

  // A stop command from an outside client, answered on the response topic with the transaction.
  const responses = subscribe(broker, 'ha', 'warren/response/ha/#');
  t.teardown(() => responses.stop());
  await new Promise((r) => setTimeout(r, 500));
  publish(broker, 'ha', 'warren/request/ha/stop', JSON.stringify({ transaction: 'tx-1', app }));
  const reply = JSON.parse(await waitFor('stop response', () => responses.messages.find((m) => m.topic === 'warren/response/ha/stop')?.payload) as string);
  t.equal(reply.transaction, 'tx-1');
  t.ok(['accepted', 'ok'].includes(reply.status), JSON.stringify(reply));
  if (reply.status === 'accepted') {
    await waitFor('operation progress on warren/operations/<id>', () => spy.messages.find((m) => m.topic === `warren/operations/${reply.data.operation}` && /"state":"done"/.test(m.payload)), 120_000);
  }
  await until('the app to be stopped', async () => {
    const a = (await api('GET', `/api/apps/${app}`)).body;
    return (a.app ?? a).status === 'stopped';
  }, 120_000);
  t.pass('the stop command stopped the app');

  const stopsBefore = (await api('GET', '/api/operations')).body.operations.filter((o: { kind: string }) => o.kind === 'stop').length;
  publish(broker, 'ha', 'warren/request/ha/stop', JSON.stringify({ transaction: 'tx-1', app }));
  await waitFor('repeated answer', () => responses.messages.filter((m) => m.topic === 'warren/response/ha/stop').length >= 2);
  const again = JSON.parse(responses.messages.filter((m) => m.topic === 'warren/response/ha/stop')[1].payload);
  t.same(again, reply, 'a repeated transaction gets the same answer');
  const stopsAfter = (await api('GET', '/api/operations')).body.operations.filter((o: { kind: string }) => o.kind === 'stop').length;
  t.equal(stopsAfter, stopsBefore, 'without acting twice');

  // Not allowed, retained and expired commands.
  const intruder = subscribe(broker, 'intruder', 'warren/response/intruder/#');
  t.teardown(() => intruder.stop());
  await new Promise((r) => setTimeout(r, 500));
  publish(broker, 'intruder', 'warren/request/intruder/start', JSON.stringify({ transaction: 'x', app }));
  const refused = JSON.parse(await waitFor('refusal', () => intruder.messages[0]?.payload) as string);
  t.equal(refused.status, 'error');
  t.equal(refused.error.code, 'WARREN_ERR_FORBIDDEN');

  publish(broker, 'ha', 'warren/request/ha/start', JSON.stringify({ transaction: 'retained-1', app }), { retain: true });
  publish(broker, 'ha', 'warren/request/ha/start', JSON.stringify({ transaction: 'old-1', app, timestamp: Date.now() - 3_600_000 }));
  await new Promise((r) => setTimeout(r, 3000));
  t.notOk(responses.messages.some((m) => m.topic === 'warren/response/ha/start'), 'retained and expired commands are ignored');
  const a = (await api('GET', `/api/apps/${app}`)).body;
  t.equal((a.app ?? a).status, 'stopped', 'and did not start the app');

  // No secret ever went over the broker.
  const secrets: string[] = [];
  for (const g of await th.hub.store.dbGrants.list({ app })) if (g.secretRef) secrets.push(await th.hub.store.secrets.get(g.secretRef));
  for (const s of await th.hub.store.dbServers.list({})) if (s.adminSecretRef) secrets.push(await th.hub.store.secrets.get(s.adminSecretRef));
  t.ok(secrets.length >= 2, `found ${secrets.length} secrets to look for`);
  const everything = spy.raw();
  t.ok(everything.length > 1000, `the spy saw ${spy.messages.length} messages`);
  for (const s of secrets) {
    t.ok(s.length >= 8);
    t.notOk(everything.includes(s), 'a password was never on the bus');
  }

  // Removal empties the app's discovery config.
  const removed = await api('DELETE', `/api/apps/${app}`);
  t.ok([200, 202].includes(removed.status), JSON.stringify(removed.body));
  publish(broker, 'ha', 'warren/request/ha/start', '', { retain: true });
  await waitFor('app discovery removed', () => spy.messages.some((m) => m.topic === appTopic && m.payload === ''), 180_000);
  t.pass('removed apps are removed from Home Assistant');
  const status = await api('GET', '/api/mqtt');
  t.equal(status.body.connected, true);
  t.notOk(JSON.stringify(status.body).includes(USERS.warren), 'the broker password is never shown');
});

t.test('a broker restart is survived: retained state comes back', async (t) => {
  const env = needServices(t, 'mosquitto');
  if (!env) return;
  const broker = await startBroker(env.mosquitto!.bin, USERS, ACL);
  t.teardown(() => broker.stop());
  const th = await startTestHub(t, {
    env: { WARREN_ADMIN_PASSWORD: PASSWORD },
    hub: { extensions: [new MqttBridge(mqttSettingsFromEnv(mqttEnv(broker))!)] },
  });
  await until('online', async () => retained(broker, 'ha', 'warren/status') === 'online');
  await broker.restart();
  t.equal(retained(broker, 'ha', 'warren/status'), undefined, 'the broker kept nothing (no persistence)');
  await until('republished after reconnect', async () => retained(broker, 'ha', 'warren/status') === 'online', 30_000);
  t.pass('the hub reconnected and republished its retained state');
  t.ok(th.hub.services.mqtt);
});

t.test('the broker can be configured from the API (and CLI): stored, password never shown', async (t) => {
  const env = needServices(t, 'mosquitto');
  if (!env) return;
  const broker = await startBroker(env.mosquitto!.bin, USERS, ACL);
  t.teardown(() => broker.stop());
  const { MqttFeature } = await import('../../../../core/bus/mqtt-feature.js');
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD }, hub: { routeModules: featureRoutes(), extensions: [new MqttFeature({})] } });
  const token = await adminToken(th, PASSWORD);
  t.equal((await th.call('GET', '/api/mqtt', { token })).body.enabled, false, 'off until configured');
  const bad = await th.call('PUT', '/api/mqtt', { token, body: { enabled: true, url: 'http://nope' } });
  t.equal(bad.status, 400);
  const set = await th.call('PUT', '/api/mqtt', { token, body: { enabled: true, url: broker.url, username: 'warren', password: USERS.warren } });
  t.equal(set.status, 200, JSON.stringify(set.body));
  await until('connected', async () => (await th.call('GET', '/api/mqtt', { token })).body.connected === true, 30_000);
  t.equal(retained(broker, 'ha', 'warren/status'), 'online');
  const shown = await th.call('GET', '/api/mqtt', { token });
  t.equal(shown.body.source, 'stored');
  t.notOk(JSON.stringify(shown.body).includes(USERS.warren), 'the password is never shown');
  const off = await th.call('PUT', '/api/mqtt', { token, body: { enabled: false } });
  t.equal(off.body.enabled, false);
  await until('offline after disabling', async () => retained(broker, 'ha', 'warren/status') === 'offline', 30_000);
});

t.test('killing the hub makes the broker publish offline (last will)', async (t) => {
  const env = needServices(t, 'mosquitto');
  if (!env) return;
  const broker = await startBroker(env.mosquitto!.bin, USERS, ACL);
  t.teardown(() => broker.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-mqtt-hub-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../../../bin/warren.js'), 'serve'], {
    env: { ...process.env, ...mqttEnv(broker), WARREN_DATA_DIR: dataDir, WARREN_PORT: String(port), WARREN_NO_LOCAL_DEVICE: '1', WARREN_ADMIN_PASSWORD: PASSWORD },
    stdio: 'ignore',
  });
  t.teardown(() => child.kill('SIGKILL'));
  await until('the hub online on MQTT', async () => retained(broker, 'ha', 'warren/status') === 'online', 120_000);
  child.kill('SIGKILL');
  await until('offline', async () => retained(broker, 'ha', 'warren/status') === 'offline', 30_000);
  t.pass('the broker published the will: offline');
});
