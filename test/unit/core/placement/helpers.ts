import type { DeviceSnapshot, PlacementRequirements } from '../../../../core/placement/index.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

type DeviceOverrides = Omit<Partial<DeviceSnapshot>, 'memory' | 'storage'> & {
  memory?: Partial<DeviceSnapshot['memory']>;
  storage?: Partial<DeviceSnapshot['storage']>;
};

/** A healthy amd64 device with 8 GiB free and 100 GiB of storage; override what a case is about. */
export function device(o: DeviceOverrides = {}): DeviceSnapshot {
  const { memory, storage, ...rest } = o;
  return {
    id: 'dev',
    name: 'dev',
    online: true,
    metricsAgeSeconds: 10,
    cordoned: false,
    arch: 'amd64',
    cores: 4,
    cpuScorePerCore: 1,
    load1: 0.4,
    availability7d: 0.99,
    devicePaths: [],
    listeningPorts: [],
    images: [],
    reservations: [],
    databases: [],
    ...rest,
    memory: { totalBytes: 16 * GiB, availableBytes: 8 * GiB, reserveBytes: 0, ...memory },
    storage: { availableBytes: 100 * GiB, ...storage },
  };
}

export function app(o: Partial<PlacementRequirements> = {}): PlacementRequirements {
  return { app: 'app', memoryBytes: 512 * MiB, diskBytes: 1 * GiB, ...o };
}
