import t from 'tap';
import { summarize, type SummaryDevice } from '../../../../core/metrics/aggregate.js';
import type { DeviceState } from '../../../../core/metrics/types.js';

const NOW = 1_000_000;
const GiB = 1024 ** 3;
const device = (id: string, state: DeviceState, f: { cores?: number; util?: number; memTotal?: number; memAvail?: number; disks?: [number, number][]; at?: number }): SummaryDevice => {
  const at = f.at ?? NOW - 5_000;
  return {
    id,
    status: { state, reason: 'sampled', message: '' },
    figures: {
      ...(f.cores !== undefined && { cpu: { utilisation: f.util ?? 0, cores: f.cores, at } }),
      ...(f.memTotal !== undefined && { memory: { totalBytes: f.memTotal, availableBytes: f.memAvail!, usedBytes: f.memTotal - f.memAvail!, at } }),
      ...(f.disks && {
        filesystems: { list: f.disks.map(([total, avail], i) => ({ mount: `/d${i}`, totalBytes: total, availableBytes: avail, usedBytes: total - avail })), at },
      }),
    },
  };
};

t.test('CPU is weighted by cores: 2 cores at 100 % and 16 at 0 % is about 11 %', async (t) => {
  const s = summarize([device('pi', 'fresh', { cores: 2, util: 1 }), device('big', 'fresh', { cores: 16, util: 0 })], [], undefined, NOW);
  t.ok(Math.abs(s.cpu.utilisation! - 2 / 18) < 1e-12, `${s.cpu.utilisation}`);
  t.equal(Math.round(s.cpu.utilisation! * 100), 11);
  t.equal(s.cpu.cores, 18);
});

t.test('offline devices are left out of totals, and totals say what they cover', async (t) => {
  const s = summarize(
    [
      device('pi', 'fresh', { cores: 4, util: 0.5, memTotal: 4 * GiB, memAvail: 3 * GiB, disks: [[32 * GiB, 20 * GiB]], at: NOW - 2_000 }),
      device('nas', 'stale', { cores: 4, util: 0.25, memTotal: 8 * GiB, memAvail: 5 * GiB, disks: [[100 * GiB, 40 * GiB], [50 * GiB, 10 * GiB]], at: NOW - 45_000 }),
      device('old', 'offline', { cores: 8, util: 0.9, memTotal: 16 * GiB, memAvail: 1 * GiB, disks: [[1000 * GiB, 1 * GiB]] }),
      device('new', 'stale', {}),
    ],
    [],
    undefined,
    NOW,
  );
  t.same(s.devices, { fresh: 1, stale: 2, offline: 1, total: 4 });
  t.same(s.memory, { totalBytes: 12 * GiB, usedBytes: 4 * GiB, availableBytes: 8 * GiB, covers: { devices: 2, of: 4 }, ageMs: 45_000 });
  t.same(s.storage, { totalBytes: 182 * GiB, usedBytes: 112 * GiB, availableBytes: 70 * GiB, covers: { devices: 2, of: 4 }, ageMs: 45_000 });
  t.equal(s.cpu.utilisation, 0.375);
  t.same(s.cpu.covers, { devices: 2, of: 4 });
});

t.test('nothing to count gives zero totals with no age, and null CPU', async (t) => {
  const s = summarize([device('x', 'offline', { cores: 2, util: 1 })], [], undefined, NOW);
  t.equal(s.cpu.utilisation, null);
  t.same(s.memory, { totalBytes: 0, usedBytes: 0, availableBytes: 0, covers: { devices: 0, of: 1 } });
});

t.test('apps by status; pooling savings with their basis and age', async (t) => {
  const s = summarize(
    [],
    [
      { id: 'a', status: 'running' },
      { id: 'b', status: 'running' },
      { id: 'c', status: 'stopped' },
      { id: 'd', status: 'failed' },
      { id: 'e', status: 'installing' },
    ],
    { bytes: 512 * 1024 ** 2, basis: 'measured', at: NOW - 60_000 },
    NOW,
  );
  t.same(s.apps, { running: 2, stopped: 1, failed: 1, other: 1, total: 5 });
  t.same(s.pooling, { bytes: 512 * 1024 ** 2, basis: 'measured', ageMs: 60_000 });
  t.equal(summarize([], [], undefined, NOW).pooling, null);
});
