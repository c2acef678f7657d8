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
    ['/devices/0/online', '/devices/1/memory/availableBytes', '/devices/2/availability7d', '/devices/5/reservations/0/app'],
    'schema errors first, all of them',
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
