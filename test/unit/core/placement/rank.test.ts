import t from 'tap';
import { WarrenError } from '../../../../core/errors.js';
import { rankDevices, type Candidate, type PlacementOptions, type PlacementRequirements, type ReasonCode } from '../../../../core/placement/index.js';
import { app, device, GiB, MiB } from './helpers.js';

function only(req: PlacementRequirements, d: ReturnType<typeof device>, options?: PlacementOptions): Candidate {
  return rankDevices(req, [d], options).candidates[0]!;
}

const codes = (c: Candidate): ReasonCode[] => c.reasons.map((r) => r.code);

t.test('hard requirements: each case disqualifies with its code, or not at all', async (t) => {
  const cases: { name: string; app?: Partial<PlacementRequirements>; device?: Parameters<typeof device>[0]; options?: PlacementOptions; expect: ReasonCode[]; message?: RegExp }[] = [
    { name: 'healthy device qualifies', expect: [] },
    { name: 'offline', device: { online: false }, expect: ['OFFLINE'], message: /not reachable/ },
    { name: 'metrics one second past the limit', device: { metricsAgeSeconds: 91 }, expect: ['METRICS_STALE'], message: /91 s ago, older than the 90 s limit/ },
    { name: 'metrics exactly at the limit are fresh', device: { metricsAgeSeconds: 90 }, expect: [] },
    { name: 'no metrics at all', device: { metricsAgeSeconds: null }, expect: ['METRICS_STALE'], message: /no sample yet/ },
    { name: 'freshness limit is configurable', device: { metricsAgeSeconds: 200 }, options: { freshnessLimitSeconds: 300 }, expect: [] },
    { name: 'cordoned', device: { cordoned: true }, expect: ['CORDONED'] },
    { name: 'amd64 app on arm64', app: { architectures: ['linux/amd64'] }, device: { arch: 'arm64' }, expect: ['ARCH'], message: /runs arm64; the app's images offer amd64/ },
    { name: 'x86_64 is amd64', app: { architectures: ['linux/amd64'] }, device: { arch: 'x86_64' }, expect: [] },
    { name: 'aarch64 is arm64', app: { architectures: ['linux/arm64/v8'] }, device: { arch: 'aarch64' }, expect: [] },
    { name: 'arm/v7 app on arm64 without declared 32-bit support', app: { architectures: ['linux/arm/v7'] }, device: { arch: 'arm64' }, expect: ['ARCH'] },
    { name: 'arm/v7 app on arm64 that lists arm/v7', app: { architectures: ['linux/arm/v7'] }, device: { arch: 'arm64', platforms: ['linux/arm/v7'] }, expect: [] },
    { name: 'an arm/v7 board runs arm/v6 images', app: { architectures: ['linux/arm/v6'] }, device: { arch: 'armv7l' }, expect: [] },
    { name: 'an arm/v6 board does not run arm/v7 images', app: { architectures: ['linux/arm/v7'] }, device: { arch: 'armv6l' }, expect: ['ARCH'], message: /device runs arm\/v6; the app's images offer arm\/v7/ },
    { name: 'linux/arm means arm/v7', app: { architectures: ['linux/arm'] }, device: { arch: 'armv7l' }, expect: [] },
    { name: 'a device reporting bare arm counts as arm/v6', app: { architectures: ['linux/arm/v7'] }, device: { arch: 'arm' }, expect: ['ARCH'], message: /arm \(variant unknown, counted as arm\/v6\)/ },
    { name: 'bare arm still runs arm/v6 images', app: { architectures: ['linux/arm/v6'] }, device: { arch: 'arm' }, expect: [] },
    { name: 'a 32-bit armv8l userland runs arm/v7', app: { architectures: ['linux/arm/v7'] }, device: { arch: 'armv8l' }, expect: [] },
    { name: 'arm64/v8 is arm64', app: { architectures: ['linux/arm64/v8'] }, device: { arch: 'aarch64' }, expect: [] },
    { name: 'amd64/v3 images need a v3 device', app: { architectures: ['linux/amd64/v3'] }, device: { arch: 'x86_64' }, expect: ['ARCH'] },
    { name: 'an amd64/v3 device runs amd64/v2 images', app: { architectures: ['linux/amd64/v2'] }, device: { arch: 'amd64/v3' }, expect: [] },
    { name: 'ppc64le', app: { architectures: ['linux/ppc64le', 'linux/s390x'] }, device: { arch: 'ppc64el' }, expect: [] },
    { name: 's390x is not riscv64', app: { architectures: ['linux/riscv64'] }, device: { arch: 's390x' }, expect: ['ARCH'] },
    { name: '386 images on amd64 only when listed', app: { architectures: ['linux/386'] }, device: { arch: 'amd64' }, expect: ['ARCH'] },
    { name: '386 listed in platforms', app: { architectures: ['linux/386'] }, device: { arch: 'amd64', platforms: ['i686'] }, expect: [] },
    { name: 'arm64 app on an arm/v7 board', app: { architectures: ['linux/arm64'] }, device: { arch: 'arm/v7' }, expect: ['ARCH'] },
    { name: 'no declared architectures runs anywhere', app: { architectures: [] }, device: { arch: 'riscv64' }, expect: [] },
    { name: 'more CPUs than cores', app: { cpus: 2 }, device: { cores: 1 }, expect: ['CPU_CORES'], message: /limited to 2 CPUs, the device has 1 cores/ },
    { name: 'required device path missing', app: { devicePaths: [{ path: '/dev/dri' }] }, expect: ['DEVICE_PATH'], message: /\/dev\/dri is missing/ },
    { name: 'required device path present', app: { devicePaths: [{ path: '/dev/dri' }] }, device: { devicePaths: ['/dev/dri'] }, expect: [] },
    { name: 'a path below the required one shows it exists', app: { devicePaths: [{ path: '/dev/dri' }] }, device: { devicePaths: ['/dev/dri/renderD128'] }, expect: [] },
    { name: 'a sibling with the same prefix does not', app: { devicePaths: [{ path: '/dev/video1' }] }, device: { devicePaths: ['/dev/video10'] }, expect: ['DEVICE_PATH'] },
    { name: 'optional device path missing only notes it', app: { devicePaths: [{ path: '/dev/dri', optional: true }] }, expect: [] },
    { name: 'published port listening', app: { ports: ['53/udp'] }, device: { listeningPorts: ['53/udp'] }, expect: ['PORT'], message: /53\/udp is already listening/ },
    { name: 'same number, other protocol is free', app: { ports: ['53/udp'] }, device: { listeningPorts: ['53/tcp'] }, expect: [] },
    { name: 'bare port means tcp on both sides', app: { ports: ['8080'] }, device: { listeningPorts: ['8080'] }, expect: ['PORT'] },
    { name: 'RAM exactly enough', app: { memoryBytes: 2 * GiB }, device: { memory: { availableBytes: 2 * GiB } }, expect: [] },
    {
      name: 'RAM one byte short',
      app: { memoryBytes: 2 * GiB },
      device: { memory: { availableBytes: 2 * GiB - 1 } },
      expect: ['RAM'],
      message: /^RAM: needs 2\.0 GiB, 2\.0 GiB available \(sampled 10 s ago; 1 B short\)$/,
    },
    {
      name: 'RAM after the device reserve',
      app: { memoryBytes: 2 * GiB },
      device: { memory: { availableBytes: 2.5 * GiB, reserveBytes: 1 * GiB } },
      expect: ['RAM'],
      message: /needs 2\.0 GiB, 1\.5 GiB available \(sampled 10 s ago; after a 1\.0 GiB device reserve\)/,
    },
    {
      name: 'RAM after other apps\' reservations',
      app: { memoryBytes: 2 * GiB },
      device: { metricsAgeSeconds: 12, memory: { availableBytes: 3 * GiB }, reservations: [{ app: 'immich', memoryBytes: 1.9 * GiB, storageBytes: 0 }] },
      expect: ['RAM'],
      message: /needs 2\.0 GiB, 1\.1 GiB available \(sampled 12 s ago; after 1\.9 GiB reserved for immich\)/,
    },
    {
      name: 'the app\'s own reservation does not count against it',
      app: { app: 'gitea', memoryBytes: 2 * GiB },
      device: { memory: { availableBytes: 3 * GiB }, reservations: [{ app: 'gitea', memoryBytes: 2 * GiB, storageBytes: 0 }] },
      expect: [],
    },
    { name: 'observed memory above the declared need counts', app: { memoryBytes: 1 * GiB, observedMemoryBytes: 3 * GiB }, device: { memory: { availableBytes: 2 * GiB } }, expect: ['RAM'], message: /needs 3\.0 GiB/ },
    { name: 'storage short', app: { diskBytes: 20 * GiB }, device: { storage: { availableBytes: 19 * GiB } }, expect: ['STORAGE'], message: /^Storage: needs 20\.0 GiB, 19\.0 GiB available/ },
    {
      name: 'storage after reservations',
      app: { diskBytes: 20 * GiB },
      device: { storage: { availableBytes: 30 * GiB }, reservations: [{ app: 'immich', memoryBytes: 0, storageBytes: 15 * GiB }] },
      expect: ['STORAGE'],
      message: /15\.0 GiB available .*15\.0 GiB reserved for immich/,
    },
    {
      name: 'a postgres pool that satisfies the range and extensions',
      app: { databases: [{ ref: 'db', engine: 'postgres', versions: '>=14', extensions: ['pg_trgm'] }] },
      device: { memory: { availableBytes: 600 * MiB }, databases: [{ engine: 'postgresql', version: '15.6', extensions: ['pg_trgm'] }] },
      expect: [],
    },
    {
      name: 'pool too old and no room for a dedicated server',
      app: { databases: [{ ref: 'db', engine: 'postgres', versions: '>=16' }] },
      device: { memory: { availableBytes: 600 * MiB }, databases: [{ engine: 'postgres', version: '15.6' }] },
      expect: ['DATABASE'],
      message: /postgres 15\.6 pool does not satisfy >=16.*256\.0 MiB, so 768\.0 MiB with the app, 600\.0 MiB available/,
    },
    {
      name: 'pool lacks an extension and no room for a dedicated server',
      app: { databases: [{ ref: 'db', engine: 'postgres', extensions: ['postgis'] }] },
      device: { memory: { availableBytes: 600 * MiB }, databases: [{ engine: 'postgres', version: '16.2', extensions: ['pg_trgm'] }] },
      expect: ['DATABASE'],
      message: /lacks postgis/,
    },
    {
      name: 'no pool, but room for a dedicated server',
      app: { databases: [{ ref: 'db', engine: 'mariadb', versions: '^10.6' }] },
      device: { memory: { availableBytes: 1 * GiB } },
      expect: [],
    },
    {
      name: 'mariadb version strings with a suffix satisfy ranges',
      app: { databases: [{ ref: 'db', engine: 'mariadb', versions: '^10.6' }] },
      device: { memory: { availableBytes: 600 * MiB }, databases: [{ engine: 'mariadb', version: '10.11.6-MariaDB' }] },
      expect: [],
    },
    {
      name: 'a dedicated need ignores a fitting pool',
      app: { databases: [{ ref: 'db', engine: 'postgres', dedicated: true }] },
      device: { memory: { availableBytes: 600 * MiB }, databases: [{ engine: 'postgres', version: '16.2' }] },
      expect: ['DATABASE'],
      message: /the app asks for one/,
    },
    {
      name: 'dedicated memory is configurable',
      app: { databases: [{ ref: 'db', engine: 'postgres', dedicated: true }] },
      device: { memory: { availableBytes: 600 * MiB } },
      options: { dedicatedMemoryBytes: { postgres: 64 * MiB } },
      expect: [],
    },
    {
      name: 'a need\'s own fallback memory wins over the engine default',
      app: { databases: [{ ref: 'db', engine: 'postgres', dedicated: true, dedicatedMemoryBytes: 32 * MiB }] },
      device: { memory: { availableBytes: 550 * MiB } },
      expect: [],
    },
  ];
  for (const c of cases) {
    const cand = only(app(c.app), device(c.device), c.options);
    t.same(codes(cand), c.expect, c.name);
    t.equal(cand.eligible, c.expect.length === 0, `${c.name}: eligible`);
    t.equal(cand.total === null, c.expect.length > 0, `${c.name}: total null exactly when disqualified`);
    if (c.message) t.match(cand.reasons[0]?.message, c.message, `${c.name}: message`);
  }
});

t.test('every failing reason is reported, not the first', async (t) => {
  const cand = only(
    app({ memoryBytes: 4 * GiB, diskBytes: 50 * GiB, architectures: ['linux/amd64'], cpus: 8, devicePaths: [{ path: '/dev/dri' }, { path: '/dev/ttyUSB0' }], ports: ['53/udp', '80/tcp'], databases: [{ ref: 'db', engine: 'postgres', dedicated: true }] }),
    device({ online: false, metricsAgeSeconds: 600, cordoned: true, arch: 'arm/v7', cores: 4, listeningPorts: ['53/udp', '80/tcp'], memory: { availableBytes: 1 * GiB }, storage: { availableBytes: 8 * GiB } }),
  );
  t.same(codes(cand), ['OFFLINE', 'METRICS_STALE', 'CORDONED', 'ARCH', 'CPU_CORES', 'DEVICE_PATH', 'DEVICE_PATH', 'PORT', 'PORT', 'RAM', 'DATABASE', 'STORAGE']);
  t.notOk(cand.eligible);
});

t.test('optional device paths and database plans are explained on eligible devices', async (t) => {
  const cand = only(
    app({ devicePaths: [{ path: '/dev/dri', optional: true }], databases: [{ ref: 'db', engine: 'postgres' }, { ref: 'cache', engine: 'mariadb' }] }),
    device({ databases: [{ engine: 'postgres', version: '16.1' }] }),
  );
  t.same(cand.notes, ['optional device path /dev/dri is missing']);
  t.same(
    cand.databases.map((d) => [d.ref, d.via, d.newServer ?? false, d.memoryBytes]),
    [
      ['db', 'pool', false, 0],
      ['cache', 'pool', true, 384 * MiB],
    ],
  );
  t.match(cand.databases[1]!.detail, /new shared mariadb server \(none on the device yet; installing creates it, 384\.0 MiB counted in the RAM need\)/);
  t.equal(cand.criteria.ram.need, 512 * MiB + 384 * MiB, 'the new shared server counts in the RAM need');
});

t.test('database needs are met as install meets them', async (t) => {
  const pg = (o: object = {}) => ({ ref: 'db', engine: 'postgres' as const, ...o });
  const plan = (a: Parameters<typeof app>[0], d: Parameters<typeof device>[0], options = {}) => {
    const c = rankDevices(app(a), [device(d)], options).candidates[0]!;
    return { plans: c.databases.map((x) => [x.via, x.newServer ?? false, x.memoryBytes]), need: c.criteria.ram.need, codes: c.reasons.map((r) => r.code), c };
  };
  let r = plan({ databases: [pg()] }, {});
  t.same(r.plans, [['pool', true, 256 * MiB]], 'no server of the engine: install creates the shared one');
  r = plan({ databases: [pg(), pg({ ref: 'cache' })] }, {});
  t.same(r.plans, [['pool', true, 256 * MiB], ['pool', true, 0]], 'one shared server for two needs of one engine');
  t.equal(r.need, 512 * MiB + 256 * MiB);
  r = plan({ databases: [pg({ versions: '>=16' })] }, { databases: [{ engine: 'postgres', version: '15.4' }] });
  t.same(r.plans, [['dedicated', false, 256 * MiB]], 'an existing pool of another version: a dedicated server');
  t.match(r.c.databases[0]!.detail, /the postgres 15\.4 pool does not satisfy >=16/);
  r = plan({ databases: [pg({ dedicated: true })] }, {});
  t.same(r.plans, [['dedicated', false, 256 * MiB]], 'a need for a dedicated server never creates the shared one');
  r = plan({ databases: [pg({ versions: '>=17' })] }, {}, { newPoolServer: { postgres: { version: '16.4', memoryBytes: 200 * MiB } } });
  t.same(r.plans, [['dedicated', true, 200 * MiB + 256 * MiB]], 'a new shared server known not to fit: install creates it and a dedicated one');
  t.match(r.c.databases[0]!.detail, /a new shared postgres server would run 16\.4, which does not satisfy >=17/);
  r = plan({ databases: [pg({ versions: '>=16' })] }, {}, { newPoolServer: { postgres: { version: '16.4', memoryBytes: 200 * MiB } } });
  t.same(r.plans, [['pool', true, 200 * MiB]], 'the configured shared-server memory counts');
  r = plan({ memoryBytes: 512 * MiB, databases: [pg()] }, { memory: { availableBytes: 700 * MiB } });
  t.same(r.codes, ['DATABASE'], 'no room for the new shared server');
  t.match(r.c.reasons[0]!.message, /^Database: db \(postgres\) needs a new shared postgres server \(none on the device yet; installing creates it, 256\.0 MiB counted in the RAM need\); the database servers it brings need 256\.0 MiB, so 768\.0 MiB with the app, 700\.0 MiB available \(sampled 10 s ago\)$/);
});

t.test('criteria follow the default curves', async (t) => {
  const cases: { name: string; app?: Partial<PlacementRequirements>; device?: Parameters<typeof device>[0]; criterion: 'ram' | 'storage' | 'cpu' | 'load' | 'reliability'; value: number | null; score: number; note?: RegExp }[] = [
    { name: 'RAM: free = need scores 0', app: { memoryBytes: 1 * GiB }, device: { memory: { availableBytes: 1 * GiB } }, criterion: 'ram', value: 1 * GiB, score: 0 },
    { name: 'RAM: need + need scores 50', app: { memoryBytes: 1 * GiB }, device: { memory: { availableBytes: 2 * GiB } }, criterion: 'ram', value: 2 * GiB, score: 50 },
    { name: 'RAM: need + 2·need saturates', app: { memoryBytes: 1 * GiB }, device: { memory: { availableBytes: 3 * GiB } }, criterion: 'ram', value: 3 * GiB, score: 100 },
    { name: 'RAM: far more is still 100', app: { memoryBytes: 1 * GiB }, device: { memory: { availableBytes: 64 * GiB } }, criterion: 'ram', value: 64 * GiB, score: 100 },
    { name: 'RAM: no declared need', app: { memoryBytes: 0 }, criterion: 'ram', value: 8 * GiB, score: 100 },
    { name: 'storage: small needs count as 1 GiB', app: { diskBytes: 50 * MiB }, device: { storage: { availableBytes: 50 * MiB + 2 * GiB } }, criterion: 'storage', value: 50 * MiB + 2 * GiB, score: 50 },
    { name: 'storage: a 2 TB disk is just plenty', app: { diskBytes: 50 * MiB }, device: { storage: { availableBytes: 2048 * GiB } }, criterion: 'storage', value: 2048 * GiB, score: 100 },
    { name: 'storage: big need', app: { diskBytes: 10 * GiB }, device: { storage: { availableBytes: 30 * GiB } }, criterion: 'storage', value: 30 * GiB, score: 50 },
    { name: 'CPU: four reference cores saturate', device: { cores: 4, cpuScorePerCore: 1 }, criterion: 'cpu', value: 4, score: 100 },
    { name: 'CPU: slow cores', device: { cores: 4, cpuScorePerCore: 0.45 }, criterion: 'cpu', value: 1.8, score: 45 },
    { name: 'CPU: unknown per-core score counts as 0.5', device: { cores: 2, cpuScorePerCore: null }, criterion: 'cpu', value: 1, score: 25, note: /unknown; counted as 0\.5/ },
    { name: 'CPU: zero per-core score is never zero', device: { cores: 2, cpuScorePerCore: 0 }, criterion: 'cpu', value: 1, score: 25, note: /unknown/ },
    { name: 'load: idle', device: { load1: 0 }, criterion: 'load', value: 0, score: 100 },
    { name: 'load: half the cores busy', device: { cores: 4, load1: 2 }, criterion: 'load', value: 2, score: 50 },
    { name: 'load: overloaded is 0, not negative', device: { cores: 4, load1: 9 }, criterion: 'load', value: 9, score: 0 },
    { name: 'load: unknown is neutral', device: { load1: null }, criterion: 'load', value: null, score: 50, note: /unknown/ },
    { name: 'reliability: 7-day availability', device: { availability7d: 0.9 }, criterion: 'reliability', value: 0.9, score: 90 },
    { name: 'reliability: unknown is a neutral 50', device: { availability7d: null }, criterion: 'reliability', value: null, score: 50, note: /under an hour of history/ },
  ];
  for (const c of cases) {
    const r = only(app(c.app), device(c.device)).criteria[c.criterion];
    t.equal(r.value, c.value, `${c.name}: value`);
    t.equal(r.score, c.score, `${c.name}: score`);
    if (c.note) t.match(r.note, c.note, `${c.name}: note`);
    else t.equal(r.note, undefined, `${c.name}: no note`);
  }
});

t.test('weights and curves: defaults, global and per-app overrides, always echoed', async (t) => {
  const d = device({ memory: { availableBytes: 2 * GiB }, cores: 2, load1: 1 });
  const base = rankDevices(app({ memoryBytes: 1 * GiB }), [d]);
  t.same(base.weights, { ram: 40, storage: 30, cpu: 15, load: 10, reliability: 5 });
  t.equal(base.curves.ram.headroomFactor, 2);
  t.match(base.curves.ram.formula, '(2·need)');
  const c = base.candidates[0]!.criteria;
  t.same([c.ram.score, c.ram.weight, c.ram.contribution], [50, 40, 20]);
  t.same([c.cpu.score, c.cpu.contribution], [50, 7.5]);

  const global = rankDevices(app({ memoryBytes: 1 * GiB }), [d], { weights: { ram: 100, storage: 0, cpu: 0, load: 0, reliability: 0 }, curves: { ram: { headroomFactor: 1 } } });
  t.equal(global.candidates[0]!.criteria.ram.score, 100, 'a steeper RAM curve');
  t.equal(global.candidates[0]!.total, 100, 'only RAM counts');
  t.match(global.curves.ram.formula, '(1·need)');

  const perApp = rankDevices(app({ memoryBytes: 1 * GiB, weights: { ram: 0, cpu: 50 } }), [d], { weights: { ram: 100, storage: 0, cpu: 0, load: 0, reliability: 0 } });
  t.same(perApp.weights, { ram: 0, storage: 0, cpu: 50, load: 0, reliability: 0 }, 'the app overrides the global weights');
  t.equal(perApp.candidates[0]!.total, 50, 'only CPU counts now');
});

t.test('weights that do not sum to 100 still give totals on 0–100', async (t) => {
  const r = rankDevices(app(), [device()], { weights: { ram: 1, storage: 1, cpu: 1, load: 1, reliability: 1 } });
  const c = r.candidates[0]!;
  t.equal(c.criteria.ram.contribution, 20);
  t.ok(c.total! <= 100 && c.total! >= 0);
});

t.test('totals round the exact weighted sum once; the contributions shown add up to it', async (t) => {
  // Weights 10/10/0/60/10 (sum 90), scores RAM 100, storage 100, CPU 0 (cpu weight 0), load 50,
  // reliability 100: exact shares 11.111 + 11.111 + 0 + 33.333 + 11.111 = 66.667.
  const d = device({ memory: { availableBytes: 64 * GiB }, cores: 4, load1: 2, availability7d: 1 });
  const r = rankDevices(app(), [d], { weights: { ram: 10, storage: 10, cpu: 0, load: 60, reliability: 10 } });
  const c = r.candidates[0]!;
  t.equal(c.total, 66.67, 'the exact sum rounded, not the sum of rounded shares (66.66)');
  t.same(
    (['ram', 'storage', 'cpu', 'load', 'reliability'] as const).map((k) => c.criteria[k].contribution),
    [11.11, 11.11, 0, 33.34, 11.11],
    'the cent the rounding left goes to the largest remainder (load, 33.333)',
  );
  // A third of the RAM scale: 83.333 shows as 83.33, its share 33.333 as 33.33; total 93.33 (not 93.32).
  const third = device({ memory: { availableBytes: 4 * GiB }, cores: 4, load1: 0, availability7d: 1, cpuScorePerCore: 1 });
  const x = rankDevices(app({ memoryBytes: 1.5 * GiB, diskBytes: 1 * GiB }), [third]).candidates[0]!;
  t.equal(x.criteria.ram.score, 83.33);
  t.equal(x.criteria.ram.contribution, 33.33);
  t.equal(x.total, 93.33);
});

t.test('bad settings fail with every path', async (t) => {
  const err = t.throws(() =>
    rankDevices(app({ curves: { ram: { headroomFactor: 0 } } }), [device()], { weights: { ram: -1, disk: 3 } as never, freshnessLimitSeconds: 0 }),
  ) as WarrenError;
  t.equal(err.code, 'WARREN_ERR_INVALID_INPUT');
  t.same(err.details?.map((d) => d.path).sort(), ['/app/curves/ram/headroomFactor', '/options/freshnessLimitSeconds', '/options/weights/disk', '/options/weights/ram']);
  t.throws(() => rankDevices(app(), [device()], { weights: { ram: 0, storage: 0, cpu: 0, load: 0, reliability: 0 } }), { code: 'WARREN_ERR_INVALID_INPUT' });
});

t.test('ordering: best first, disqualified last with fewest reasons first', async (t) => {
  const r = rankDevices(app({ memoryBytes: 1 * GiB }), [
    device({ id: 'bad2', online: false, cordoned: true }),
    device({ id: 'small', memory: { availableBytes: 2 * GiB } }),
    device({ id: 'bad1', cordoned: true }),
    device({ id: 'big', memory: { availableBytes: 8 * GiB } }),
  ]);
  t.same(r.candidates.map((c) => c.device), ['big', 'small', 'bad1', 'bad2']);
  t.equal(r.recommended, 'big');
  t.equal(r.tieBreak, null, 'no tie, no tie-break');
});

t.test('ties: RAM headroom, then image present, then device id; the one used is stated', async (t) => {
  const tiny = app({ memoryBytes: 64 * MiB, images: ['nginx'] });
  const headroom = rankDevices(tiny, [device({ id: 'b', memory: { availableBytes: 8 * GiB } }), device({ id: 'a', memory: { availableBytes: 4 * GiB } })]);
  t.equal(headroom.recommended, 'b');
  t.match(headroom.tieBreak, /^2 devices tie at .*RAM headroom: b keeps 7\.9 GiB free/);

  const image = rankDevices(tiny, [device({ id: 'a' }), device({ id: 'b', images: ['docker.io/library/nginx:latest'] })]);
  t.equal(image.recommended, 'b', 'short and full image refs compare equal');
  t.match(image.tieBreak, /image present: b already has 1/);

  const id = rankDevices(tiny, [device({ id: 'b' }), device({ id: 'a' })]);
  t.equal(id.recommended, 'a');
  t.match(id.tieBreak, /device id: a sorts before b/);
});

t.test('suggestions when nothing qualifies', async (t) => {
  const r = rankDevices(app({ memoryBytes: 2 * GiB, ports: ['80/tcp'], architectures: ['linux/amd64'] }), [
    device({
      id: 'nuc',
      name: 'nuc',
      memory: { availableBytes: 1.75 * GiB },
      reservations: [{ app: 'grafana', memoryBytes: 256 * MiB, storageBytes: 0 }],
      apps: [
        { id: 'gitea', memoryBytes: 300 * MiB, storageBytes: 0 },
        { id: 'nextcloud', memoryBytes: 700 * MiB, storageBytes: 0 },
        { id: 'immich', memoryBytes: 1.2 * GiB, storageBytes: 0 },
      ],
    }),
    device({ id: 'nas', name: 'nas', cordoned: true }),
    device({ id: 'pi', name: 'pi', listeningPorts: ['80/tcp'] }),
    device({ id: 'old', name: 'old', arch: 'arm/v6' }),
  ]);
  t.equal(r.recommended, null);
  t.same(
    r.suggestions.map((s) => s.message),
    ['uncordon nas', 'stop nextcloud on nuc, freeing 700.0 MiB', 'port 80/tcp is taken on pi: stop what listens there'],
    'nuc is 512 MiB short after grafana\'s reservation: nextcloud (700 MiB) is the smallest app that frees enough',
  );
  t.same(r.warnings, []);

  const none = rankDevices(app({ architectures: ['linux/s390x'] }), [device()]);
  t.same(none.suggestions, []);
  t.same(none.warnings.map((w) => w.code), ['NO_FIX']);

  const fits = rankDevices(app(), [device({ id: 'a' }), device({ id: 'b', cordoned: true })]);
  t.same(fits.suggestions, [], 'no suggestions while something qualifies');
});

t.test('several apps when no single one frees enough; none when all of them are too little', async (t) => {
  const apps = [
    { id: 'a', memoryBytes: 400 * MiB, storageBytes: 0 },
    { id: 'b', memoryBytes: 300 * MiB, storageBytes: 0 },
    { id: 'c', memoryBytes: 100 * MiB, storageBytes: 0 },
  ];
  const r = rankDevices(app({ memoryBytes: 1 * GiB }), [device({ memory: { availableBytes: 400 * MiB }, apps })]);
  t.same(r.suggestions[0]!.actions.map((a) => a.app), ['a', 'b'], '624 MiB short: the largest (a), then the smallest that closes the last 224 MiB (b; c is too small)');
  const r2 = rankDevices(app({ memoryBytes: 2 * GiB }), [device({ memory: { availableBytes: 400 * MiB }, apps })]);
  t.same(r2.suggestions, []);
  const r3 = rankDevices(app({ diskBytes: 10 * GiB }), [device({ storage: { availableBytes: 6 * GiB }, apps: [{ id: 'photos', memoryBytes: 0, storageBytes: 5 * GiB }] })]);
  t.same(r3.suggestions[0]!.actions, [{ code: 'REMOVE_APP', app: 'photos', freesBytes: 5 * GiB, message: 'remove photos from dev, freeing 5.0 GiB of storage' }]);
});

t.test('warns when the placement leaves no device able to host the largest installed app', async (t) => {
  const devices = [
    device({ id: 'big', memory: { availableBytes: 6 * GiB } }),
    device({ id: 'small', memory: { availableBytes: 1 * GiB }, apps: [{ id: 'immich', memoryBytes: 4 * GiB, storageBytes: 0 }] }),
  ];
  const r = rankDevices(app({ memoryBytes: 3 * GiB }), devices);
  t.equal(r.recommended, 'big');
  t.same(r.warnings.map((w) => w.code), ['LARGEST_APP_HOMELESS']);
  t.match(r.warnings[0]!.message, /Placing on big leaves no other device able to host immich \(4\.0 GiB/);
  const ok = rankDevices(app({ memoryBytes: 1 * GiB }), devices);
  t.same(ok.warnings, [], 'big keeps 5 GiB, enough for immich');
  const single = rankDevices(app({ memoryBytes: 1 * GiB }), [devices[1]!]);
  t.same(single.warnings, [], 'a lab that never had the room is not warned on every placement');
});

t.test('an empty inventory recommends nothing and does not throw', async (t) => {
  const r = rankDevices(app(), []);
  t.same([r.recommended, r.candidates, r.suggestions, r.warnings.map((w) => w.code)], [null, [], [], ['NO_DEVICES']]);
});

t.test("the ranking pass's rounding of totals is Math.round's", async (t) => {
  // core/placement/rank.ts scoreRows rounds 100 × the weighted sum with floor(x + 0.5), corrected for
  // the one double below 0.5 where x + 0.5 rounds up to 1, instead of Math.round (whose branch goes
  // either way at random). Totals in hundredths lie in 0..10000; checked well beyond (the identity
  // holds below 2^52), on every half,
  // on the doubles next to each half, and on random doubles.
  const pass = (x: number) => Math.floor(x + 0.5) - (x === 0.49999999999999994 ? 1 : 0);
  // The doubles next to a positive x, from its bits.
  const f64 = new Float64Array(1);
  const bits = new BigInt64Array(f64.buffer);
  const step = (x: number, by: bigint) => {
    f64[0] = x;
    bits[0]! += by;
    return f64[0]!;
  };
  const below = (x: number) => step(x, -1n);
  const above = (x: number) => step(x, 1n);
  let checked = 0;
  let wrong = 0;
  const check = (x: number) => {
    checked++;
    if (pass(x) !== Math.round(x) && !(pass(x) === 0 && Math.round(x) === 0)) {
      wrong++;
      if (wrong <= 5) t.fail(`x = ${x}: ${pass(x)} instead of ${Math.round(x)}`);
    }
  };
  for (let k = -2; k <= 20_000; k++) {
    const half = k + 0.5;
    for (const x of half > 0 ? [k, half, below(half), above(half), below(below(half))] : [k, half]) check(x);
  }
  // Up to 2^52, where doubles stop having halves (beyond, x + 0.5 rounds: not a total).
  for (const x of [0, -0, 0.49999999999999994, 0.5, 0.5000000000000001, 1e-300, 2 ** 51 + 0.5, 2 ** 52 - 0.5, 2 ** 52 - 1, 2 ** 52]) check(x);
  let seed = 12345;
  for (let k = 0; k < 200_000; k++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    check((seed / 2 ** 32) * 10_001);
  }
  t.equal(wrong, 0, `${checked} values round alike`);
});
