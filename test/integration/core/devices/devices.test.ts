// Devices and live metrics in a real hub against real engines: this machine's Docker over its socket,
// test device dev1 over SSH (its /proc read by ssh-procfs) and dev2 over TCP+TLS (node_exporter for
// host figures). Faults are provoked on throwaway connections (a TCP port with nothing behind it, a
// proxy in front of dev2 that the test cuts), never on the shared test devices themselves.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { io as connectSocket } from 'socket.io-client';
import { DevicesFeature } from '../../../../core/devices/index.js';
import type { DeviceView, SummaryView } from '../../../../core/devices/index.js';
import { featureRoutes } from '../../../../core/features.js';
import { parseSnapshot } from '../../../../core/placement/index.js';
import { adminToken, startTestHub, type TestHub } from '../../../helpers/hub.js';
import { needServices, type TestEnvState } from '../../../helpers/services.js';
import { until } from '../../../helpers/wait.js';

const PASSWORD = 'correct horse battery';
const INTERVAL_MS = 1_000;

async function hubWithDevices(t: Test, env: Record<string, string> = {}, feature = new DevicesFeature({ pollIntervalMs: INTERVAL_MS, watchedIntervalMs: 500 }), keepDataDir?: string) {
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD, ...env }, hub: { extensions: [feature], routeModules: featureRoutes() }, ...(keepDataDir ? { keepDataDir } : {}) });
  const token = await adminToken(th, PASSWORD);
  const api = (method: string, path: string, body?: unknown) => onceMoreIfReset(() => th.call(method, path, { token, body }));
  return { th, token, api };
}

/**
 * Client and hub share one event loop here; on a machine this loaded the loop can lag past the
 * server's 5 s keep-alive, so the server closes a pooled connection just as the next request goes out
 * on it (ECONNRESET before any response: the request was never read). That is the test's transport,
 * not the behaviour under test, so such a request is sent once more.
 */
async function onceMoreIfReset<T>(fn: () => Promise<T>, isReset = (e: unknown) => e instanceof TypeError && /fetch failed/.test(e.message)): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isReset(e)) throw e;
    return fn();
  }
}


/** Nothing in the hub's log at error level, and no unhandled or uncaught anything. */
function assertCleanLog(t: Test, th: TestHub): void {
  const bad = th.logs.filter((l) => /"level":(50|60)/.test(l) || /unhandled|uncaught/i.test(l));
  t.same(bad, [], 'no errors and nothing unhandled in the hub log');
}

const tlsOf = (s: TestEnvState, i: number) => {
  const f = s.devices![i]!.docker.tcp.tls;
  return { ca: readFileSync(f.ca, 'utf8'), cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') };
};

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

t.test('Test connection with a wrong socket answers ok:false with the reason and saves nothing; bad input is a 400 with paths', async (t) => {
  const { api, th } = await hubWithDevices(t);
  const r = await api('POST', '/api/devices/test', { engine: 'docker', connection: { type: 'socket', socketPath: '/run/no-such-engine.sock' } });
  t.equal(r.status, 200);
  t.equal(r.body.ok, false);
  t.match(r.body.message, /no-such-engine\.sock.*(ENOENT|not reachable)/, `the reason: ${r.body.message}`);
  t.same((await api('GET', '/api/devices')).body.devices, [], 'no device saved');
  t.same((await api('GET', '/api/plugins/instances')).body.instances, [], 'no provider instance saved');

  const bad = await api('POST', '/api/devices', { engine: 'lxd', connection: { type: 'tcp', host: 'nas', port: 0 } });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'WARREN_ERR_INVALID_INPUT');
  const paths = bad.body.error.details.map((d: { path: string }) => d.path);
  for (const p of ['/name', '/engine', '/connection/port', '/connection/tls']) t.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
  t.equal((await api('GET', '/api/devices/nope')).status, 404);
  t.equal((await api('DELETE', '/api/devices/nope')).status, 404);
  t.equal((await api('POST', '/api/devices/nope/cordon')).status, 404);
  t.equal((await api('GET', '/api/devices/nope/metrics?range=1h')).status, 404);
  assertCleanLog(t, th);
});

t.test('local Docker, dev1 over SSH and dev2 over TCP+TLS: fresh figures, totals that add up, a valid snapshot, live updates', async (t) => {
  const state = needServices(t, 'docker', 'devices', 'images', 'nodeExporter');
  if (!state) return;
  const [dev1, dev2] = state.devices!;
  const { api, th, token } = await hubWithDevices(t, {}, new DevicesFeature({ pollIntervalMs: 2 * INTERVAL_MS, watchedIntervalMs: 500 }));
  const helperImage = state.images!.web!;

  const added: DeviceView[] = [];
  for (const body of [
    { name: 'local', connection: { type: 'socket', socketPath: state.docker!.socket }, helperImage },
    {
      name: 'dev1',
      connection: { type: 'ssh', host: dev1!.ssh.host, port: dev1!.ssh.port, username: dev1!.ssh.username, privateKey: readFileSync(dev1!.ssh.privateKeyPath, 'utf8') },
      helperImage,
      labels: { room: 'cupboard' },
    },
    {
      name: 'dev2',
      connection: { type: 'tcp', host: dev2!.docker.tcp.host, port: dev2!.docker.tcp.port, tls: tlsOf(state, 1) },
      nodeExporterUrl: dev2!.nodeExporter!.url,
      helperImage,
      reserve: { memoryBytes: 256 * 2 ** 20 },
    },
  ]) {
    const r = await api('POST', '/api/devices', body);
    t.equal(r.status, 201, `added ${body.name}: ${JSON.stringify(r.body.error ?? '')}`);
    added.push(r.body.device);
  }
  t.same(added.map((d) => d.connection.metrics), [{ source: 'local' }, { source: 'ssh-procfs', host: dev1!.ssh.host, port: dev1!.ssh.port, username: 'root' }, { source: 'node-exporter', url: dev2!.nodeExporter!.url }]);
  t.notMatch(JSON.stringify(added), /PRIVATE KEY/, 'no key in what the API returns');


  // Every device fresh with memory, storage and a CPU rate (which needs two readings).
  const view = await until('three fresh devices with every figure', async () => {
    const s = (await api('GET', '/api/summary')).body as SummaryView;
    return s.devices.length === 3 && s.devices.every((d) => d.state === 'fresh' && d.memory && d.storage && d.cpu) && s;
  });
  const s = view.summary;
  t.same(s.devices, { fresh: 3, stale: 0, offline: 0, total: 3 });
  // The three devices are network namespaces on this one machine: its RAM, cores and disks count once
  // (test/integration/core/metrics/summary.test.ts checks those totals in detail).
  t.equal(s.sharedMachines.length, 1, 'one machine under the three devices');
  t.equal(s.memory.totalBytes, view.devices[0]!.memory!.totalBytes, 'RAM total is the one machine\'s');
  t.ok(view.devices.some((d) => d.memory!.availableBytes === s.memory.availableBytes), 'RAM available is the machine\'s newest figure');
  t.equal(s.cpu.cores, view.devices[0]!.cpu!.cores, 'cores are the one machine\'s');
  t.same(s.memory.covers, { devices: 3, of: 3, machines: 1 });
  t.ok(s.memory.totalBytes > 0 && s.memory.usedBytes > 0);
  t.ok(view.devices.some((d) => d.cpu!.utilisation === s.cpu.utilisation), 'CPU is the machine\'s newest rate');
  t.same(s.pooling, { bytes: 0, basis: 'estimated', ageMs: s.pooling!.ageMs }, 'no pooling savings until the pooling feature reports them');

  // The pooling feature's hook shows up in the next summary.
  th.hub.services.metrics!.setPoolingSavings({ bytes: 300 * 2 ** 20, basis: 'measured' });
  await until('pooling savings in the summary', async () => ((await api('GET', '/api/summary')).body as SummaryView).summary.pooling?.bytes === 300 * 2 ** 20);

  const list = (await api('GET', '/api/devices')).body.devices as DeviceView[];
  const byName = Object.fromEntries(list.map((d) => [d.name, d]));
  t.equal(byName.dev1!.cpuScore.basis === 'assumed', false, `dev1's CPU score comes from its SSH benchmark (${JSON.stringify(byName.dev1!.cpuScore)})`);
  t.equal(byName.local!.cpuScore.basis, 'assumed', 'no benchmark for the local socket: 1.0 assumed, with a note');
  t.match(byName.local!.cpuScore.note, /assumed/);
  for (const d of list) {
    t.ok(d.instances.every((i) => i.state === 'ready'), `${d.name}: every provider instance ready`);
    t.equal(d.engineInfo?.engine, 'docker');
  }

  // The placement snapshot from live data, once it shows the three devices online. Under CPU stress,
  // polls of local and dev2 timed out ("no reading within 10000 ms") while their inventory probes ran;
  // before a device needed two failed attempts in a row to go offline (core/metrics/device-state.ts),
  // one such timeout at this test's 2 s interval made it offline for a few seconds, and one snapshot
  // caught it without image lists. Any device still offline in a snapshot is written out; what is
  // checked here is the snapshot's contents.
  const snapshot = await until('a snapshot with the three devices online', async () => {
    const r = await api('GET', `/api/devices/snapshot?image=${encodeURIComponent(helperImage)}`);
    if (r.status !== 200) throw new Error(`GET /api/devices/snapshot: ${r.status} ${JSON.stringify(r.body)}`);
    const s = parseSnapshot(r.body);
    const offline = s.devices.filter((d) => !d.online);
    for (const d of offline) t.comment(`${d.name} offline in a snapshot: ${(await api('GET', `/api/devices/${d.id}`)).body.device?.message}`);
    return s.devices.length === 3 && offline.length === 0 && s;
  });
  t.equal(snapshot.devices.length, 3);
  t.same(th.logs.filter((l) => /reading its .* failed/.test(l)), [], 'every probe (ports, device paths, stacks) answered');
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  for (const d of snapshot.devices) {
    t.equal(d.online, true, `${d.name} online`);
    t.equal(d.arch, arch, `${d.name}: arch from the engine, normalised`);
    t.ok(d.cores > 0 && d.memory.availableBytes > 0 && d.storage.availableBytes > 0, `${d.name}: cores, free RAM and disk`);
    t.not(d.metricsAgeSeconds, null);
    t.ok(d.images.some((i) => i.includes(helperImage.split(':')[0]!)), `${d.name} has ${helperImage}`);
  }
  const local = snapshot.devices.find((d) => d.name === 'local')!;
  const hubPort = new URL(th.url).port;
  t.ok(local.listeningPorts.includes(`${hubPort}/tcp`), `the hub's own port ${hubPort} is among this machine's listeners`);
  const snapDev1 = snapshot.devices.find((d) => d.name === 'dev1')!;
  t.ok(snapDev1.listeningPorts.includes(`${dev1!.ssh.port}/tcp`), "dev1's sshd is among its listeners (its own network namespace)");
  t.notOk(snapDev1.listeningPorts.includes(`${hubPort}/tcp`), "dev1 does not see this machine's listeners");
  t.equal(snapshot.devices.find((d) => d.name === 'dev2')!.memory.reserveBytes, 256 * 2 ** 20, 'the reserve is passed on');
  t.ok(snapDev1.cpuScorePerCore! > 0);

  // Cordoning shows in the snapshot.
  t.equal((await api('POST', `/api/devices/${snapDev1.id}/cordon`)).body.device.cordoned, true);
  t.equal(parseSnapshot((await api('GET', '/api/devices/snapshot')).body).devices.find((d) => d.id === snapDev1.id)!.cordoned, true);
  t.equal((await api('POST', `/api/devices/${snapDev1.id}/uncordon`)).body.device.cordoned, false);

  // Test connection for a saved device uses its stored secrets.
  const saved = await api('POST', `/api/devices/${snapDev1.id}/test`);
  t.equal(saved.body.ok, true, saved.body.message);
  t.equal(saved.body.metrics.ok, true, 'ssh-procfs answers with the stored key');

  // History from the store.
  const hist = await api('GET', `/api/devices/${byName.dev2!.id}/metrics?range=1h`);
  t.equal(hist.status, 200);
  t.ok(hist.body.series['memory.used_bytes']?.length >= 2, 'memory history');
  const up = hist.body.series.up as [number, number][];
  // 0 only if the device went offline for a while (a loaded machine can make a poll that slow).
  t.ok(up.every(([, v]) => v === 0 || v === 1) && up.filter(([, v]) => v === 1).length >= 2 && up.at(-1)![1] === 1, `up recorded per poll: ${JSON.stringify(up.map(([, v]) => v))}`);
  t.equal((await api('GET', `/api/devices/${byName.dev2!.id}/metrics?range=5y`)).status, 400);

  // The summary room: a snapshot with a revision, then updates with the following revisions.
  const socket = connectSocket(th.url, { auth: { token }, transports: ['websocket'] });
  t.teardown(() => void socket.close());
  const updates: { revision: number; data: SummaryView }[] = [];
  socket.on('update', (u: { room: string; revision: number; data: SummaryView }) => {
    if (u.room === 'summary') updates.push(u);
  });
  const sub = await socket.emitWithAck('subscribe', { room: 'summary' });
  t.equal(sub.ok, true);
  t.equal(sub.data.snapshot.devices.length, 3);
  await until('three summary updates', async () => updates.length >= 3);
  t.equal(updates[0]!.revision, sub.data.revision + 1, 'the first update follows the snapshot');
  t.same(updates.map((u) => u.revision), updates.map((_, i) => sub.data.revision + 1 + i), 'revisions without gaps');
  t.equal(updates.at(-1)!.data.revision, updates.at(-1)!.revision, 'the payload carries its revision');

  // Watching a device's room polls it faster: count its readings against an unwatched device's.
  const watched = byName.dev2!;
  const deviceUpdates: DeviceView[] = [];
  socket.on('update', (u: { room: string; data: DeviceView }) => {
    if (u.room === `device:${watched.id}`) deviceUpdates.push(u.data);
  });
  const dsub = await socket.emitWithAck('subscribe', { room: `device:${watched.id}` });
  t.equal(dsub.data.snapshot.name, 'dev2');
  const from = Date.now();
  await until('a dozen device updates', async () => deviceUpdates.length >= 12);
  const to = Date.now();
  t.ok(deviceUpdates.every((d) => d.id === watched.id && d.figures.memory), 'each update is the whole device view');
  t.equal(th.hub.services.metrics!.polled(watched.id)!.watched, true, 'the poller knows someone watches');
  await socket.emitWithAck('unsubscribe', { room: `device:${watched.id}` });
  t.equal(th.hub.services.metrics!.polled(watched.id)!.watched, false, 'and that nobody does any more');
  const readings = async (id: string) => (await th.hub.store.metrics.range({ device: id, metric: 'up', from, to })).length;
  const [fast, normal] = [await readings(watched.id), await readings(byName.dev1!.id)];
  t.ok(fast >= 2 * Math.max(1, normal), `watched: ${fast} readings, unwatched: ${normal} over the same time`);

  // The hub's own Prometheus series.
  const prom = await th.call('GET', '/metrics', { token });
  t.match(prom.body, new RegExp(`warren_poll_duration_seconds_count\\{device="${byName.dev2!.id}",result="ok"\\} [1-9]`));
  t.match(prom.body, /warren_devices\{state="fresh"\} 3/);
  t.match(prom.body, new RegExp(`warren_device_state\\{device="${byName.dev1!.id}",name="dev1",state="fresh"\\} 1`));

  t.notMatch(th.logs.join(''), /PRIVATE KEY|BEGIN CERTIFICATE/, 'no key or certificate in the hub log');

  // Removing takes the provider instances and the history with it.
  for (const d of added.splice(0)) t.equal((await api('DELETE', `/api/devices/${d.id}`)).status, 200);
  t.same((await api('GET', '/api/devices')).body.devices, []);
  t.same((await api('GET', '/api/plugins/instances')).body.instances, [], 'no provider instance left');
  t.same(await th.hub.store.metrics.range({ device: byName.dev2!.id }), [], 'no history left');
  await until('an empty summary', async () => ((await api('GET', '/api/summary')).body as SummaryView).summary.devices.total === 0);
  assertCleanLog(t, th);
});

t.test('an unreachable device is stale, then offline with the reason, and the hub carries on', async (t) => {
  const state = needServices(t, 'devices');
  if (!state) return;
  const { api, th } = await hubWithDevices(t);
  const states: string[] = [];
  th.hub.bus.on('device.state', (e) => {
    if (e.device === 'ghost') states.push(e.state);
  });
  const port = await freePort();
  const r = await api('POST', '/api/devices', { name: 'ghost', connection: { type: 'tcp', host: '127.0.0.1', port, tls: tlsOf(state, 1) } });
  t.equal(r.status, 201);
  await until('ghost offline', async () => states.includes('offline'), 30_000);
  t.same(states.slice(0, 2), ['stale', 'offline'], 'stale first, then offline');
  const ghost = (await api('GET', '/api/devices/ghost')).body.device as DeviceView;
  t.equal(ghost.state, 'offline');
  t.equal(ghost.online, false);
  t.match(ghost.message, /ECONNREFUSED|not reachable|retrying/, `says why: ${ghost.message}`);
  t.equal(ghost.instances.find((i) => i.role === 'engine')!.state, 'retrying', 'the plugin host retries the engine connection with backoff');
  const snap = parseSnapshot((await api('GET', '/api/devices/snapshot')).body);
  t.equal(snap.devices[0]!.online, false);
  t.equal((await api('GET', '/api/health')).status, 200, 'the hub answers');
  const test = await api('POST', '/api/devices/ghost/test');
  t.equal(test.body.ok, false);
  t.equal((await api('DELETE', '/api/devices/ghost')).status, 200);
  assertCleanLog(t, th);
});

t.test('a device whose connection drops goes stale then offline on schedule, and fresh again when it returns', async (t) => {
  const state = needServices(t, 'devices');
  if (!state) return;
  const dev2 = state.devices![1]!;
  // A TCP proxy in front of dev2's TLS engine port (its certificate names 127.0.0.1 too): cutting it
  // is a real engine going away, without touching the shared device.
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const port = await freePort();
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = tcpConnect(dev2.docker.tcp.port, dev2.docker.tcp.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server!.close(() => resolve());
    });
  await open();
  t.teardown(() => (server?.listening ? cut() : undefined));

  const { api, th } = await hubWithDevices(t);
  const states: string[] = [];
  th.hub.bus.on('device.state', (e) => {
    if (e.device === 'proxied') states.push(e.state);
  });
  const r = await api('POST', '/api/devices', { name: 'proxied', connection: { type: 'tcp', host: '127.0.0.1', port, tls: tlsOf(state, 1) } });
  t.equal(r.status, 201);
  await until('proxied fresh', async () => states.includes('fresh'));
  await cut();
  await until('proxied offline', async () => states.includes('offline'), 30_000);
  t.same(states.slice(states.indexOf('fresh')), ['fresh', 'stale', 'offline'], 'fresh, stale, offline in that order');
  const down = (await api('GET', '/api/devices/proxied')).body.device as DeviceView;
  t.match(down.message, /no reading for .* \(over 6 intervals\); last attempt: .*(ECONNREFUSED|not reachable)/, down.message);
  const summary = (await api('GET', '/api/summary')).body as SummaryView;
  t.same(summary.summary.devices, { fresh: 0, stale: 0, offline: 1, total: 1 });
  t.same(summary.summary.memory.covers, { devices: 0, of: 1, machines: 0 }, 'an offline device is left out of the totals');
  await open();
  await until('proxied fresh again', async () => states.at(-1) === 'fresh', 30_000);
  t.pass('back to fresh once the engine answers again');
  t.equal((await api('DELETE', '/api/devices/proxied')).status, 200);
  assertCleanLog(t, th);
});

t.test('on a first start the local engine becomes the first device, named after the host; after a restart it is polled again, not added twice', async (t) => {
  const state = needServices(t, 'docker');
  if (!state) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-devices-'));
  const start = () =>
    hubWithDevices(t, { WARREN_NO_LOCAL_DEVICE: '0' }, new DevicesFeature({ pollIntervalMs: INTERVAL_MS, localSockets: [{ engine: 'docker', socketPath: state.docker!.socket }] }), dataDir);
  const first = await start();
  const devices = await until('the local device', async () => {
    const list = (await first.api('GET', '/api/devices')).body.devices as DeviceView[];
    return list.length > 0 && list;
  });
  t.equal(devices.length, 1);
  t.equal(devices[0]!.name, hostname());
  t.same(devices[0]!.connection, { type: 'socket', socketPath: state.docker!.socket, metrics: { source: 'local' } });
  const id = devices[0]!.id;
  await until('fresh', async () => ((await first.api('GET', `/api/devices/${id}`)).body.device as DeviceView).state === 'fresh');
  assertCleanLog(t, first.th);
  await first.th.hub.stop('restart');
  const stoppedAt = Date.now();

  const second = await start();
  const again = await until('fresh after the restart', async () => {
    const d = (await second.api('GET', `/api/devices/${id}`)).body.device as DeviceView;
    return d.state === 'fresh' && d;
  });
  t.same(again.instances.map((i) => i.state), ['ready', 'ready'], 'its provider instances started once more');
  t.equal(((await second.api('GET', '/api/devices')).body.devices as DeviceView[]).length, 1, 'not registered a second time');
  const hist = await second.api('GET', `/api/devices/${id}/metrics?range=1h`);
  t.ok(hist.body.series.up.some(([at]: [number, number]) => at < stoppedAt), 'history from before the restart is kept');
  t.equal((await second.api('DELETE', `/api/devices/${id}`)).status, 200);
  assertCleanLog(t, second.th);
  await second.th.hub.stop('test over');
  rmSync(dataDir, { recursive: true, force: true });
});

t.test('the CLI against a running hub: devices add/list/test/cordon/remove and summary --json', async (t) => {
  const state = needServices(t, 'docker');
  if (!state) return;
  // A long interval: nothing here waits for states to change, and a loaded machine must not make it stale.
  const { th, token } = await hubWithDevices(t, {}, new DevicesFeature({ pollIntervalMs: 10 * INTERVAL_MS }));
  const { Command } = await import('commander');
  const { createCliContext } = await import('../../../../core/cli/context.js');
  const devicesCmd = await import('../../../../core/cli/commands/devices.js');
  const summaryCmd = await import('../../../../core/cli/commands/summary.js');
  const run = async (args: string[], json = true) => {
    let out = '';
    let err = '';
    const program = new Command('warren').exitOverride();
    const cli = createCliContext(() => ({ hub: th.url, token, json }), {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      exit: (code) => {
        t.comment(`warren ${args.join(' ')}: exit ${code}: ${err}`);
        throw Object.assign(new Error(`exit ${code}: ${err}`), { code });
      },
    });
    devicesCmd.register(program, cli);
    summaryCmd.register(program, cli);
    await program.parseAsync(args, { from: 'user' });
    return json ? JSON.parse(out) : out;
  };
  const cliRun = (args: string[], json = true) => onceMoreIfReset(() => run(args, json), (e) => /cannot reach the hub/.test((e as Error).message));
  const bad = await cliRun(['devices', 'test', '--socket', '/run/no-such-engine.sock']);
  t.equal(bad.ok, false);
  process.exitCode = 0;
  const added = await cliRun(['devices', 'add', '--name', 'cli-local', '--socket', state.docker!.socket, '--reserve-memory', '1G']);
  t.equal(added.name, 'cli-local');
  t.same(added.reserve, { memoryBytes: 2 ** 30 });
  const summary = await until('a fresh device in `warren summary --json`', async () => {
    const s = (await cliRun(['summary'])) as SummaryView;
    return s.devices[0]?.state === 'fresh' && s.devices[0].memory && s;
  });
  t.equal(summary.summary.memory.totalBytes, summary.devices[0]!.memory!.totalBytes);
  const human = await cliRun(['summary'], false);
  t.match(human, /Devices\s+1: 1 fresh, 0 stale, 0 offline/);
  t.match(human, /cli-local\s+fresh/);
  t.match(await cliRun(['devices', 'list'], false), /cli-local\s+cli-local\s+docker\s+amd64|cli-local\s+cli-local\s+docker/);
  t.equal((await cliRun(['devices', 'cordon', added.id])).cordoned, true);
  t.equal((await cliRun(['devices', 'test', added.id])).ok, true);
  t.same(await cliRun(['devices', 'remove', added.id]), { removed: added.id });
  await t.rejects(cliRun(['devices', 'remove', added.id]), /no device/);
});
