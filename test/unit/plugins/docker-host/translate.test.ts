import t from 'tap';
import { readFileSync } from 'node:fs';
import {
  attributeListeners,
  canonicalJson,
  connectionError,
  containerLabels,
  DockerStreamDemuxer,
  engineMessage,
  LABEL,
  LineSplitter,
  memoryWithoutCache,
  normaliseArch,
  parseListenerDump,
  PullProgress,
  serviceConfigHash,
  splitTimestamp,
  startOrder,
  startOrderFromLabels,
  summariseStack,
  timeKey,
  toCreateOptions,
  toEngineInfo,
  toServiceStatus,
  toWarrenError,
  type InspectLike,
} from '../../../../plugins/docker-host/translate.js';
import { AuthFailedError, NotReadyError } from '../../../../core/plugin/types.js';
import { WarrenError } from '../../../../core/errors.js';
import type { StackSpec } from '../../../../core/providers/compose.js';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/docker/${name}`, import.meta.url));
const json = <T = unknown>(name: string) => JSON.parse(fixture(name).toString('utf8')) as T;

t.test('architecture names from either engine become OCI platform names', async (t) => {
  t.same(normaliseArch('x86_64'), { arch: 'amd64' });
  t.same(normaliseArch('amd64'), { arch: 'amd64' });
  t.same(normaliseArch('aarch64'), { arch: 'arm64' });
  t.same(normaliseArch('arm64'), { arch: 'arm64' });
  t.same(normaliseArch('armv7l'), { arch: 'arm', variant: 'v7' });
  t.same(normaliseArch('armv6l'), { arch: 'arm', variant: 'v6' });
  t.same(normaliseArch('i686'), { arch: '386' });
  t.same(normaliseArch('arm', 'v7'), { arch: 'arm', variant: 'v7' }, 'the engine variant is kept');
  t.same(normaliseArch('riscv64'), { arch: 'riscv64' });
});

t.test('engine info from real Docker and Podman answers', async (t) => {
  const docker = toEngineInfo(json('docker-info.json'), json('docker-version.json'));
  t.equal(docker.engine, 'docker');
  t.equal(docker.arch, 'amd64', 'x86_64 normalised');
  t.equal(docker.variant, undefined);
  t.equal(docker.apiVersion, '1.41');
  t.ok(docker.cpus > 0 && docker.memoryBytes > 0);
  const podman = toEngineInfo(json('podman-info.json'), json('podman-version.json'));
  t.equal(podman.engine, 'podman');
  t.equal(podman.version, '4.3.1', 'the Podman engine version, not the compatible API version');
  t.equal(podman.arch, 'amd64');
  t.same(toEngineInfo({ Architecture: 'armv7l', NCPU: 4, MemTotal: 1e9 }, {}).variant, 'v7');
});

const stack = (): StackSpec => ({
  project: 'shop',
  labels: { 'lab.owner': 'ann' },
  services: {
    web: {
      image: 'nginx:1.25',
      command: ['nginx', '-g', 'daemon off;'],
      environment: { A: '1' },
      ports: [
        { target: 80, published: 8080 },
        { target: 53, published: 5353, protocol: 'udp', hostIp: '127.0.0.1' },
        { target: 9000 },
      ],
      volumes: [
        { type: 'volume', source: 'data', target: '/data' },
        { type: 'bind', source: '/srv/shop', target: '/srv', readOnly: true },
        { type: 'tmpfs', target: '/cache' },
      ],
      networks: ['front', 'back'],
      aliases: ['www'],
      healthcheck: { test: ['CMD', 'true'], intervalSeconds: 2, timeoutSeconds: 1.5, retries: 4, startPeriodSeconds: 10 },
      dependsOn: { db: { condition: 'service_healthy' } },
      restart: 'unless-stopped',
      resources: { limits: { memoryBytes: 256 * 2 ** 20, cpus: 1.5 }, reservations: { memoryBytes: 64 * 2 ** 20, cpus: 0.25 } },
      devices: [{ host: '/dev/ttyUSB0', container: '/dev/zigbee' }],
      labels: { 'svc.label': 'x' },
      user: '1000:1000',
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      tmpfs: ['/run:size=64m'],
      extraHosts: ['gw=10.0.0.1'],
      stopGracePeriodSeconds: 20,
    },
    db: { image: 'postgres:16', healthcheck: { test: ['CMD-SHELL', 'pg_isready'] }, networks: ['back'] },
    sidecar: { image: 'busybox', networkMode: 'service:web' },
  },
  networks: { front: {}, back: { internal: true }, shared: { external: true, name: 'pool-net' } },
  volumes: { data: {} },
});

t.test('a service becomes the container create body Docker and Podman accept', async (t) => {
  const { options, extraNetworks } = toCreateOptions(stack(), 'web', 'abc');
  const o = options as Record<string, any>;
  t.equal(o.name, 'shop-web-1');
  t.same(o.Cmd, ['nginx', '-g', 'daemon off;']);
  t.same(o.Env, ['A=1']);
  t.same(o.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '9000/tcp': {} });
  t.same(o.HostConfig.PortBindings, {
    '80/tcp': [{ HostIp: '', HostPort: '8080' }],
    '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
  }, 'an unpublished port is only exposed');
  t.same(o.HostConfig.Binds, ['/srv/shop:/srv:ro']);
  t.same(o.HostConfig.Mounts, [
    { Type: 'volume', Source: 'shop_data', Target: '/data', ReadOnly: false },
    { Type: 'tmpfs', Target: '/cache' },
  ]);
  t.equal(o.HostConfig.NetworkMode, 'shop_front');
  t.same(o.NetworkingConfig, { EndpointsConfig: { shop_front: { Aliases: ['web', 'www'] } } });
  t.same(extraNetworks, [{ network: 'shop_back', aliases: ['web', 'www'] }], 'the second network is connected after create');
  t.same(o.Healthcheck, { Test: ['CMD', 'true'], Interval: 2e9, Timeout: 1.5e9, Retries: 4, StartPeriod: 10e9 });
  t.same(o.HostConfig.RestartPolicy, { Name: 'unless-stopped' });
  t.equal(o.HostConfig.Memory, 256 * 2 ** 20);
  t.equal(o.HostConfig.NanoCpus, 1.5e9);
  t.equal(o.HostConfig.MemoryReservation, 64 * 2 ** 20);
  t.equal(o.HostConfig.CpuShares, 256);
  t.same(o.HostConfig.Devices, [{ PathOnHost: '/dev/ttyUSB0', PathInContainer: '/dev/zigbee', CgroupPermissions: 'rwm' }]);
  t.same(o.HostConfig.CapAdd, ['NET_ADMIN']);
  t.same(o.HostConfig.CapDrop, ['ALL']);
  t.same(o.HostConfig.Tmpfs, { '/run': 'size=64m' });
  t.same(o.HostConfig.ExtraHosts, ['gw:10.0.0.1']);
  t.equal(o.User, '1000:1000');
  t.equal(o.StopTimeout, 20);
  t.equal(o.Labels['svc.label'], 'x');
  t.equal(o.Labels['lab.owner'], 'ann', 'stack labels reach every container');
  t.equal(o.Labels[LABEL.image], 'abc');
});

t.test('Compose labels let docker compose ls/ps see the stack', async (t) => {
  const labels = containerLabels({ ...stack(), workingDir: '/srv/apps/shop', configFiles: ['/srv/apps/shop/compose.yaml'] }, 'web', undefined);
  t.equal(labels[LABEL.project], 'shop');
  t.equal(labels[LABEL.service], 'web');
  t.equal(labels[LABEL.number], '1');
  t.equal(labels[LABEL.oneoff], 'False');
  t.equal(labels[LABEL.workingDir], '/srv/apps/shop');
  t.equal(labels[LABEL.configFiles], '/srv/apps/shop/compose.yaml');
  t.match(labels[LABEL.version], /^2\.\d+\.\d+$/);
  t.equal(labels[LABEL.dependsOn], 'db:service_healthy:false');
  t.match(labels[LABEL.configHash], /^[0-9a-f]{64}$/);
});

t.test('network_mode service:<name> joins that service container; no network endpoint of its own', async (t) => {
  const { options } = toCreateOptions(stack(), 'sidecar');
  const o = options as Record<string, any>;
  t.equal(o.HostConfig.NetworkMode, 'container:shop-sidecar-1'.replace('sidecar', 'web'));
  t.equal(o.NetworkingConfig, undefined);
});

t.test('config hash: same spec same hash, any change a new hash', async (t) => {
  const a = stack();
  const b = JSON.parse(JSON.stringify(a)) as StackSpec;
  // Key order must not matter: the spec may have been rebuilt from YAML.
  b.services.web!.environment = { A: '1' };
  b.services = { db: b.services.db!, sidecar: b.services.sidecar!, web: b.services.web! };
  t.equal(serviceConfigHash(a, 'web'), serviceConfigHash(b, 'web'));
  b.services.web!.environment = { A: '2' };
  t.not(serviceConfigHash(a, 'web'), serviceConfigHash(b, 'web'));
  t.equal(serviceConfigHash(a, 'db'), serviceConfigHash(b, 'db'), 'a change in web leaves db alone');
  const c = stack();
  c.labels = { 'lab.owner': 'bob' };
  t.not(serviceConfigHash(a, 'db'), serviceConfigHash(c, 'db'), 'stack labels are part of every container');
  t.equal(canonicalJson({ b: 1, a: [1, { d: undefined, c: 2 }] }), '{"a":[1,{"c":2}],"b":1}');
});

t.test('start order puts dependencies first', async (t) => {
  const order = startOrder(stack());
  t.same(order, ['db', 'web', 'sidecar'], 'db before web; the sidecar joins web\'s network, so after web');
  t.same(
    startOrderFromLabels([
      { service: 'app', dependsOn: 'db:service_healthy:false,cache:service_started:false' },
      { service: 'db', dependsOn: '' },
      { service: 'cache', dependsOn: '' },
    ]),
    ['cache', 'db', 'app'],
  );
  t.equal(containerLabels(stack(), 'sidecar', undefined)[LABEL.dependsOn], 'web:service_started:false');
});

t.test('status from real inspect answers of both engines', async (t) => {
  const healthy = toServiceStatus(json<InspectLike>('docker-inspect-healthy.json'));
  t.equal(healthy.service, 'web');
  t.equal(healthy.state, 'running');
  t.equal(healthy.health, 'healthy');
  t.same(healthy.ports, [
    { target: 8080, published: 38090, protocol: 'tcp' },
    { target: 9999, published: 38091, protocol: 'udp' },
  ], 'one entry per published port, not one per address family');
  t.equal(healthy.containerName, 'fx-web');

  const exited = toServiceStatus(json<InspectLike>('docker-inspect-exited.json'));
  t.equal(exited.state, 'exited');
  t.equal(exited.health, 'none', 'a stopped container is not reported unhealthy');
  t.type(exited.exitCode, 'number');
  t.same(exited.ports.map((p) => p.published), [38090, 38091], 'published ports come from the config while stopped');

  t.equal(toServiceStatus(json<InspectLike>('podman-inspect-starting.json')).health, 'starting');
  const p = toServiceStatus(json<InspectLike>('podman-inspect-healthy.json'));
  t.equal(p.health, 'healthy');
  t.same(p.ports, [{ target: 8080, published: 38092, protocol: 'tcp' }]);
});

t.test('stack state summarises services', async (t) => {
  const s = (state: any, health: any = 'none') => ({ service: `s${Math.random()}`, image: 'x', state, health, ports: [] });
  t.equal(summariseStack('p', []).state, 'missing');
  t.equal(summariseStack('p', [s('running'), s('running', 'healthy')]).state, 'running');
  t.equal(summariseStack('p', [s('running'), s('running', 'starting')]).state, 'partial', 'not yet healthy is not running');
  t.equal(summariseStack('p', [s('exited'), s('created')]).state, 'stopped');
  t.equal(summariseStack('p', [s('running'), s('exited')]).state, 'partial');
});

t.test('listeners from a real /proc/net dump', async (t) => {
  const list = parseListenerDump(fixture('proc-net-dump.txt').toString('utf8'));
  const has = (port: number, protocol: string, address?: string) =>
    list.some((l) => l.port === port && l.protocol === protocol && (address === undefined || l.address === address));
  t.ok(has(5432, 'tcp', '127.0.0.1'), 'postgres on loopback');
  t.ok(has(38096, 'tcp', '::1'), 'IPv6 loopback listener');
  t.ok(has(38093, 'udp', '0.0.0.0'), 'bound UDP socket');
  t.ok(has(38094, 'udp', '::'), 'bound UDP6 socket');
  t.notOk(has(38095, 'udp'), 'a connected UDP socket is a client, not a listener');
  t.notOk(list.some((l) => l.port === 49540), 'established TCP connections are not listeners');
  t.equal(list.filter((l) => l.port === 5432).length, 1, 'no duplicates');
});

t.test('listeners are attributed to containers; published ports without a socket still count', async (t) => {
  const out = attributeListeners(
    [
      { port: 5432, protocol: 'tcp', address: '127.0.0.1' },
      { port: 8080, protocol: 'tcp', address: '0.0.0.0' },
    ],
    [
      { port: 8080, protocol: 'tcp', container: 'shop-web-1' },
      { port: 5353, protocol: 'udp', container: 'shop-dns-1' },
    ],
  );
  t.same(out, [
    { port: 5353, protocol: 'udp', owner: 'container:shop-dns-1' },
    { port: 5432, protocol: 'tcp', address: '127.0.0.1', owner: 'process' },
    { port: 8080, protocol: 'tcp', address: '0.0.0.0', owner: 'container:shop-web-1' },
  ]);
});

t.test('the multiplexed log stream of a real container, split at any byte', async (t) => {
  const raw = fixture('docker-logs-multiplexed.bin');
  const decode = (chunks: Buffer[]) => {
    const d = new DockerStreamDemuxer();
    const split = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const out: string[] = [];
    for (const c of chunks) for (const f of d.push(c)) for (const l of split[f.stream].push(f.data)) out.push(`${f.stream}:${splitTimestamp(l).line}`);
    return out;
  };
  const whole = decode([raw]);
  t.same(whole, ['stderr:err1', 'stdout:out1']);
  for (let i = 1; i < raw.length; i++) t.same(decode([raw.subarray(0, i), raw.subarray(i)]), whole, `split at ${i}`);
});

t.test('lines across frames, CRLF, multi-byte characters and a last unterminated line', async (t) => {
  const s = new LineSplitter();
  const euro = Buffer.from('€');
  t.same(s.push(Buffer.concat([Buffer.from('a\r\nb'), euro.subarray(0, 1)])), ['a']);
  t.same(s.push(Buffer.concat([euro.subarray(1), Buffer.from('\nc')])), ['b€']);
  t.same(s.flush(), ['c']);
  t.same(splitTimestamp('2026-11-27T00:49:58.625425469Z hello world'), { at: '2026-11-27T00:49:58.625425469Z', line: 'hello world' });
  t.same(splitTimestamp('no time here'), { line: 'no time here' });
});

t.test('engine times sort by their value, whatever their precision', async (t) => {
  const times = ['2026-11-27T00:47:29.788326957Z', '2026-11-27T00:47:29.78832Z', '2026-11-27T00:47:29Z', '2026-11-27T00:47:30.1Z'];
  t.same([...times].sort((a, b) => (timeKey(a) < timeKey(b) ? -1 : 1)), [
    '2026-11-27T00:47:29Z',
    '2026-11-27T00:47:29.78832Z',
    '2026-11-27T00:47:29.788326957Z',
    '2026-11-27T00:47:30.1Z',
  ]);
});

t.test('container memory leaves out the inactive file cache (cgroup v1 and v2)', async (t) => {
  const v1 = json<any>('docker-stats-cgroup1.json');
  t.equal(memoryWithoutCache(v1), v1.memory_stats.usage - v1.memory_stats.stats.total_inactive_file);
  t.ok(v1.memory_stats.stats.total_inactive_file !== undefined, 'the fixture is a cgroup v1 reading');
  const v2 = { memory_stats: { usage: 50_000_000, limit: 1e9, stats: { inactive_file: 20_000_000, anon: 25_000_000 } } };
  t.equal(memoryWithoutCache(v2), 30_000_000);
  t.equal(memoryWithoutCache({ memory_stats: { usage: 100, stats: { inactive_file: 500 } } }), 100, 'never negative');
});

t.test('pull progress folds layers into one fraction', async (t) => {
  const p = new PullProgress('busybox');
  t.equal(p.next({ status: 'Pulling from library/busybox', id: 'latest' }).fraction, undefined);
  t.equal(p.next({ status: 'Downloading', id: 'l1', progressDetail: { current: 50, total: 100 } }).fraction, 0.5);
  const e = p.next({ status: 'Downloading', id: 'l2', progressDetail: { current: 0, total: 300 } });
  t.equal(e.fraction, 50 / 400);
  t.equal(e.message, 'l2: Downloading');
  t.equal(p.next({ status: 'Download complete', id: 'l1' }).fraction, 100 / 400);
});

t.test('connection failures keep their meaning: retry or reconfigure', async (t) => {
  t.type(connectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'x'), NotReadyError);
  t.type(connectionError(Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }), 'x'), NotReadyError);
  t.type(connectionError(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }), 'x'), NotReadyError);
  t.type(connectionError(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }), 'x'), AuthFailedError);
  t.type(connectionError(Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'x'), AuthFailedError);
  t.type(connectionError(Object.assign(new Error('tlsv1 alert unknown ca'), { code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' }), 'x'), AuthFailedError);
  t.equal(connectionError(Object.assign(new Error('(HTTP code 409) conflict'), { statusCode: 409 }), 'x'), undefined);
  t.equal(
    connectionError(Object.assign(new Error('(HTTP code 500) server error - dial tcp: i/o timeout'), { statusCode: 500, code: 'ETIMEDOUT' }), 'x'),
    undefined,
    'the engine answered: a registry timeout is the engine\'s error, not an unreachable engine',
  );
  const w = toWarrenError(Object.assign(new Error('(HTTP code 404) no such container - x'), { statusCode: 404, json: { message: 'No such container: x' } }), 'inspect x', 'unix:///s');
  t.type(w, WarrenError);
  t.equal((w as WarrenError).code, 'WARREN_ERR_ENGINE');
  t.equal(w.message, 'inspect x: No such container: x');
  t.equal(engineMessage(new Error('(HTTP code 500) server error - Get "https://registry-1.docker.io/v2/": no such host ')), 'Get "https://registry-1.docker.io/v2/": no such host');
});

t.test('Podman-style stats without a breakdown are marked; the cgroup says how much is inactive file cache', async (t) => {
  const { hasMemoryBreakdown, inactiveFileFromMemoryStat, memoryCgroupDir } = await import('../../../../plugins/docker-host/translate.js');
  t.equal(hasMemoryBreakdown({ memory_stats: { usage: 51_961_856, limit: 25_276_510_208 } }), false, 'Podman 4.3 on cgroup v1 gives usage only');
  t.equal(hasMemoryBreakdown({ memory_stats: { usage: 1, stats: { inactive_file: 0 } } }), true);
  t.equal(memoryCgroupDir('12:pids:/libpod_parent/libpod-abc\n4:memory:/libpod_parent/libpod-abc\n1:name=systemd:/x\n'), '/sys/fs/cgroup/memory/libpod_parent/libpod-abc');
  t.equal(memoryCgroupDir('0::/machine.slice/libpod-abc.scope\n'), '/sys/fs/cgroup/machine.slice/libpod-abc.scope');
  t.equal(memoryCgroupDir('3:cpu,cpuacct:/x\n'), undefined, 'no memory controller, no answer');
  t.equal(inactiveFileFromMemoryStat('cache 50413568\ninactive_file 40\ntotal_inactive_file 33554432\n'), 33_554_432, 'v1: the hierarchical total');
  t.equal(inactiveFileFromMemoryStat('anon 1000\nfile 2000\ninactive_file 1500\n'), 1500, 'v2');
  t.equal(inactiveFileFromMemoryStat('garbage'), undefined);
});
