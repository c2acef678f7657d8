// What issue #4 is checked by, for real: `warren summary --json` against a hub polling the test
// devices shows every device with fresh figures and totals that match the devices, and a stopped sshd
// turns its device stale and then offline on schedule.
//
// The test devices are network namespaces on this one machine: this host's /proc (local socket),
// dev1 over SSH (same kernel, same boot id) and dev2's node_exporter (same host name and boot time) are
// one machine, so the totals count it once and the summary says so.
//
// The second test stops dev1's sshd (its listener and its sessions, in dev1's network namespace only)
// and starts it again with the very command line test-env.sh gave it, also in t.teardown if anything
// fails. Other suites use dev1 over SSH: run this file under /tmp/warren-services.lock, e.g.
//   flock /tmp/warren-services.lock npx tap test/integration/core/metrics/summary.test.ts
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus } from 'node:os';
import { DevicesFeature, type SummaryView } from '../../../../core/devices/index.js';
import { featureRoutes } from '../../../../core/features.js';
import { filesystemKey } from '../../../../core/metrics/aggregate.js';
import { adminToken, startTestHub } from '../../../helpers/hub.js';
import { needServices, type TestDevice, type TestEnvState } from '../../../helpers/services.js';
import { until } from '../../../helpers/wait.js';
import { sshdIn } from '../../../helpers/sshd.js';

const PASSWORD = 'correct horse battery';

async function hubAndCli(t: Test, intervalMs: number) {
  const th = await startTestHub(t, {
    env: { WARREN_ADMIN_PASSWORD: PASSWORD },
    hub: { extensions: [new DevicesFeature({ pollIntervalMs: intervalMs })], routeModules: featureRoutes() },
  });
  const token = await adminToken(th, PASSWORD);
  const { Command } = await import('commander');
  const { createCliContext } = await import('../../../../core/cli/context.js');
  const summaryCmd = await import('../../../../core/cli/commands/summary.js');
  /** `warren summary --json` against the hub, parsed. */
  const summary = async (): Promise<SummaryView> => {
    let out = '';
    let err = '';
    const program = new Command('warren').exitOverride();
    const cli = createCliContext(() => ({ hub: th.url, token, json: true }), {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      exit: (code) => {
        throw new Error(`warren summary --json: exit ${code}: ${err}`);
      },
    });
    summaryCmd.register(program, cli);
    await program.parseAsync(['summary'], { from: 'user' });
    return JSON.parse(out) as SummaryView;
  };
  const add = async (body: Record<string, unknown>) => {
    const r = await th.call('POST', '/api/devices', { token, body });
    t.equal(r.status, 201, `added ${String(body.name)}: ${JSON.stringify(r.body?.error ?? '')}`);
    return r.body.device as { id: string };
  };
  return { th, token, summary, add };
}

const sshConnection = (d: TestDevice) => ({ type: 'ssh', host: d.ssh.host, port: d.ssh.port, username: d.ssh.username, privateKey: readFileSync(d.ssh.privateKeyPath, 'utf8') });
const tls = (s: TestEnvState, i: number) => {
  const f = s.devices![i]!.docker.tcp.tls;
  return { ca: readFileSync(f.ca, 'utf8'), cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') };
};

t.test('warren summary --json: every test device fresh, and the one machine under them counted once', async (t) => {
  const state = needServices(t, 'docker', 'devices', 'images', 'nodeExporter');
  if (!state) return;
  const [dev1, dev2] = state.devices!;
  const INTERVAL_MS = 2_000;
  const { summary, add } = await hubAndCli(t, INTERVAL_MS);
  const helperImage = state.images!.web!;
  const ids = [
    (await add({ name: 'local', connection: { type: 'socket', socketPath: state.docker!.socket }, helperImage })).id,
    (await add({ name: 'dev1', connection: sshConnection(dev1!), helperImage })).id,
    (await add({ name: 'dev2', connection: { type: 'tcp', host: dev2!.docker.tcp.host, port: dev2!.docker.tcp.port, tls: tls(state, 1) }, nodeExporterUrl: dev2!.nodeExporter!.url, helperImage })).id,
  ];

  const view = await until('every device fresh with memory, storage and a CPU rate in `warren summary --json`', async () => {
    const v = await summary();
    return v.devices.length === 3 && v.devices.every((d) => d.state === 'fresh' && d.memory && d.storage && d.cpu) && v;
  });
  const s = view.summary;
  t.same(s.devices, { fresh: 3, stale: 0, offline: 0, total: 3 });
  for (const d of view.devices) {
    // Fresh figures: no older than the 3 intervals after which a device would be stale (free space over
    // SSH is read every 3rd poll, so it may be up to 3 intervals plus that poll's own time old).
    for (const [what, f] of [['memory', d.memory], ['storage', d.storage], ['cpu', d.cpu]] as const) {
      const limit = what === 'storage' ? 4 * INTERVAL_MS : 3 * INTERVAL_MS;
      t.ok(f!.ageSeconds * 1000 <= limit, `${d.name}: ${what} is ${f!.ageSeconds} s old (at most ${limit / 1000} s)`);
    }
  }

  // One kernel under all three: the local /proc and dev1 say so by boot id; dev2's node_exporter,
  // which has none, by host name and boot time.
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  t.same(view.devices.find((d) => d.name === 'local')!.machine?.bootId, bootId);
  t.same(view.devices.find((d) => d.name === 'dev1')!.machine?.bootId, bootId);
  t.equal(s.sharedMachines.length, 1, JSON.stringify(s.sharedMachines));
  t.same([...s.sharedMachines[0]!.devices].sort(), [...ids].sort(), 'all three devices are one machine');
  t.equal(s.sharedMachines[0]!.by, 'hostname-and-boot-time', 'joined by the weakest link (node_exporter has no boot id)');
  t.match(s.notes.join('\n'), /run on one machine .*counted once/);
  for (const total of [s.memory.covers, s.storage.covers, s.cpu.covers]) t.same(total, { devices: 3, of: 3, machines: 1 });

  // Totals are the sum over machines: this one machine's RAM and cores once, not three times.
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
  for (const d of view.devices) t.equal(d.memory!.totalBytes, memTotal, `${d.name} reports this machine's RAM`);
  t.equal(s.memory.totalBytes, memTotal, 'RAM total counts the machine once');
  t.ok(
    view.devices.some((d) => d.memory!.availableBytes === s.memory.availableBytes && d.memory!.usedBytes === s.memory.usedBytes),
    'available and used RAM are one device\'s figures of the machine (its newest), not a sum',
  );
  t.equal(s.cpu.cores, cpus().length, 'cores count the machine once');
  t.ok(view.devices.some((d) => d.cpu!.utilisation === s.cpu.utilisation), 'CPU is the machine\'s newest rate');

  // Storage: every filesystem of the machine once, whichever devices report it.
  const union = new Map<string, { totalBytes: number; availableBytes: number }>();
  for (const d of view.devices) for (const f of d.storage!.filesystems ?? []) union.set(filesystemKey(f), f);
  const root = statfsSync('/');
  const rootKey = filesystemKey(view.devices.find((d) => d.name === 'local')!.storage!.filesystems![0]!);
  t.equal(union.get(rootKey)?.totalBytes, root.blocks * root.bsize, 'the root filesystem is the one every device reports');
  const sum = [...union.values()].reduce((a, f) => a + f.totalBytes, 0);
  t.equal(s.storage.totalBytes, sum, `storage total is each of the machine's ${union.size} filesystem(s) once`);
  t.ok(s.storage.totalBytes < view.devices.reduce((a, d) => a + d.storage!.totalBytes, 0), 'less than the naive sum over devices');
  const avail = [...union.values()].reduce((a, f) => a + f.availableBytes, 0);
  // Free space moves while other suites write; the summary takes each filesystem's newest reading.
  t.ok(Math.abs(s.storage.availableBytes - avail) <= 0.01 * s.storage.totalBytes, `free storage ${s.storage.availableBytes} vs ${avail}`);
});

// ---- a stopped sshd ---------------------------------------------------------------------------


/**
 * The argv of an sshd listener from /proc/<pid>/cmdline: either the real argv (NUL-separated) or the
 * title sshd sets, `sshd: /usr/sbin/sshd -f ... [listener] 0 of 10-100 startups`. None of test-env's
 * arguments contain spaces.
 */
function sshdCommandLine(cmdline: string): string[] | undefined {
  const parts = cmdline.split('\0').filter(Boolean);
  const argv = parts.length > 1 ? parts : (/^sshd: (.*?)(?: \[listener\].*)?$/.exec(parts[0] ?? '')?.[1] ?? '').split(' ').filter(Boolean);
  return argv[0] === '/usr/sbin/sshd' && argv.includes('-f') ? argv : undefined;
}

const portOpen = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect({ host, port, timeout: 1_000 });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
    s.on('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });

t.test('a stopped sshd turns its device stale, then offline, on schedule; fresh again once sshd is back', async (t) => {
  const state = needServices(t, 'devices');
  if (!state) return;
  if (process.getuid?.() !== 0) {
    t.comment('skipped: stopping and starting a test device\'s sshd needs root');
    return;
  }
  const dev1 = state.devices![0]!;
  const nsPath = `/var/run/netns/${dev1.netns}`;
  const pidFile = `/run/warren-test/${dev1.id}/sshd.pid`;
  const listener = Number(readFileSync(pidFile, 'utf8').trim());
  // The listener's own command line, as test-env.sh started it; it is started again the same way.
  // sshd rewrites its process title to `sshd: <command line> [listener] ...`, so it is read from there.
  const argv = sshdCommandLine(readFileSync(`/proc/${listener}/cmdline`, 'utf8'));
  if (!argv) {
    t.fail(`cannot tell how dev1's sshd was started (${readFileSync(`/proc/${listener}/cmdline`, 'utf8')}); not stopping it`);
    return;
  }
  const start = () => execFileSync('setsid', ['nsenter', `--net=${nsPath}`, ...argv], { stdio: 'ignore' });
  const restore = async () => {
    if (await portOpen(dev1.ssh.host, dev1.ssh.port)) return;
    start();
    await until(`${dev1.id} sshd answering again`, () => portOpen(dev1.ssh.host, dev1.ssh.port), 15_000);
  };
  t.teardown(restore);

  const INTERVAL_MS = 1_500;
  const { th, summary, add } = await hubAndCli(t, INTERVAL_MS);
  const events: { state: string; ageMs?: number }[] = [];
  const { id } = await add({ name: 'dev1', connection: sshConnection(dev1), helperImage: state.images?.web });
  th.hub.bus.on('device.state', (e) => {
    if (e.device !== id) return;
    events.push({ state: e.state, ageMs: th.hub.services.metrics!.poller.snapshot(id)?.status.ageMs });
  });
  await until('dev1 fresh in `warren summary --json`', async () => (await summary()).devices[0]?.state === 'fresh');

  // Stop sshd: the listener and every session of it, in dev1's namespace only.
  const pids = sshdIn(nsPath);
  t.ok(pids.includes(listener), `sshd processes in ${dev1.netns}: ${pids.join(', ')}`);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone with its parent.
    }
  }
  await until('sshd of dev1 gone', async () => sshdIn(nsPath).length === 0 && !(await portOpen(dev1.ssh.host, dev1.ssh.port)), 10_000);
  const since = events.length;

  await until('dev1 offline', async () => events.slice(since).some((e) => e.state === 'offline'), 60_000);
  const after = events.slice(since);
  t.same(after.map((e) => e.state), ['stale', 'offline'], 'stale, then offline');
  // On schedule: stale once the newest reading is 3 intervals old, offline at 6 (timers on a loaded
  // machine may fire late, never early).
  const [stale, offline] = after;
  t.ok(stale!.ageMs! >= 3 * INTERVAL_MS && stale!.ageMs! < 3 * INTERVAL_MS + 5_000, `stale when the newest reading was ${stale!.ageMs} ms old`);
  t.ok(offline!.ageMs! >= 6 * INTERVAL_MS && offline!.ageMs! < 6 * INTERVAL_MS + 5_000, `offline when the newest reading was ${offline!.ageMs} ms old`);
  const down = await summary();
  t.equal(down.devices[0]!.state, 'offline');
  t.match(down.devices[0]!.message, /no reading for/);
  t.same(down.summary.devices, { fresh: 0, stale: 0, offline: 1, total: 1 });
  t.same(down.summary.memory.covers, { devices: 0, of: 1, machines: 0 }, 'an offline device is left out of the totals');
  t.equal(down.summary.memory.totalBytes, 0);

  start();
  await until('dev1 fresh again', async () => (await summary()).devices[0]?.state === 'fresh', 60_000);
  t.pass('fresh again once sshd is back');
});
