// fast-check generators of labs and apps, shared by the placement property tests.
import fc from 'fast-check';
import type { DeviceSnapshot, PlacementRequirements } from '../../../../core/placement/index.js';
import { GiB, MiB } from './helpers.js';

const arches = ['amd64', 'x86_64', 'arm64', 'aarch64', 'arm/v7', 'armv7l', 'arm/v6'];
const ports = ['22/tcp', '53/udp', '53/tcp', '80/tcp', '443/tcp', '8080/tcp'];
const paths = ['/dev/dri', '/dev/ttyUSB0', '/dev/video10'];

export const deviceBody = fc.record({
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

export const devicesArb = (max: number): fc.Arbitrary<DeviceSnapshot[]> =>
  fc
    .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/), deviceBody), { maxLength: max, selector: ([id]) => id })
    .map((list) => list.map(([id, body]) => ({ id, ...body }) as DeviceSnapshot));

export const appArb: fc.Arbitrary<PlacementRequirements> = fc.record({
  app: fc.constant('app'),
  memoryBytes: fc.integer({ min: 0, max: 8 * 1024 }).map((m) => m * MiB),
  diskBytes: fc.integer({ min: 0, max: 200 }).map((g) => g * GiB),
  architectures: fc.subarray(['linux/amd64', 'linux/arm64', 'linux/arm/v7']),
  devicePaths: fc.subarray([{ path: '/dev/dri' }, { path: '/dev/ttyUSB0', optional: true }]),
  ports: fc.subarray(['53/udp', '80/tcp', '8096/tcp']),
  databases: fc.subarray([{ ref: 'db', engine: 'postgres' as const, versions: '>=14' }, { ref: 'cache', engine: 'mariadb' as const, dedicated: true }]),
  images: fc.subarray(['nginx:1.27']),
});

/** Mostly healthy devices with coarse figures: many eligible devices, ties, and largest-app warnings. */
export const healthyDevicesArb = (max: number): fc.Arbitrary<DeviceSnapshot[]> =>
  fc
    .uniqueArray(
      fc.tuple(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/),
        deviceBody,
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(null, 0.99, 1),
        fc.constantFrom(null, 0.5, 1, 2),
        fc.integer({ min: 1, max: 3 }),
      ),
      { maxLength: max, selector: ([id]) => id },
    )
    .map((list) =>
      list.map(([id, body, k, availability7d, load1, gib]) => ({
        id,
        ...body,
        online: k !== 0,
        metricsAgeSeconds: k === 1 ? 200 : 5,
        cordoned: k === 2,
        arch: k < 7 ? 'amd64' : body.arch,
        cpuScorePerCore: k < 5 ? 1 : body.cpuScorePerCore,
        cores: k < 5 ? 4 : body.cores,
        memory: { ...body.memory, availableBytes: gib * 2 * GiB, reserveBytes: 0 },
        storage: { availableBytes: 100 * GiB },
        availability7d,
        load1,
        listeningPorts: k < 8 ? [] : body.listeningPorts,
        databases: k < 6 ? [] : body.databases,
        reservations: k < 6 ? [] : body.reservations,
      })),
    );

/** Apps that most healthy devices can take. */
export const modestAppArb: fc.Arbitrary<PlacementRequirements> = appArb.map((a) => ({
  ...a,
  memoryBytes: a.memoryBytes % (3 * GiB),
  diskBytes: a.diskBytes % (50 * GiB),
  architectures: a.architectures!.length === 0 || a.architectures!.includes('linux/amd64') ? a.architectures! : [...a.architectures!, 'linux/amd64'],
  devicePaths: [],
  databases: a.databases!.filter((d) => !d.dedicated),
}));
