// ssh-procfs against the sshd of the test devices (network namespaces sharing this kernel, so their
// /proc is this machine's: boot time and memory must match what we read locally).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { normaliseArch } from '../../../../plugins/ssh-procfs/translate.js';
import { needServices, type TestDevice } from '../../../helpers/services.js';
import { SshProcfsSource, fingerprint } from '../../../../plugins/ssh-procfs/procfs-source.js';
import plugin from '../../../../plugins/ssh-procfs/index.js';
import { deriveCpu, isDropped } from '../../../../core/metrics/derive.js';
import { Poller } from '../../../../core/metrics/poller.js';
import { AuthFailedError, NotReadyError, type KeyValueStorage } from '../../../../core/plugin/types.js';

const env = needServices(t, 'devices');

class MemoryStorage implements KeyValueStorage {
  readonly map = new Map<string, unknown>();
  async get<T>(k: string) { return this.map.get(k) as T | undefined; }
  async set(k: string, v: unknown) { this.map.set(k, v); }
  async delete(k: string) { this.map.delete(k); }
  async keys() { return [...this.map.keys()]; }
}

const configFor = (d: TestDevice, over: Record<string, unknown> = {}) => ({
  host: d.ssh.host,
  port: d.ssh.port,
  username: d.ssh.username,
  privateKey: readFileSync(d.ssh.privateKeyPath, 'utf8'),
  paths: ['/', '/tmp'],
  ...over,
});

const localBootTime = () => Number(/^btime (\d+)/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
const localMemTotal = () => Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (env) {
  const devices = env.devices!;

  for (const d of devices) {
    t.test(`${d.id}: two readings give CPU, memory, disk, load and the shared kernel's boot time`, async (t) => {
      const storage = new MemoryStorage();
      const src = new SshProcfsSource(configFor(d), undefined, storage);
      t.teardown(() => src.close());
      await src.setup();
      const a = await src.collect();
      await sleep(1500);
      const b = await src.collect();
      const rate = deriveCpu(a, b);
      t.ok(rate && !isDropped(rate), `a rate was derived: ${JSON.stringify(rate)}`);
      if (rate && !isDropped(rate)) t.ok(rate.utilisation >= 0 && rate.utilisation <= 1);
      t.equal(b.cpu?.cores, Number(execFileSync('nproc', { encoding: 'utf8' }).trim()));
      t.equal(b.memory?.totalBytes, localMemTotal());
      t.ok(b.memory!.availableBytes > 0 && b.memory!.availableBytes <= b.memory!.totalBytes);
      t.ok(Math.abs(b.bootTime! - localBootTime()) <= 1, `boot time ${b.bootTime} vs local ${localBootTime()}`);
      // Free space (a df process) is read on the first poll and then every 3rd only.
      t.ok(a.filesystems?.some((f) => f.mount === '/' && f.device && f.availableBytes > 0 && f.availableBytes <= f.totalBytes), 'the first reading has free space');
      t.equal(b.filesystems, undefined, 'the second reading skips df');
      t.equal(b.bootId, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), 'the boot id is the shared kernel\'s');
      t.equal(b.hostname, readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
      t.ok(b.load && b.load.load1 >= 0);
      t.equal(b.arch, normaliseArch(execFileSync('uname', ['-m'], { encoding: 'utf8' })));
      t.ok(b.cpuScorePerCore! > 0, `score ${b.cpuScorePerCore}`);
      t.equal(b.cpuScoreBasis, 'benchmark');
      t.ok((storage.map.get('cpuBenchmark') as { perCore: number }).perCore > 0, 'the benchmark result is kept for restarts');
      const knownKey = readFileSync((d.ssh as { knownHostsPath?: string }).knownHostsPath ?? join(dirname(d.ssh.privateKeyPath), 'known_hosts'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${d.ssh.host} `))!
        .split(' ')[2]!;
      t.equal(storage.map.get('hostKeyFingerprint'), fingerprint(Buffer.from(knownKey, 'base64')), 'the host key was learned on first contact');
    });
  }

  const d = devices[0]!;

  t.test('filesystemsEvery: free space on every poll when asked; the same figures with and without bash', async (t) => {
    const every = new SshProcfsSource(configFor(d, { filesystemsEvery: 1, benchmark: false }));
    t.teardown(() => every.close());
    await every.setup();
    for (let i = 0; i < 3; i++) t.ok((await every.collect()).filesystems?.length, `poll ${i + 1} has filesystems`);
    // By default: the 1st, 4th and 7th polls read free space; a df that gave nothing is tried again next poll.
    const dflt = new SshProcfsSource(configFor(d, { benchmark: false, paths: ['/'] }));
    t.teardown(() => dflt.close());
    await dflt.setup();
    const seen: boolean[] = [];
    for (let i = 0; i < 7; i++) seen.push(!!(await dflt.collect()).filesystems);
    t.same(seen, [true, false, false, true, false, false, true]);
    const missing = new SshProcfsSource(configFor(d, { benchmark: false, paths: ['/no/such/path'] }));
    t.teardown(() => missing.close());
    await missing.setup();
    const a = await missing.collect();
    const b = await missing.collect();
    t.equal(a.filesystems, undefined);
    t.equal(b.filesystems, undefined);
    t.equal((missing as unknown as { sinceDf?: number }).sinceDf, undefined, 'still due: df runs again on the next poll');
    // What a device without bash is sent (head and df) gives the same sections and the same figures.
    const sh = new SshProcfsSource(configFor(d, { filesystemsEvery: 1, benchmark: false }));
    t.teardown(() => sh.close());
    await sh.setup();
    (sh as unknown as { bash: boolean }).bash = false;
    const [x, y] = [await every.collect(), await sh.collect()];
    const shape = (r: typeof x) => r.filesystems?.map((f) => [f.mount, f.device, f.fsType, f.totalBytes]);
    t.same(shape(y), shape(x));
    t.equal(y.bootId, x.bootId);
    t.equal(y.hostname, x.hostname);
    t.equal(y.memory?.totalBytes, x.memory?.totalBytes);
    t.equal(y.cpu?.cores, x.cpu?.cores);
    t.ok(Math.abs(y.bootTime! - x.bootTime!) <= 1);
  });

  t.test('the plugin definition sets up an instance and tests a config', async (t) => {
    const def = plugin.providers[0]!;
    const ctx = {
      instanceId: 'ssh-procfs/ssh-procfs#test',
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      bus: { emit() {}, on: () => () => {} },
      signal: new AbortController().signal,
      storage: new MemoryStorage(),
      secrets: { get: async () => undefined, set: async () => {}, delete: async () => {} },
      dataDir: tmpdir(),
      onStop() {},
    };
    const test = await def.testConfig!(configFor(d), ctx);
    t.ok(test.ok, test.message);
    const bad = await def.testConfig!(configFor(d, { port: 1 }), ctx);
    t.notOk(bad.ok);
    const inst = await def.setup(configFor(d, { benchmark: false }), ctx);
    t.teardown(() => inst.close());
    const r = await inst.collect();
    t.same([r.cpuScorePerCore, r.cpuScoreBasis], [0.5, 'default'], 'no benchmark: the neutral score, and it says so');
  });

  t.test('an aborted poll drops the connection and the next one reconnects', async (t) => {
    const src = new SshProcfsSource(configFor(d, { benchmark: false }));
    t.teardown(() => src.close());
    await src.setup();
    for (const delay of [0, 2, 10]) {
      const ac = new AbortController();
      const pending = src.collect(ac.signal);
      setTimeout(() => ac.abort(new Error('poll timed out')), delay);
      await t.rejects(pending, { message: 'poll timed out' }, `aborted after ${delay} ms`);
    }
    const r = await src.collect();
    t.ok(r.cpu, 'read again over a new connection');
  });

  t.test('a refused key is AuthFailedError; a changed host key too', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const stranger = new SshProcfsSource(configFor(d, { privateKey: readFileSync(join(dir, 'k'), 'utf8'), benchmark: false }));
    await t.rejects(stranger.setup(), AuthFailedError);
    await stranger.close();
    const spoofed = new SshProcfsSource(configFor(d, { hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`, benchmark: false }));
    await t.rejects(spoofed.setup(), { name: 'AuthFailedError', message: /host key changed/ });
    await spoofed.close();
    const garbage = new SshProcfsSource(configFor(d, { privateKey: 'not a key', benchmark: false }));
    await t.rejects(garbage.setup(), { code: 'WARREN_ERR_PLUGIN_CONFIG' });
    await garbage.close();
  });

  t.test('nothing listening is NotReadyError', async (t) => {
    const src = new SshProcfsSource(configFor(d, { port: 1, benchmark: false }));
    await t.rejects(src.setup(), NotReadyError);
    await src.close();
  });

  t.test('a target that stops: the poller shows it stale, then offline, on schedule', async (t) => {
    // A TCP relay we own stands between the poller and the device's sshd, so we can stop the target.
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(d.ssh.port, d.ssh.host);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => { client.destroy(); upstream.destroy(); };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const src = new SshProcfsSource({ ...configFor(d, { benchmark: false }), host: '127.0.0.1', port, connectTimeoutMs: 2000 });
    await src.setup();
    const states: { state: string; at: number }[] = [];
    let stoppedAt = 0;
    const intervalMs = 400;
    const poller = new Poller(
      { onStateChange: (_, s) => void states.push({ state: s.state, at: Date.now() }) },
      { intervalMs, timeoutMs: 1500, staleAfterIntervals: 3, offlineAfterIntervals: 6 },
    );
    poller.add({ deviceId: d.id, source: src });
    poller.start();
    t.teardown(async () => {
      await poller.stop();
      await src.close();
      server.close();
    });
    while (!states.some((s) => s.state === 'fresh')) await sleep(50);
    await sleep(800);
    server.close();
    for (const s of sockets) s.destroy();
    stoppedAt = Date.now();
    const deadline = Date.now() + 30_000;
    while (!states.some((s) => s.state === 'offline') && Date.now() < deadline) await sleep(100);
    t.same(states.map((s) => s.state), ['fresh', 'stale', 'offline']);
    const last = poller.snapshot(d.id)!;
    t.equal(last.status.reason, 'no-recent-sample');
    t.match(last.lastFailure?.code, /WARREN_ERR_(NOT_READY|TIMEOUT)/, `last failure: ${JSON.stringify(last.lastFailure)}`);
    // Stale may not come before 3 intervals of silence, nor offline before 6 (lower bounds only).
    const lastReading = last.figures.memory!.at;
    t.ok(states[1]!.at - lastReading >= 3 * intervalMs, 'stale only after 3 intervals');
    t.ok(states[2]!.at - lastReading >= 6 * intervalMs, 'offline only after 6 intervals');
    t.ok(lastReading <= stoppedAt);
  });
}
