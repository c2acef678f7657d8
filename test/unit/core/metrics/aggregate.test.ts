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
  t.same(s.memory, { totalBytes: 12 * GiB, usedBytes: 4 * GiB, availableBytes: 8 * GiB, covers: { devices: 2, of: 4, machines: 2 }, ageMs: 45_000 });
  t.same(s.storage, { totalBytes: 182 * GiB, usedBytes: 112 * GiB, availableBytes: 70 * GiB, covers: { devices: 2, of: 4, machines: 2 }, ageMs: 45_000 });
  t.equal(s.cpu.utilisation, 0.375);
  t.same(s.cpu.covers, { devices: 2, of: 4, machines: 2 });
});

t.test('nothing to count gives zero totals with no age, and null CPU', async (t) => {
  const s = summarize([device('x', 'offline', { cores: 2, util: 1 })], [], undefined, NOW);
  t.equal(s.cpu.utilisation, null);
  t.same(s.memory, { totalBytes: 0, usedBytes: 0, availableBytes: 0, covers: { devices: 0, of: 1, machines: 0 } });
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

// Recorded figures of one 2-core host seen three ways (the hub's local /proc, and two network-namespace
// devices over SSH: same kernel, same boot id, same root filesystem), a separate Pi, and a NAS read
// through node_exporter (no boot id: host name and boot time identify it).
const BOOT_A = '6f1d0c2e-8a51-4bd4-9a0e-3d2f6c1b7e90';
const BOOT_PI = 'c0ffee00-1111-4222-8333-444455556666';
const shared = (id: string, state: DeviceState, at: number, o: { util: number; memAvail: number; rootAvail: number; extra?: { mount: string; device: string; total: number; avail: number } }): SummaryDevice => ({
  id,
  status: { state, reason: 'sampled', message: '' },
  figures: {
    cpu: { utilisation: o.util, cores: 2, at },
    memory: { totalBytes: 8 * GiB, availableBytes: o.memAvail, usedBytes: 8 * GiB - o.memAvail, at },
    filesystems: {
      list: [
        { mount: '/', device: '/dev/sda1', fsType: 'ext4', totalBytes: 100 * GiB, availableBytes: o.rootAvail, usedBytes: 100 * GiB - o.rootAvail },
        ...(o.extra ? [{ mount: o.extra.mount, device: o.extra.device, totalBytes: o.extra.total, availableBytes: o.extra.avail, usedBytes: o.extra.total - o.extra.avail }] : []),
      ],
      at,
    },
    boot: { bootTime: 1_700_000_000, at },
    machine: { bootId: BOOT_A, hostname: 'lab', at },
  },
});

t.test('devices on one kernel (same boot id) count once: the newest figure of the machine, each filesystem once', async (t) => {
  const s = summarize(
    [
      shared('local', 'fresh', NOW - 3_000, { util: 0.5, memAvail: 3 * GiB, rootAvail: 40 * GiB }),
      shared('dev1', 'fresh', NOW - 1_000, { util: 0.25, memAvail: 2 * GiB, rootAvail: 39 * GiB, extra: { mount: '/srv', device: '/dev/sdb1', total: 500 * GiB, avail: 100 * GiB } }),
      shared('dev2', 'stale', NOW - 50_000, { util: 0.9, memAvail: 5 * GiB, rootAvail: 41 * GiB }),
      {
        id: 'pi',
        status: { state: 'fresh', reason: 'sampled', message: '' },
        figures: {
          cpu: { utilisation: 1, cores: 4, at: NOW - 2_000 },
          memory: { totalBytes: 4 * GiB, availableBytes: 1 * GiB, usedBytes: 3 * GiB, at: NOW - 2_000 },
          // The Pi's root is also /dev/sda1 — on its own kernel, so a filesystem of its own.
          filesystems: { list: [{ mount: '/', device: '/dev/sda1', totalBytes: 32 * GiB, availableBytes: 10 * GiB, usedBytes: 22 * GiB }], at: NOW - 2_000 },
          machine: { bootId: BOOT_PI, hostname: 'lab', at: NOW - 2_000 },
          boot: { bootTime: 1_700_000_000, at: NOW - 2_000 },
        },
      },
    ],
    [],
    undefined,
    NOW,
  );
  // The lab host's newest memory (dev1's) plus the Pi's.
  t.same(s.memory, { totalBytes: 12 * GiB, usedBytes: 6 * GiB + 3 * GiB, availableBytes: 3 * GiB, covers: { devices: 4, of: 4, machines: 2 }, ageMs: 2_000 });
  // The lab host: / once (dev1's newest reading) and /srv; the Pi's / separately.
  t.equal(s.storage.totalBytes, 100 * GiB + 500 * GiB + 32 * GiB);
  t.equal(s.storage.availableBytes, 39 * GiB + 100 * GiB + 10 * GiB);
  t.same(s.storage.covers, { devices: 4, of: 4, machines: 2 });
  // 2 lab cores at 25 % (dev1, newest) and 4 Pi cores at 100 %: (0.5 + 4) / 6.
  t.equal(s.cpu.cores, 6);
  t.ok(Math.abs(s.cpu.utilisation! - 4.5 / 6) < 1e-12, `${s.cpu.utilisation}`);
  t.same(s.cpu.covers, { devices: 4, of: 4, machines: 2 });
  t.same(s.sharedMachines, [{ devices: ['local', 'dev1', 'dev2'], by: 'boot-id', key: BOOT_A }]);
  t.equal(s.notes.length, 1);
  t.match(s.notes[0], /local, dev1, dev2 run on one machine \(boot id 6f1d0c2e/);
});

t.test('an offline device of a shared machine is left out; the machine still counts through the others', async (t) => {
  const s = summarize(
    [
      shared('dev1', 'offline', NOW - 900_000, { util: 0.25, memAvail: 2 * GiB, rootAvail: 39 * GiB }),
      shared('dev2', 'fresh', NOW - 1_000, { util: 0.5, memAvail: 4 * GiB, rootAvail: 41 * GiB }),
    ],
    [],
    undefined,
    NOW,
  );
  t.same(s.memory, { totalBytes: 8 * GiB, usedBytes: 4 * GiB, availableBytes: 4 * GiB, covers: { devices: 1, of: 2, machines: 1 }, ageMs: 1_000 });
  t.same(s.sharedMachines, []);
});

t.test('without a boot id, the same host name and a boot time within 2 s is one machine; a new boot is another', async (t) => {
  const nas = (id: string, bootTime: number, bootId?: string): SummaryDevice => ({
    id,
    status: { state: 'fresh', reason: 'sampled', message: '' },
    figures: {
      memory: { totalBytes: 16 * GiB, availableBytes: 10 * GiB, usedBytes: 6 * GiB, at: NOW - 1_000 },
      cpu: { utilisation: 0.1, cores: 4, at: NOW - 1_000 },
      boot: { bootTime, at: NOW - 1_000 },
      machine: { hostname: 'nas', ...(bootId && { bootId }), at: NOW - 1_000 },
    },
  });
  const same = summarize([nas('nas-ssh', 1_690_000_000, BOOT_A), nas('nas-exporter', 1_690_000_001)], [], undefined, NOW);
  t.equal(same.memory.totalBytes, 16 * GiB);
  t.same(same.sharedMachines, [{ devices: ['nas-ssh', 'nas-exporter'], by: 'hostname-and-boot-time', key: 'nas@1690000000' }]);
  t.match(same.notes[0], /host name and boot time nas@1690000000/);
  const apart = summarize([nas('a', 1_690_000_000), nas('b', 1_690_000_100)], [], undefined, NOW);
  t.equal(apart.memory.totalBytes, 32 * GiB);
  t.same(apart.memory.covers, { devices: 2, of: 2, machines: 2 });
  // Two different boot ids are two machines even with one host name and boot time (cloned VMs).
  const clones = summarize([nas('a', 1_690_000_000, BOOT_A), nas('b', 1_690_000_000, BOOT_PI)], [], undefined, NOW);
  t.equal(clones.cpu.cores, 8);
  // Devices with no identity at all stay apart.
  const unknown = summarize([device('x', 'fresh', { memTotal: GiB, memAvail: GiB }), device('y', 'fresh', { memTotal: GiB, memAvail: GiB })], [], undefined, NOW);
  t.equal(unknown.memory.totalBytes, 2 * GiB);
});
