// The fleet in one view: pure, from each device's latest figures and state. Offline devices are left
// out of the totals (their last numbers would be guesses) and every total says how many devices it
// covers and how old its oldest contribution is.
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
  devices: number;
  of: number;
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

  const memory = capacity(
    counted.flatMap((d) => (d.figures.memory ? [d.figures.memory] : [])),
    of,
    now,
  );
  const storage = capacity(
    counted.flatMap((d) => {
      const fs = d.figures.filesystems;
      if (!fs) return [];
      // A device's filesystems are one contribution: one device, one age.
      const sum = (k: 'totalBytes' | 'usedBytes' | 'availableBytes') => fs.list.reduce((a, f) => a + f[k], 0);
      return [{ totalBytes: sum('totalBytes'), usedBytes: sum('usedBytes'), availableBytes: sum('availableBytes'), at: fs.at }];
    }),
    of,
    now,
  );

  const cpuParts = counted.flatMap((d) => (d.figures.cpu && d.figures.cpu.cores > 0 ? [d.figures.cpu] : []));
  const cores = cpuParts.reduce((a, c) => a + c.cores, 0);
  const cpu = {
    utilisation: cores > 0 ? cpuParts.reduce((a, c) => a + c.utilisation * c.cores, 0) / cores : null,
    cores,
    covers: { devices: cpuParts.length, of },
    ...oldest(cpuParts, now),
  };

  const appCounts = { running: 0, stopped: 0, failed: 0, other: 0, total: apps.length };
  for (const a of apps) appCounts[APP_BUCKETS[a.status] ?? 'other']++;

  return {
    at: now,
    devices: counts,
    memory,
    storage,
    cpu,
    apps: appCounts,
    pooling: pooling ? { bytes: pooling.bytes, basis: pooling.basis, ageMs: Math.max(0, now - pooling.at) } : null,
  };
}

function capacity(
  parts: { totalBytes: number; usedBytes: number; availableBytes: number; at: number }[],
  of: number,
  now: number,
): CapacityTotal {
  return {
    totalBytes: parts.reduce((a, p) => a + p.totalBytes, 0),
    usedBytes: parts.reduce((a, p) => a + p.usedBytes, 0),
    availableBytes: parts.reduce((a, p) => a + p.availableBytes, 0),
    covers: { devices: parts.length, of },
    ...oldest(parts, now),
  };
}

function oldest(parts: { at: number }[], now: number): { ageMs?: number } {
  if (parts.length === 0) return {};
  return { ageMs: Math.max(0, now - Math.min(...parts.map((p) => p.at))) };
}
