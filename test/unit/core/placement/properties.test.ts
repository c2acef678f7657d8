// Properties of rankDevices over generated labs. The seed is fixed so that a failure reproduces; set
// PLACEMENT_SEED to explore others. fast-check prints the seed and the shrunk counterexample on failure.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { rankDevices, type DeviceSnapshot, type PlacementRequirements } from '../../../../core/placement/index.js';
import { GiB, MiB } from './helpers.js';

const seed = Number(process.env.PLACEMENT_SEED ?? 20261127);
const params = { seed, numRuns: 200 };
t.comment(`fast-check seed ${seed}, ${params.numRuns} runs per property`);

const arches = ['amd64', 'x86_64', 'arm64', 'aarch64', 'arm/v7', 'armv7l', 'arm/v6'];
const ports = ['22/tcp', '53/udp', '53/tcp', '80/tcp', '443/tcp', '8080/tcp'];
const paths = ['/dev/dri', '/dev/ttyUSB0', '/dev/video10'];

const deviceBody = fc.record({
  name: fc.constantFrom('pi', 'nas', 'nuc', 'laptop'),
  online: fc.boolean(),
  metricsAgeSeconds: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 400 })),
  cordoned: fc.boolean(),
  arch: fc.constantFrom(...arches),
  platforms: fc.subarray(['arm/v7', 'arm/v6', '386']),
  cores: fc.integer({ min: 1, max: 16 }),
  cpuScorePerCore: fc.oneof(fc.constant(null), fc.constant(0), fc.double({ min: 0.05, max: 2, noNaN: true })),
  memory: fc.record({
    totalBytes: fc.constant(64 * GiB),
    availableBytes: fc.integer({ min: 0, max: 32 * 1024 }).map((m) => m * MiB),
    reserveBytes: fc.integer({ min: 0, max: 2048 }).map((m) => m * MiB),
  }),
  storage: fc.record({ availableBytes: fc.integer({ min: 0, max: 4096 }).map((g) => g * GiB) }),
  load1: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 20, noNaN: true })),
  availability7d: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1, noNaN: true })),
  devicePaths: fc.subarray(paths),
  listeningPorts: fc.subarray(ports),
  images: fc.subarray(['nginx:1.27', 'postgres:16', 'docker.io/library/nginx:1.27']),
  reservations: fc.array(
    fc.record({ app: fc.constantFrom('immich', 'gitea', 'app'), memoryBytes: fc.integer({ min: 0, max: 4096 }).map((m) => m * MiB), storageBytes: fc.integer({ min: 0, max: 50 }).map((g) => g * GiB) }),
    { maxLength: 2 },
  ),
  databases: fc.subarray([
    { engine: 'postgres', version: '15.6', extensions: ['pg_trgm'] },
    { engine: 'mariadb', version: '10.11.6-MariaDB' },
  ]),
  apps: fc.array(fc.record({ id: fc.constantFrom('grafana', 'paperless', 'music'), memoryBytes: fc.integer({ min: 0, max: 4096 }).map((m) => m * MiB), storageBytes: fc.constant(0) }), { maxLength: 3 }),
});

const devicesArb = (max: number): fc.Arbitrary<DeviceSnapshot[]> =>
  fc
    .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/), deviceBody), { maxLength: max, selector: ([id]) => id })
    .map((list) => list.map(([id, body]) => ({ id, ...body }) as DeviceSnapshot));

const appArb: fc.Arbitrary<PlacementRequirements> = fc.record({
  app: fc.constant('app'),
  memoryBytes: fc.integer({ min: 0, max: 8 * 1024 }).map((m) => m * MiB),
  diskBytes: fc.integer({ min: 0, max: 200 }).map((g) => g * GiB),
  architectures: fc.subarray(['linux/amd64', 'linux/arm64', 'linux/arm/v7']),
  devicePaths: fc.subarray([{ path: '/dev/dri' }, { path: '/dev/ttyUSB0', optional: true }]),
  ports: fc.subarray(['53/udp', '80/tcp', '8096/tcp']),
  databases: fc.subarray([{ ref: 'db', engine: 'postgres' as const, versions: '>=14' }, { ref: 'cache', engine: 'mariadb' as const, dedicated: true }]),
  images: fc.subarray(['nginx:1.27']),
});

const order = (ids: readonly string[], keep: ReadonlySet<string>): string[] => ids.filter((id) => keep.has(id));

t.test('shuffling the devices never changes the result', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(12).chain((ds) => fc.tuple(fc.constant(ds), fc.shuffledSubarray(ds, { minLength: ds.length, maxLength: ds.length }))), (app, [ds, shuffled]) => {
      return isDeepStrictEqual(rankDevices(app, shuffled), rankDevices(app, ds));
    }),
    params,
  );
  t.pass('held');
});

t.test('adding a device never reorders the others or changes their scores', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(10), deviceBody, (app, ds, extraBody) => {
      const extra = { id: 'zz-extra-device', ...extraBody } as DeviceSnapshot;
      const before = rankDevices(app, ds);
      const after = rankDevices(app, [...ds, extra]);
      const ids = new Set(ds.map((d) => d.id));
      if (JSON.stringify(order(after.candidates.map((c) => c.device), ids)) !== JSON.stringify(before.candidates.map((c) => c.device))) return false;
      const scores = (r: typeof before): string => JSON.stringify(r.candidates.filter((c) => ids.has(c.device)).map((c) => [c.device, c.total, c.criteria, c.reasons]));
      return scores(after) === scores(before);
    }),
    params,
  );
  t.pass('held');
});

t.test('more free RAM never lowers a score nor loses eligibility', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(6).filter((ds) => ds.length > 0), fc.nat(), fc.integer({ min: 1, max: 16 * 1024 }), (app, ds, pick, extraMiB) => {
      const i = pick % ds.length;
      const d = ds[i]!;
      const richer = { ...d, memory: { ...d.memory, availableBytes: d.memory.availableBytes + extraMiB * MiB } };
      const find = (r: ReturnType<typeof rankDevices>) => r.candidates.find((c) => c.device === d.id)!;
      const a = find(rankDevices(app, ds));
      const b = find(rankDevices(app, ds.map((x, j) => (j === i ? richer : x))));
      if (b.criteria.ram.score < a.criteria.ram.score) return false;
      if (a.eligible && !b.eligible) return false;
      if (a.eligible && b.total! < a.total!) return false;
      return b.reasons.length <= a.reasons.length;
    }),
    params,
  );
  t.pass('held');
});

t.test('a disqualified device is never recommended, something eligible always is, and a tie-break is stated exactly when the top two tie', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(12), (app, ds) => {
      const r = rankDevices(app, ds);
      const eligible = r.candidates.filter((c) => c.eligible);
      if (r.recommended === null) return eligible.length === 0 && r.candidates.every((c) => c.reasons.length > 0);
      const rec = r.candidates.find((c) => c.device === r.recommended)!;
      const [first, second] = r.candidates;
      const tied = second !== undefined && second.eligible && second.total === first!.total;
      if ((r.tieBreak !== null) !== tied) return false;
      return rec.eligible && rec.reasons.length === 0 && first === rec && r.suggestions.length === 0;
    }),
    params,
  );
  t.pass('held');
});

t.test('contributions sum to the total; scores and totals stay within 0–100; best first, disqualified last by fewest reasons', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(12), (app, ds) => {
      const r = rankDevices(app, ds);
      let prev = Infinity;
      let seenDisqualified = false;
      let prevReasons = 0;
      for (const c of r.candidates) {
        const crit = Object.values(c.criteria);
        if (crit.some((x) => x.score < 0 || x.score > 100)) return false;
        if (!c.eligible) {
          seenDisqualified = true;
          if (c.total !== null || c.reasons.length === 0 || c.reasons.length < prevReasons) return false;
          prevReasons = c.reasons.length;
          continue;
        }
        if (seenDisqualified) return false;
        const sum = crit.reduce((s, x) => s + x.contribution, 0);
        if (Math.abs(sum - c.total!) > 1e-9 || c.total! < 0 || c.total! > 100) return false;
        if (c.total! > prev) return false;
        prev = c.total!;
      }
      return true;
    }),
    params,
  );
  t.pass('held');
});
