// How a poll round scales from 1 device to 20, and what 20 polled devices cost in memory.
// 20 ssh-procfs instances (each its own persistent SSH connection, with the source's defaults: bash
// reading /proc with builtins, df on every 3rd poll) are spread over the test devices' sshd and polled
// by the real Poller; rounds of 1 and of 20 alternate so that machine noise hits both alike.
// Where the time goes is printed per round: the hub's own CPU, the whole machine's CPU (the devices'
// sshd, shell and df run on this same machine here) and the processes started (from /proc/stat).
// Run: flock /tmp/warren-bench.lock npx tsx bench/poll-scale.ts [rounds] [--each]     (needs: sudo bash scripts/test-env.sh up)
// Under tsx the RSS includes tsx's loader thread (about 30 MB); the hub itself runs bundled (npm start
// builds dist/). The same bench bundled, as the hub would run it:
//   npx esbuild bench/poll-scale.ts --bundle --platform=node --format=esm --packages=external \
//     --outfile=node_modules/.cache/warren-bench/poll-scale.mjs && flock /tmp/warren-bench.lock node node_modules/.cache/warren-bench/poll-scale.mjs
// Targets: median(round of 20) / median(round of 1) <= 2; RSS with 20 devices polled <= 100 MB.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Poller } from '../core/metrics/poller.js';
import { SshProcfsSource } from '../plugins/ssh-procfs/procfs-source.js';
import { readState } from '../test/helpers/services.js';

const args = process.argv.slice(2);
/** `--each` prints every round's figures too. */
const EACH = args.includes('--each');
const ROUNDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 30);
const DEVICES = 20;
const MB = 1024 * 1024;

const devices = readState().devices ?? [];
if (devices.length === 0) {
  console.error('no test devices in the test-env state file; run: sudo bash scripts/test-env.sh up');
  process.exit(2);
}

const rssBefore = process.memoryUsage().rss;
const sources: SshProcfsSource[] = [];
const poller = new Poller({}, { intervalMs: 60_000, timeoutMs: 20_000 });
for (let i = 0; i < DEVICES; i++) {
  const d = devices[i % devices.length]!;
  const source = new SshProcfsSource({
    host: d.ssh.host,
    port: d.ssh.port,
    username: d.ssh.username,
    privateKey: readFileSync(d.ssh.privateKeyPath, 'utf8'),
    paths: ['/'],
    benchmark: false,
  });
  try {
    await source.setup();
  } catch (e) {
    console.error(`cannot reach ${d.id} over SSH (${(e as Error).message}); is the test environment up? sudo bash scripts/test-env.sh up`);
    await Promise.all([...sources, source].map((s) => s.close()));
    process.exit(2);
  }
  sources.push(source);
  poller.add({ deviceId: `bench-${i}`, source });
}

// The hub's own CPU time per round is printed too: here the 20 "devices" are namespaces sharing this
// machine's cores with the hub, so wall time also pays for every device's sshd, shell and df, which on
// real hardware run on the devices themselves.
interface Round {
  wall: number;
  hubCpu: number;
  machineCpu: number;
  /** CPU of the devices' sshd sessions and their shells (with the children they reaped: df, head). */
  deviceCpu: number;
  forks: number;
}
// The devices' side: processes in the test devices' network namespaces (sshd sessions and their shells),
// in ms. Live processes count by their scheduler run time (/proc/<pid>/schedstat, nanoseconds: a poll's
// share is far below the 10 ms tick), plus what the children they reaped used (df; cutime+cstime, ticks).
// Unlike the whole machine's CPU this leaves out the other work on a shared machine.
const deviceNs = new Set(devices.map((d) => statSync(`/var/run/netns/${d.netns}`).ino));
let devicePids: { pid: string; comm: string }[] = [];
const findDevicePids = () => {
  devicePids = [];
  for (const p of readdirSync('/proc')) {
    if (p.charCodeAt(0) > 57) continue;
    try {
      if (!deviceNs.has(statSync(`/proc/${p}/ns/net`).ino)) continue;
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      // Only the sessions and their shells: each device's dockerd and node_exporter are not the poll's.
      if (/^(sshd|bash|sh)$/.test(comm)) devicePids.push({ pid: p, comm });
    } catch {
      // The process ended meanwhile.
    }
  }
};
const deviceCpu = () => {
  let ms = 0;
  for (const { pid } of devicePids) {
    try {
      // Every thread (sshd and bash have one) by run time, then the reaped children by ticks.
      for (const t of readdirSync(`/proc/${pid}/task`)) ms += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
      const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      ms += (Number(f[13]) + Number(f[14])) * 10;
    } catch {
      // The process ended meanwhile.
    }
  }
  return ms;
};
const machine = () => {
  const s = readFileSync('/proc/stat', 'utf8');
  const c = s.slice(4, s.indexOf('\n')).trim().split(/\s+/).map(Number);
  // user nice system irq softirq steal, in ms (USER_HZ 100).
  const busy = (c[0]! + c[1]! + c[2]! + c[5]! + c[6]! + c[7]!) * 10;
  return { busy, forks: Number(/^processes (\d+)/m.exec(s)![1]) };
};
const time = async (ids?: string[]): Promise<Round> => {
  const d0 = deviceCpu();
  const m0 = machine();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await poller.pollNow(ids);
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  const m1 = machine();
  return { wall, hubCpu: (c.user + c.system) / 1000, machineCpu: m1.busy - m0.busy, deviceCpu: deviceCpu() - d0, forks: m1.forks - m0.forks };
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

// Warm up: connections are open, but the first commands pay for caches on both ends.
findDevicePids();
for (let i = 0; i < 3; i++) {
  await time(['bench-0']);
  await time();
}
// The sessions as they stand after the warm-up (a reconnect would have made new ones).
findDevicePids();
const one: Round[] = [];
const all: Round[] = [];
for (let i = 0; i < ROUNDS; i++) {
  if (i % 2 === 0) {
    one.push(await time(['bench-0']));
    all.push(await time());
  } else {
    all.push(await time());
    one.push(await time(['bench-0']));
  }
}
const failures = poller.snapshots().filter((s) => s.status.state !== 'fresh');
const rss = process.memoryUsage().rss;

const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const of = (rs: Round[], k: keyof Round) => rs.map((r) => r[k]);
const m1 = median(of(one, 'wall'));
const m20 = median(of(all, 'wall'));
console.log(`poll round, 1 device:   median ${m1.toFixed(1)} ms, mean ${mean(of(one, 'wall')).toFixed(1)} ms over ${ROUNDS} rounds`);
console.log(`poll round, ${DEVICES} devices: median ${m20.toFixed(1)} ms, mean ${mean(of(all, 'wall')).toFixed(1)} ms over ${ROUNDS} rounds`);
console.log(`ratio ${DEVICES}/1: ${(m20 / m1).toFixed(2)} (target <= 2) ${m20 / m1 <= 2 ? 'MET' : 'NOT MET'}; ratio of means ${(mean(of(all, 'wall')) / mean(of(one, 'wall'))).toFixed(2)}`);
for (const [label, rs, n] of [['1 device', one, 1], [`${DEVICES} devices`, all, DEVICES]] as const) {
  const hub = mean(of(rs, 'hubCpu'));
  const mach = mean(of(rs, 'machineCpu'));
  const dev = mean(of(rs, 'deviceCpu'));
  const forks = mean(of(rs, 'forks'));
  console.log(
    `  round of ${label.padEnd(10)} CPU ms per round (mean): hub ${hub.toFixed(1)}, devices' sshd+shell ${dev.toFixed(1)}, whole machine ${mach.toFixed(1)} (10 ms ticks); per poll: hub ${(hub / n).toFixed(2)} ms, devices ${(dev / n).toFixed(2)} ms, processes started ${(forks / n).toFixed(2)}`,
  );
}
// Why the ratio is what it is. A round of N cannot take less than N*c/cores of wall time, c being all the
// CPU one poll costs (hub + the device's sshd and shell), when the devices share the hub's cores; a round
// of 1 takes L, about c when nothing in it waits on anything but CPU (veth has no real latency). So
// ratio >= N*c/(cores*L) here, whatever c is; on real devices each device's share runs on its own CPU and
// only the hub's part adds up.
const cores = (await import('node:os')).cpus().length;
const med = (rs: Round[], k: keyof Round) => median(of(rs, k));
const hub1 = med(one, 'hubCpu');
const hub20 = med(all, 'hubCpu');
const dev1 = med(one, 'deviceCpu');
const dev20 = med(all, 'deviceCpu');
const c1 = hub1 + dev1;
const c20 = (hub20 + dev20) / DEVICES;
const floor20 = (DEVICES * c20) / cores;
console.log('where the time goes (medians over the rounds; device CPU = the test devices\' sshd sessions and shells, by scheduler run time, plus reaped children):');
console.log(`  round of 1:  wall L = ${m1.toFixed(2)} ms; CPU hub ${hub1.toFixed(2)} ms + devices ${dev1.toFixed(2)} ms = c ${c1.toFixed(2)} ms per poll (${((100 * c1) / m1).toFixed(0)} % of L: the rest is waiting between the two ends, wake-ups and scheduling)`);
console.log(`  round of ${DEVICES}: wall ${m20.toFixed(2)} ms; CPU hub ${hub20.toFixed(2)} ms + devices ${dev20.toFixed(2)} ms = ${(hub20 + dev20).toFixed(2)} ms, c ${c20.toFixed(2)} ms per poll; on ${cores} cores that needs at least ${floor20.toFixed(2)} ms (${((100 * floor20) / m20).toFixed(0)} % of the round)`);
console.log(`  lower bound for the ratio on this machine: N*c/(cores*L) = ${DEVICES}*${c20.toFixed(2)}/(${cores}*${m1.toFixed(2)}) = ${(floor20 / m1).toFixed(2)}; measured ${(m20 / m1).toFixed(2)}`);
console.log(`  the whole machine was busy ${((100 * mean(of(all, 'machineCpu'))) / (cores * mean(of(all, 'wall')))).toFixed(0)} % of ${cores} cores during rounds of ${DEVICES}, ${((100 * mean(of(one, 'machineCpu'))) / (cores * mean(of(one, 'wall')))).toFixed(0)} % during rounds of 1 (10 ms ticks, means)`);
console.log(`  hub only: CPU per round of ${DEVICES} ${hub20.toFixed(2)} ms vs of 1 ${hub1.toFixed(2)} ms = ${(hub20 / hub1).toFixed(2)}x (${(hub20 / DEVICES).toFixed(3)} ms per poll); with the devices on their own CPUs a round of ${DEVICES} is bounded by this, ${((100 * hub20) / m20).toFixed(0)} % of today's round`);
if (EACH) {
  console.log('  every round (wall ms, hub CPU ms, device CPU ms, machine CPU ms):');
  for (const [label, rs] of [['1', one], [String(DEVICES), all]] as const) {
    console.log(`    of ${label.padStart(2)}: ${rs.map((r) => `${r.wall.toFixed(1)}/${r.hubCpu.toFixed(2)}/${r.deviceCpu.toFixed(2)}/${r.machineCpu}`).join(' ')}`);
  }
}
console.log(
  `RSS with ${DEVICES} devices polled: ${(rss / MB).toFixed(1)} MB (target <= 100) ${rss / MB <= 100 ? 'MET' : 'NOT MET'}; before any device: ${(rssBefore / MB).toFixed(1)} MB (node and the modules, plus tsx's loader when run under tsx), so the devices add ${((rss - rssBefore) / MB).toFixed(1)} MB; JS heap in use ${(process.memoryUsage().heapUsed / MB).toFixed(1)} MB`,
);
console.log(`machine: ${readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ')} load, ${cores} cores (other work on it lands in both kinds of round alike)`);
if (failures.length) console.log(`warning: ${failures.length} device(s) not fresh: ${failures.map((f) => `${f.id} ${f.status.message}`).join('; ')}`);

await poller.stop();
await Promise.all(sources.map((s) => s.close()));
