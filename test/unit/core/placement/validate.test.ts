import t from 'tap';
import { readFileSync } from 'node:fs';
import { WarrenError } from '../../../../core/errors.js';
import { parseRequirements, parseSnapshot } from '../../../../core/placement/index.js';

const lab = JSON.parse(readFileSync(new URL('../../../fixtures/placement/snapshots/lab.json', import.meta.url), 'utf8'));

function errorOf(fn: () => unknown): WarrenError {
  try {
    fn();
  } catch (e) {
    if (e instanceof WarrenError) return e;
    throw e;
  }
  throw new Error('expected a WarrenError');
}

t.test('the lab snapshot parses and keeps its figures', async (t) => {
  const s = parseSnapshot(lab);
  t.equal(s.devices.length, 7);
  t.equal(s.devices[0]!.memory.availableBytes, lab.devices[0].memory.availableBytes);
});

t.test('a minimal device gets the documented defaults, and the input is left alone', async (t) => {
  const input = { devices: [{ id: 'a', name: 'a', online: true, metricsAgeSeconds: 3, arch: 'amd64', cores: 2, memory: { availableBytes: 1 }, storage: { availableBytes: 2 } }] };
  const frozen = JSON.stringify(input);
  const d = parseSnapshot(input).devices[0]!;
  t.same(
    [d.cordoned, d.cpuScorePerCore, d.load1, d.availability7d, d.memory.reserveBytes, d.devicePaths, d.listeningPorts, d.images, d.reservations, d.databases],
    [false, null, null, null, 0, [], [], [], [], []],
  );
  t.equal(JSON.stringify(input), frozen);
});

t.test('every error in a bad snapshot is reported with its path', async (t) => {
  const bad = structuredClone(lab);
  delete bad.devices[0].online;
  bad.devices[1].memory.availableBytes = '520M';
  bad.devices[2].availability7d = 1.5;
  bad.devices[3].listeningPorts.push('http');
  bad.devices[4].id = 'pi4';
  bad.devices[5].reservations = [{ memoryBytes: 5 }];
  const e = errorOf(() => parseSnapshot(bad));
  t.equal(e.code, 'WARREN_ERR_INVALID_INPUT');
  t.same(
    e.details!.map((d) => d.path),
    [
      '/devices/0/online',
      '/devices/1/memory/availableBytes',
      '/devices/2/availability7d',
      '/devices/5/reservations/0/app',
      '/devices/5/reservations/0/storageBytes',
      '/devices/3/listeningPorts/2',
      '/devices/4/id',
    ],
    'schema errors first, then the port and duplicate-id checks: all of them at once',
  );
  t.match(e.message, /\/devices\/0\/online: is required/);
});

t.test('duplicate ids and bad ports are found once the shape is right', async (t) => {
  const bad = structuredClone(lab);
  bad.devices[4].id = 'pi4';
  bad.devices[3].listeningPorts.push('http', '70000/tcp');
  const e = errorOf(() => parseSnapshot(bad));
  t.same(
    e.details!.map((d) => d.path),
    ['/devices/3/listeningPorts/2', '/devices/3/listeningPorts/3', '/devices/4/id'],
  );
  t.match(e.details![2]!.message, 'also /devices/0/id');
});

t.test('not a snapshot at all', async (t) => {
  t.same(errorOf(() => parseSnapshot([lab.devices[0]])).details, [{ path: '/', message: 'must be object' }]);
  t.same(errorOf(() => parseSnapshot({})).details, [{ path: '/devices', message: 'is required' }]);
});

t.test('requirements: defaults, plain device paths, ports normalised to strings', async (t) => {
  const r = parseRequirements({ memoryBytes: 1024, devicePaths: ['/dev/dri', { path: '/dev/ttyUSB0', optional: true }], ports: [8080, '53/udp'] });
  t.same(r.devicePaths, [{ path: '/dev/dri' }, { path: '/dev/ttyUSB0', optional: true }]);
  t.same(r.ports, ['8080', '53/udp']);
  t.same([r.diskBytes, r.architectures, r.databases, r.images], [0, [], [], []]);
});

t.test('requirements: every error with its path', async (t) => {
  const e = errorOf(() =>
    parseRequirements({
      diskBytes: -1,
      databases: [{ ref: 'db', engine: 'mongo' }],
      weights: { ram: 'a lot' },
    }),
  );
  t.same(e.details!.map((d) => d.path), ['/memoryBytes', '/diskBytes', '/databases/0/engine', '/weights/ram']);
  const e2 = errorOf(() => parseRequirements({ memoryBytes: 1, ports: ['dns'], databases: [{ ref: 'db', engine: 'postgres', versions: 'fifteen' }] }));
  t.same(e2.details!.map((d) => d.path), ['/ports/0', '/databases/0/versions']);
});

t.test('unusual but valid snapshots rank without NaN, Infinity or a crash', async (t) => {
  const { rankDevices } = await import('../../../../core/placement/index.js');
  const base = { id: 'a', name: 'a', online: true, metricsAgeSeconds: 5, arch: 'amd64', cores: 4, memory: { availableBytes: 4 * 2 ** 30 }, storage: { availableBytes: 2 ** 40 } };
  const need = { memoryBytes: 2 ** 29, diskBytes: 2 ** 30, cpus: 1 };
  const cases: Record<string, object> = {
    'zero cores (unknown)': { ...base, cores: 0, load1: 0 },
    'zero cores with a load': { ...base, cores: 0, load1: 3 },
    'null availability, load and per-core score': { ...base, availability7d: null, load1: null, cpuScorePerCore: null },
    'huge figures': { ...base, cores: 1e9, cpuScorePerCore: 1e300, load1: 1e300, memory: { availableBytes: 1.7e308, reserveBytes: 0 }, storage: { availableBytes: 1.7e308 } },
    'an age of centuries': { ...base, metricsAgeSeconds: 1e12 },
    'an architecture not probed yet (the hub writes unknown)': { ...base, arch: 'unknown' },
  };
  for (const [name, d] of Object.entries(cases)) {
    const result = rankDevices(need, parseSnapshot({ devices: [d] }).devices);
    const json = JSON.stringify(result);
    t.notMatch(json, /NaN|Infinity|"(value|score|contribution|total|headroomBytes)":null,"score":null/, `${name}: every figure is a number`);
    const c = result.candidates[0]!;
    for (const [k, v] of Object.entries(c.criteria)) t.ok(Number.isFinite(v.score) && Number.isFinite(v.contribution), `${name}: ${k} score is finite`);
    t.ok(Number.isFinite(c.headroomBytes), `${name}: headroom is finite`);
  }
  const zero = rankDevices(need, parseSnapshot({ devices: [{ ...base, cores: 0, load1: 1 }] }).devices).candidates[0]!;
  t.same(zero.reasons.map((r) => r.code), ['CPU_CORES'], 'a CPU limit cannot be met by a device of 0 cores');
  t.equal(zero.criteria.cpu.score, 0);
  t.match(zero.criteria.load.note, /core count unknown/);
  const empty = rankDevices(need, parseSnapshot({ devices: [] }).devices);
  t.same([empty.recommended, empty.candidates.length, empty.warnings.map((w) => w.code)], [null, 0, ['NO_DEVICES']]);
});

t.test('invalid snapshots name every bad field with its JSON path', async (t) => {
  const base = { id: 'a', name: 'a', online: true, metricsAgeSeconds: 5, arch: 'amd64', cores: 4, memory: { availableBytes: 1 }, storage: { availableBytes: 1 } };
  const cases: [string, unknown, string[]][] = [
    ['not an object', [1, 2], ['/']],
    ['devices not a list', { devices: null }, ['/devices']],
    ['a device that is null', { devices: [base, null] }, ['/devices/1']],
    ['out of range (1e400)', JSON.parse('{"devices":[{"id":"a","name":"a","online":true,"metricsAgeSeconds":5,"arch":"amd64","cores":4,"memory":{"availableBytes":1e400},"storage":{}}]}'), ['/devices/0/memory/availableBytes', '/devices/0/storage/availableBytes']],
    ['a number as text', { devices: [{ ...base, cores: '4' }] }, ['/devices/0/cores']],
    ['availability above 1', { devices: [{ ...base, availability7d: 1.5 }] }, ['/devices/0/availability7d']],
    ['a pool version as a number', { devices: [{ ...base, databases: [{ engine: 'postgres', version: 16 }] }] }, ['/devices/0/databases/0/version']],
    ['a key with a slash', { devices: [{ ...base, memory: { availableBytes: 1, 'a/b': JSON.parse('1e999') } }] }, ['/devices/0/memory/a~1b']],
    ['negative bytes (issue #5: a malformed snapshot, not "no memory")', { devices: [{ ...base, memory: { availableBytes: -5 }, storage: { availableBytes: -1 } }] }, ['/devices/0/memory/availableBytes', '/devices/0/storage/availableBytes']],
    ['an unknown architecture, with a schema error beside it', { devices: [{ ...base, arch: 'pdp11', platforms: ['arm/v7', 'armv7x'], cores: -1 }] }, ['/devices/0/cores', '/devices/0/arch', '/devices/0/platforms/1']],
  ];
  for (const [name, input, paths] of cases) {
    const e = errorOf(() => parseSnapshot(input));
    t.equal(e.code, 'WARREN_ERR_INVALID_INPUT', name);
    t.same(e.details?.map((d) => d.path), paths, `${name}: ${e.message}`);
  }
});
