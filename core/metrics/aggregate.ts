// The fleet in one view: pure, from each device's latest figures and state. Offline devices are left
// out of the totals (their last numbers would be guesses) and every total says how many devices it
// covers and how old its oldest contribution is.
//
// Several devices can be one machine: network namespaces on one host, or the hub's own host added a
// second time over SSH. They report the same kernel (same boot id), so their RAM, CPU and storage are
// counted once: per machine the newest figure, per filesystem of that machine the newest figure. The
// summary names every such group, so the totals can be checked against the device rows.
import type { DeviceFigures, DeviceState, DeviceStatus } from './types.js';

export interface SummaryDevice {
  id: string;
  name?: string;
  status: DeviceStatus;
  figures: DeviceFigures;
}

export interface SummaryApp {
  id: string;
  /** The app's recorded status; anything not running/stopped/failed is counted as `other`. */
  status: string;
}

export interface PoolingSavings {
  bytes: number;
  basis: 'measured' | 'estimated';
  at: number;
}

export interface Coverage {
  /** Devices whose figures the total includes (every device of a shared machine counts here). */
  devices: number;
  of: number;
  /** Distinct machines behind those devices: what was summed. */
  machines: number;
}

/** Devices found to run on one kernel, counted once. */
export interface SharedMachine {
  devices: string[];
  /** How the devices were matched: the same boot id, or (without one) the same host name and boot time. */
  by: 'boot-id' | 'hostname-and-boot-time';
  /** The boot id or `hostname@boot-time` the match was made on. */
  key: string;
}

export interface CapacityTotal {
  totalBytes: number;
  usedBytes: number;
  availableBytes: number;
  covers: Coverage;
  /** Age of the oldest figure in the total; undefined when it covers no device. */
  ageMs?: number;
}

export interface FleetSummary {
  at: number;
  devices: Record<DeviceState, number> & { total: number };
  memory: CapacityTotal;
  storage: CapacityTotal;
  cpu: { utilisation: number | null; cores: number; covers: Coverage; ageMs?: number };
  apps: { running: number; stopped: number; failed: number; other: number; total: number };
  pooling: { bytes: number; basis: 'measured' | 'estimated'; ageMs: number } | null;
  /** Groups of counted devices that share one machine; each group's RAM, CPU and storage count once. */
  sharedMachines: SharedMachine[];
  /** Plain-language remarks on how the totals were made (shared machines). */
  notes: string[];
}

const APP_BUCKETS: Record<string, 'running' | 'stopped' | 'failed'> = {
  running: 'running',
  stopped: 'stopped',
  exited: 'stopped',
  created: 'stopped',
  failed: 'failed',
  error: 'failed',
  dead: 'failed',
};

export function summarize(
  devices: readonly SummaryDevice[],
  apps: readonly SummaryApp[],
  pooling: PoolingSavings | undefined,
  now: number,
): FleetSummary {
  const counts = { fresh: 0, stale: 0, offline: 0, total: devices.length };
  for (const d of devices) counts[d.status.state]++;
  const counted = devices.filter((d) => d.status.state !== 'offline');
  const of = devices.length;
  const machines = groupMachines(counted);

  const memory = capacity(
    machines.map((m) => {
      const withMemory = m.devices.flatMap((d) => (d.figures.memory ? [{ id: d.id, ...d.figures.memory }] : []));
      const best = newest(withMemory);
      return best && { ...best, devices: withMemory.length };
    }),
    of,
    now,
  );

  const storage = capacity(
    machines.map((m) => {
      // Per filesystem of this machine, the newest reading of it by any of its devices.
      const byFs = new Map<string, { id: string; totalBytes: number; usedBytes: number; availableBytes: number; at: number }>();
      for (const d of m.devices) {
        const fs = d.figures.filesystems;
        if (!fs) continue;
        for (const f of fs.list) {
          const key = filesystemKey(f);
          const prior = byFs.get(key);
          if (!prior || prior.at < fs.at) byFs.set(key, { id: d.id, totalBytes: f.totalBytes, usedBytes: f.usedBytes, availableBytes: f.availableBytes, at: fs.at });
        }
      }
      if (byFs.size === 0) return undefined;
      const parts = [...byFs.values()];
      const sum = (k: 'totalBytes' | 'usedBytes' | 'availableBytes') => parts.reduce((a, f) => a + f[k], 0);
      const contributors = new Set(m.devices.filter((d) => d.figures.filesystems).map((d) => d.id));
      // A machine's filesystems are one contribution, as old as its oldest filesystem figure.
      return { totalBytes: sum('totalBytes'), usedBytes: sum('usedBytes'), availableBytes: sum('availableBytes'), at: Math.min(...parts.map((p) => p.at)), devices: contributors.size };
    }),
    of,
    now,
  );

  const cpuParts = machines.flatMap((m) => {
    const withCpu = m.devices.filter((d) => d.figures.cpu && d.figures.cpu.cores > 0);
    const best = newest(withCpu.map((d) => ({ id: d.id, ...d.figures.cpu! })));
    return best ? [{ ...best, devices: withCpu.length }] : [];
  });
  const cores = cpuParts.reduce((a, c) => a + c.cores, 0);
  const cpu = {
    utilisation: cores > 0 ? cpuParts.reduce((a, c) => a + c.utilisation * c.cores, 0) / cores : null,
    cores,
    covers: { devices: cpuParts.reduce((a, c) => a + c.devices, 0), of, machines: cpuParts.length },
    ...oldest(cpuParts, now),
  };

  const appCounts = { running: 0, stopped: 0, failed: 0, other: 0, total: apps.length };
  for (const a of apps) appCounts[APP_BUCKETS[a.status] ?? 'other']++;

  const sharedMachines = machines.filter((m) => m.devices.length > 1).map((m) => ({ devices: m.devices.map((d) => d.id), by: m.by, key: m.key }));
  const notes = sharedMachines.map(
    (m) =>
      `${m.devices.join(', ')} run on one machine (${m.by === 'boot-id' ? `boot id ${m.key}` : `host name and boot time ${m.key}`}); its RAM, CPU and storage are counted once`,
  );

  return {
    at: now,
    devices: counts,
    memory,
    storage,
    cpu,
    apps: appCounts,
    pooling: pooling ? { bytes: pooling.bytes, basis: pooling.basis, ageMs: Math.max(0, now - pooling.at) } : null,
    sharedMachines,
    notes,
  };
}

interface Machine {
  devices: SummaryDevice[];
  by: SharedMachine['by'];
  key: string;
}

/** Boot times that differ by less than this are one boot (the kernel derives btime from the wall clock). */
const BOOT_TIME_TOLERANCE_S = 2;

/**
 * Devices on one kernel: the same boot id; or, when either has none (node_exporter does not export it),
 * the same host name and a boot time within two seconds. Devices with no identity are machines of their own.
 */
export function groupMachines(devices: readonly SummaryDevice[]): Machine[] {
  const parent = devices.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const how: (SharedMachine['by'] | undefined)[] = devices.map(() => undefined);
  const id = devices.map((d) => ({ bootId: d.figures.machine?.bootId, hostname: d.figures.machine?.hostname, bootTime: d.figures.boot?.bootTime }));
  for (let i = 0; i < devices.length; i++) {
    for (let j = i + 1; j < devices.length; j++) {
      const a = id[i]!;
      const b = id[j]!;
      let by: SharedMachine['by'] | undefined;
      if (a.bootId && b.bootId) by = a.bootId === b.bootId ? 'boot-id' : undefined;
      else if (a.hostname && a.hostname === b.hostname && a.bootTime !== undefined && b.bootTime !== undefined && Math.abs(a.bootTime - b.bootTime) <= BOOT_TIME_TOLERANCE_S) {
        by = 'hostname-and-boot-time';
      }
      if (!by) continue;
      const ri = find(i);
      const rj = find(j);
      // A group is as sure as its weakest link.
      const weak = by === 'hostname-and-boot-time' || how[ri] === 'hostname-and-boot-time' || how[rj] === 'hostname-and-boot-time';
      if (ri !== rj) parent[rj] = ri;
      how[ri] = weak ? 'hostname-and-boot-time' : 'boot-id';
    }
  }
  const groups = new Map<number, SummaryDevice[]>();
  devices.forEach((d, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g) g.push(d);
    else groups.set(r, [d]);
  });
  return [...groups.entries()].map(([root, members]) => {
    const by = how[root] ?? 'boot-id';
    const first = id[devices.indexOf(members[0]!)]!;
    const withBootId = members.map((d) => d.figures.machine?.bootId).find((x) => x);
    const key = by === 'boot-id' && withBootId ? withBootId : `${first.hostname ?? members[0]!.id}@${first.bootTime ?? '?'}`;
    return { devices: members, by, key };
  });
}

/**
 * One filesystem of one machine: its source device when that is a real path (`/dev/sda1`; bind mounts
 * and btrfs subvolumes of it are one pool of space), otherwise its source and mount point (`overlay`,
 * `tmpfs`), otherwise its mount point.
 */
export function filesystemKey(f: { mount: string; device?: string }): string {
  if (f.device?.startsWith('/')) return `dev:${f.device}`;
  return f.device ? `src:${f.device}\u0000${f.mount}` : `mnt:${f.mount}`;
}

function newest<T extends { at: number }>(xs: T[]): T | undefined {
  let best: T | undefined;
  for (const x of xs) if (!best || x.at > best.at) best = x;
  return best;
}

function capacity(
  parts: ({ totalBytes: number; usedBytes: number; availableBytes: number; at: number; devices?: number } | undefined)[],
  of: number,
  now: number,
): CapacityTotal {
  const present = parts.filter((p): p is NonNullable<typeof p> => p !== undefined);
  return {
    totalBytes: present.reduce((a, p) => a + p.totalBytes, 0),
    usedBytes: present.reduce((a, p) => a + p.usedBytes, 0),
    availableBytes: present.reduce((a, p) => a + p.availableBytes, 0),
    covers: { devices: present.reduce((a, p) => a + (p.devices ?? 1), 0), of, machines: present.length },
    ...oldest(present, now),
  };
}

function oldest(parts: { at: number }[], now: number): { ageMs?: number } {
  if (parts.length === 0) return {};
  return { ageMs: Math.max(0, now - Math.min(...parts.map((p) => p.at))) };
}
