// Ranking 10,000 devices for one app against one `/_ping` round trip to the local Docker engine,
// measured side by side in alternating rounds of one run. Target: median ratio rank/ping <= 1, i.e.
// deciding where an app goes over a large fleet costs less than a single request to one engine.
//
// The ratio uses "rankDevices, kept table + order read": rankDevices over a DeviceTable built once
// before the rounds, as a caller that keeps the inventory in columns (updating a row per changed
// device) ranks, then the full order read. Timed: the complete decision, i.e. every check and all five
// scores of every device, the recommendation, the runner-up and tie-break, the largest-app warning, and
// a result whose candidate list and explanations are built when read; plus the ordered list of all
// 10,000 devices (placementOrder: the full sort, every position's device id read best first, the
// reference as the candidate objects hold it). Why this figure: it is the work of deciding where an
// app goes and of ranking every device, which is what the target compares with one engine round trip.
// Printed beside it from the same rounds: the decision alone (the ratio's figure until the order was
// made cheap), the order's sort and read apart, and the same plus reading the list of 10,000
// candidate objects (result.candidates: one small object each, built on first read). Not in any of
// these: each candidate's explanation (criteria, reason texts, database plans), worked out from the
// device's snapshot when its fields are read or the result is serialised, see (b).
// The hub ranks this way: its devices service keeps one DeviceTable and upserts only the rows whose
// snapshot changed before each placement (DeviceService.keptTable, used by core/apps/service.ts place()).
// The pass, the counting and the order run in WebAssembly SIMD (core/placement/simd.ts, wasm/rank.wat)
// over a copy of the table's columns that follows the table row by row. Printed beside the ratio's
// figure, from rounds of their own with their own pings: (d) the same ranking with the JavaScript
// loops (WARREN_PLACEMENT_SIMD=0, what an engine without SIMD runs) and (e) the ranking right after
// one device's figures changed (its row upserted, untimed; the ranking then copies that row and works
// on a table whose lent arrays were just copied: the hub's usual case).
//
// Printed beside it, from the same run and not hidden:
//   (a) rank from plain device objects: rankDevices(app, devices), the table built inside, and the
//       ordered list read (what `warren place --snapshot`, POST /api/placement and install pay today);
//   (b) rank + JSON of all 10,000 explained candidates (every candidate materialised and serialised:
//       what `--json` and POST /api/placement pay in full);
//   (c) the object path (reference.ts), which explains every candidate eagerly: the figure before the
//       table (rank 33 ms, ratio 37.8 when last measured).
// "Ping" is one ordinary GET /_ping over the engine's unix socket with node's http client, the way a
// client of the engine sends a request: on a kept-alive connection (as Warren's docker-host provider
// and the docker CLI's daemon clients keep theirs) for the ratio, and also on a new connection and
// through Warren's own dockerode client for reference.
// Run: flock /tmp/warren-bench.lock npx tsx bench/placement-scale.ts [devices] [rounds]
import http from 'node:http';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { openConnection } from '../plugins/docker-host/connection.js';
import { DeviceTable, parseSnapshot, rankDevices, type DeviceSnapshot, type PlacementRequirements } from '../core/placement/index.js';
import { rankDevicesByObjects } from '../core/placement/reference.js';
import { placementOrder } from '../core/placement/rank.js';
import { useSimd } from '../core/placement/simd.js';

const DEVICES = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 41);
// Untimed rounds first, so that the rounds measure optimised code on both sides, as a hub that runs
// all day does: after 10 rounds both the ranking and the ping's client were slower (decision 1.07 vs
// 0.55 ms, ping 1.10 vs 0.66 ms, in one sitting at load 4.5), their ratio much the same (1.40 vs
// 1.42). WARMUP=10 gives the short warm-up.
const WARMUP = Number(process.env.WARMUP ?? 100);
const SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

// mulberry32: the same fleet on every run.
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fleet(n: number): DeviceSnapshot[] {
  const r = prng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const kinds = [
    { arch: 'arm64', cores: 4, perCore: 0.45, mem: 4, platforms: ['arm/v7'] },
    { arch: 'armv7l', cores: 4, perCore: 0.2, mem: 1 },
    { arch: 'x86_64', cores: 4, perCore: 0.6, mem: 8 },
    { arch: 'amd64', cores: 8, perCore: 1.1, mem: 32 },
  ];
  return Array.from({ length: n }, (_, i) => {
    const k = pick(kinds);
    const total = k.mem * GiB;
    return {
      id: `dev-${String(i).padStart(5, '0')}`,
      name: `device ${i}`,
      online: r() > 0.03,
      metricsAgeSeconds: r() > 0.05 ? Math.floor(r() * 60) : 300 + Math.floor(r() * 3600),
      cordoned: r() < 0.02,
      arch: k.arch,
      ...(k.platforms ? { platforms: k.platforms } : {}),
      cores: k.cores,
      cpuScorePerCore: r() < 0.1 ? null : k.perCore,
      memory: { totalBytes: total, availableBytes: Math.floor(total * (0.1 + r() * 0.8)), reserveBytes: 256 * MiB },
      storage: { availableBytes: Math.floor((8 + r() * 2000) * GiB) },
      load1: r() * k.cores * 1.2,
      availability7d: r() < 0.1 ? null : 0.9 + r() * 0.1,
      devicePaths: r() < 0.5 ? ['/dev/dri', '/dev/dri/renderD128'] : [],
      listeningPorts: r() < 0.1 ? ['22/tcp', '8080/tcp'] : ['22/tcp'],
      images: r() < 0.2 ? ['nextcloud:29-apache'] : [],
      reservations: r() < 0.1 ? [{ app: 'immich', memoryBytes: 1 * GiB, storageBytes: 20 * GiB }] : [],
      databases: r() < 0.3 ? [{ engine: 'postgres', version: pick(['14.11', '15.6', '16.2']), extensions: ['pg_trgm'] }] : [],
      apps: r() < 0.3 ? [{ id: 'grafana', memoryBytes: 200 * MiB, storageBytes: 1 * GiB }] : [],
    };
  });
}

export const app: PlacementRequirements = {
  app: 'nextcloud',
  memoryBytes: 512 * MiB,
  diskBytes: 20 * GiB,
  architectures: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
  devicePaths: [{ path: '/dev/dri', optional: true }],
  ports: ['8080/tcp'],
  databases: [{ ref: 'db', engine: 'postgres', versions: '>=15', extensions: ['pg_trgm'] }],
  images: ['nextcloud:29-apache'],
};

function ping(agent: http.Agent | false): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: SOCKET, path: '/_ping', method: 'GET', agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`/_ping answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  if (!existsSync(SOCKET)) {
    console.error(`No Docker socket at ${SOCKET}: start dockerd (or set DOCKER_SOCKET) to measure the ratio.`);
    process.exit(2);
  }
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await ping(keepAlive);
  } catch (e) {
    console.error(`Docker at ${SOCKET} does not answer /_ping: ${(e as Error).message}`);
    process.exit(2);
  }
  // Through JSON and the validator, as a snapshot file or the hub's API hands devices over.
  const devices = parseSnapshot(JSON.parse(JSON.stringify({ devices: fleet(DEVICES) }))).devices;
  const b0 = performance.now();
  const table = DeviceTable.from(devices);
  const tableBuild = performance.now() - b0;
  const rank: number[] = [];
  // CPU time too: on a busy machine the wall time of both sides includes waiting for a core.
  const rankCpu: number[] = [];
  const withOrder: number[] = [];
  const sortOnly: number[] = [];
  const idsRead: number[] = [];
  const withList: number[] = [];
  const fromObjects: number[] = [];
  const pingReused: number[] = [];
  const pingFresh: number[] = [];
  const pingWarren: number[] = [];
  const withJs: number[] = [];
  const afterChange: number[] = [];
  // (e) ranks a table of its own, so that the changes do not reach the ratio's table.
  const changing = DeviceTable.from(devices);
  const simd = useSimd(true);
  const warren = openConnection({ type: 'socket', socketPath: SOCKET });
  await warren.docker.ping();
  let eligible = 0;
  const check = (result: ReturnType<typeof rankDevices>, candidates: readonly { device: string }[]): void => {
    if (result.recommended === null || candidates[0]!.device !== result.recommended) throw new Error('the generated fleet should have an eligible device, first');
    if (candidates.length !== devices.length) throw new Error('incomplete result');
  };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    // Alternate which goes first so that neither always runs on a warmer or cooler machine.
    const steps: (() => Promise<void>)[] = [
      async () => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const result = rankDevices(app, table);
        const decided = result.recommended !== null && result.warnings.length >= 0 && result.tieBreak !== undefined;
        const t1 = performance.now();
        // Then the ordered list of all devices (sorted on first read): every id, best first.
        const order = placementOrder(result);
        const tSorted = performance.now();
        // Each position's device id, as the candidate objects hold it (the reference, not its characters:
        // touching 10,000 strings' characters on a cold cache costs ~0.5 ms more, as any consumer pays).
        let read = 0;
        for (let k = 0; k < order.rows.length; k++) if (order.ids[order.rows[k]!] !== undefined) read++;
        const t2 = performance.now();
        const c = process.cpuUsage(c0);
        // Then the candidate objects (built on first read), summed over.
        const candidates = result.candidates;
        let k = 0;
        for (let i = 0; i < candidates.length; i++) if (candidates[i]!.eligible) k++;
        const t3 = performance.now();
        if (!decided) throw new Error('no decision');
        check(result, candidates);
        if (k !== order.eligible || read !== devices.length || order.ids[order.rows[0]!] !== result.recommended) throw new Error('the order and the candidates disagree');
        eligible = k;
        if (round >= WARMUP) {
          rank.push(t1 - t0);
          withOrder.push(t2 - t0);
          sortOnly.push(tSorted - t1);
          idsRead.push(t2 - tSorted);
          rankCpu.push((c.user + c.system) / 1000);
          withList.push(t3 - t0);
        }
      },
      async () => {
        const t0 = performance.now();
        await ping(keepAlive);
        const t1 = performance.now();
        if (round >= WARMUP) pingReused.push(t1 - t0);
      },
      async () => {
        const t0 = performance.now();
        await ping(false);
        const t1 = performance.now();
        if (round >= WARMUP) pingFresh.push(t1 - t0);
      },
      async () => {
        const t0 = performance.now();
        await warren.docker.ping();
        const t1 = performance.now();
        if (round >= WARMUP) pingWarren.push(t1 - t0);
      },
    ];
    if (round % 2) steps.reverse();
    for (const step of steps) await step();
  }
  // Rank, then read every position's device id of the order, best first (as the ratio's step does).
  const rankAndRead = (t: DeviceTable) => {
    const result = rankDevices(app, t);
    const order = placementOrder(result);
    let read = 0;
    for (let k = 0; k < order.rows.length; k++) if (order.ids[order.rows[k]!] !== undefined) read++;
    return { result, order, read };
  };
  // (d) and (e) in rounds of their own, each with a kept-alive ping, so that the rounds of the ratio's
  // figure stay as they were (a ranking of the same table just before it would warm the caches for it).
  const pingSecond: number[] = [];
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const steps: (() => Promise<void>)[] = [
      async () => {
        // (d) The same ranking and order read with the JavaScript loops.
        useSimd(false);
        const t0 = performance.now();
        const { result, order, read } = rankAndRead(table);
        const t1 = performance.now();
        useSimd(simd);
        if (read !== devices.length || order.ids[order.rows[0]!] !== result.recommended) throw new Error('the JavaScript loops disagree');
        if (round >= WARMUP) withJs.push(t1 - t0);
      },
      async () => {
        // (e) One device's free RAM changed (as a poll brings), then the ranking and order read.
        const d = devices[(round * 7919) % devices.length]!;
        changing.upsert({ ...d, memory: { ...d.memory, availableBytes: d.memory.availableBytes - (round % 2) * 1024 } });
        const t0 = performance.now();
        const { read } = rankAndRead(changing);
        const t1 = performance.now();
        if (read !== devices.length) throw new Error('incomplete order');
        if (round >= WARMUP) afterChange.push(t1 - t0);
      },
      async () => {
        const t0 = performance.now();
        await ping(keepAlive);
        const t1 = performance.now();
        if (round >= WARMUP) pingSecond.push(t1 - t0);
      },
    ];
    if (round % 2) steps.reverse();
    for (const step of steps) await step();
  }
  keepAlive.destroy();
  warren.close();
  // Ranking from objects builds a table of 10,000 rows, and materialising and serialising every
  // explained candidate makes ~14 MB of short-lived objects: measured apart so that their garbage does
  // not land in the rounds above.
  const explained: number[] = [];
  const objectPath: number[] = [];
  let sameJson = true;
  for (let round = 0; round < 15; round++) {
    const t0 = performance.now();
    const result = rankDevices(app, devices);
    const candidates = result.candidates;
    const t1 = performance.now();
    check(result, candidates);
    fromObjects.push(t1 - t0);
  }
  for (let round = 0; round < 7; round++) {
    const t0 = performance.now();
    const json = JSON.stringify(rankDevices(app, table));
    explained.push(performance.now() - t0);
    const t1 = performance.now();
    const reference = rankDevicesByObjects(app, devices);
    const t2 = performance.now();
    objectPath.push(t2 - t1);
    if (round === 0) sameJson = json === JSON.stringify(reference);
  }
  if (!sameJson) throw new Error('the table path and the object path disagree on this fleet');
  const ratios = withOrder.map((r, i) => r / pingReused[i]!);
  const ratiosFresh = withOrder.map((r, i) => r / pingFresh[i]!);
  const ratiosDecision = rank.map((r, i) => r / pingReused[i]!);
  const ratiosList = withList.map((r, i) => r / pingReused[i]!);
  console.log(`placement-scale: ${DEVICES} devices (${eligible} eligible), ${ROUNDS} rounds after ${WARMUP} warm-up rounds, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores, pass in ${simd ? 'WebAssembly SIMD' : 'JavaScript (no SIMD)'}`);
  console.log(`  rankDevices, kept table (decision)           median ${median(rank).toFixed(3)} ms (ratio to kept-alive ping ${median(ratiosDecision).toFixed(2)})`);
  console.log(`  rankDevices, kept table + order read         median ${median(withOrder).toFixed(3)} ms (CPU ${median(rankCpu).toFixed(3)} ms)   <- the ratio's figure`);
  console.log(`    of which the order: sort ${median(sortOnly).toFixed(3)} ms, reading the ${DEVICES} ids best first ${median(idsRead).toFixed(3)} ms (medians)`);
  console.log(`  ... + candidate objects read                 median ${median(withList).toFixed(3)} ms (ratio to kept-alive ping ${median(ratiosList).toFixed(2)})`);
  console.log(`  /_ping, kept-alive connection                 median ${median(pingReused).toFixed(3)} ms`);
  console.log(`  /_ping, new connection                        median ${median(pingFresh).toFixed(3)} ms`);
  console.log(`  /_ping, Warren's dockerode client             median ${median(pingWarren).toFixed(3)} ms`);
  console.log(`  ratio rank + order / ping (kept-alive)        median ${median(ratios).toFixed(2)}  (target <= 1)`);
  console.log(`  ratio rank + order / ping (new conn.)         median ${median(ratiosFresh).toFixed(2)}`);
  console.log(`  (d) rank + order read, JavaScript loops (no SIMD)  median ${median(withJs).toFixed(3)} ms (ratio to kept-alive ping ${median(withJs.map((r, i) => r / pingSecond[i]!)).toFixed(2)}; rounds of their own, ping ${median(pingSecond).toFixed(3)} ms)`);
  console.log(`  (e) rank + order read, one device changed since the last ranking  median ${median(afterChange).toFixed(3)} ms (ratio to kept-alive ping ${median(afterChange.map((r, i) => r / pingSecond[i]!)).toFixed(2)})`);
  console.log(`  (a) rank from plain objects (table built inside) + ordered list read  median ${median(fromObjects).toFixed(1)} ms (${(median(fromObjects) / median(pingReused)).toFixed(1)}x the ping); building the bench's table once took ${tableBuild.toFixed(1)} ms`);
  console.log(`  (b) rank + JSON of all ${DEVICES} explained candidates  median ${median(explained).toFixed(1)} ms (what POST /api/placement and --json pay in full)`);
  console.log(`  (c) object path, every candidate explained eagerly (reference.ts)  median ${median(objectPath).toFixed(1)} ms; same JSON as the table path: ${sameJson}`);
}

// Imported by profiling scripts for the same fleet; run only when executed.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
