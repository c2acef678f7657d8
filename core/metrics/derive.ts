// Honest derivations from raw readings. Rates come only from two readings of the same boot with
// counters that moved forwards; anything else is dropped with a reason instead of producing a spike.
import type { HostReading } from '../providers/metrics-source.js';
import type { CpuRate, DerivedSample, Dropped } from './types.js';

export interface DeriveOptions {
  /**
   * Boot times that differ by less than this are the same boot: the kernel recomputes btime from the
   * wall clock, so it can move by a second (or more after an NTP step on boards without an RTC).
   */
  bootTimeToleranceSeconds?: number;
}

const DEFAULT_BOOT_TOLERANCE_S = 2;

export function deriveCpu(prev: HostReading, next: HostReading, opts: DeriveOptions = {}): CpuRate | Dropped | undefined {
  if (!prev.cpu || !next.cpu) return undefined;
  const intervalMs = next.at - prev.at;
  if (!(intervalMs > 0)) {
    return { reason: 'non-positive-interval', message: `readings ${intervalMs} ms apart; need the newer one later` };
  }
  const tolerance = opts.bootTimeToleranceSeconds ?? DEFAULT_BOOT_TOLERANCE_S;
  if (prev.bootTime !== undefined && next.bootTime !== undefined && Math.abs(next.bootTime - prev.bootTime) > tolerance) {
    return {
      reason: 'reboot',
      message: `boot time moved from ${new Date(prev.bootTime * 1000).toISOString()} to ${new Date(next.bootTime * 1000).toISOString()}`,
    };
  }
  if (prev.cpu.cores !== next.cpu.cores) {
    return { reason: 'cores-changed', message: `cores went from ${prev.cpu.cores} to ${next.cpu.cores}` };
  }
  const busy = next.cpu.busySeconds - prev.cpu.busySeconds;
  const idle = next.cpu.idleSeconds - prev.cpu.idleSeconds;
  if (busy < 0 || idle < 0) {
    return {
      reason: 'counter-reset',
      message: `CPU counters went backwards (busy ${fmt(busy)} s, idle ${fmt(idle)} s)`,
    };
  }
  const total = busy + idle;
  if (total === 0) return { reason: 'no-progress', message: 'CPU counters did not move between readings' };
  return { utilisation: Math.min(1, Math.max(0, busy / total)), cores: next.cpu.cores, intervalMs };
}

export const isDropped = (x: CpuRate | Dropped | undefined): x is Dropped => x !== undefined && 'reason' in x;

/**
 * Gauges of `next` as they are, plus the CPU rate against `prev` when one can be derived.
 * `dropped` says why the rate is missing when a previous reading existed but could not be used.
 */
export function deriveSample(
  prev: HostReading | undefined,
  next: HostReading,
  opts: DeriveOptions = {},
): { sample: DerivedSample; dropped?: Dropped } {
  const sample: DerivedSample = { at: next.at };
  let dropped: Dropped | undefined;
  if (prev) {
    const cpu = deriveCpu(prev, next, opts);
    if (isDropped(cpu)) dropped = cpu;
    else if (cpu) sample.cpu = cpu;
  }
  if (next.memory) {
    const { totalBytes, availableBytes } = next.memory;
    sample.memory = { totalBytes, availableBytes, usedBytes: Math.max(0, totalBytes - availableBytes) };
  }
  if (next.swap) sample.swap = { totalBytes: next.swap.totalBytes, usedBytes: Math.max(0, next.swap.totalBytes - next.swap.freeBytes) };
  if (next.filesystems) {
    // Used is what the user cannot have: total minus available, so root-reserved blocks count as used.
    sample.filesystems = next.filesystems.map((f) => ({ ...f, usedBytes: Math.max(0, f.totalBytes - f.availableBytes) }));
  }
  if (next.load) sample.load = next.load;
  if (next.bootTime !== undefined) sample.bootTime = next.bootTime;
  if (next.containers) sample.containers = next.containers;
  return dropped ? { sample, dropped } : { sample };
}

/** One row per figure for the metric_samples history table: (metric, value, at). */
export interface MetricPoint {
  metric: string;
  value: number;
  at: number;
}

export function toMetricPoints(sample: DerivedSample): MetricPoint[] {
  const at = sample.at;
  const out: MetricPoint[] = [];
  const push = (metric: string, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) out.push({ metric, value, at });
  };
  push('cpu.utilisation', sample.cpu?.utilisation);
  push('memory.total_bytes', sample.memory?.totalBytes);
  push('memory.used_bytes', sample.memory?.usedBytes);
  push('memory.available_bytes', sample.memory?.availableBytes);
  push('swap.used_bytes', sample.swap?.usedBytes);
  push('load.load1', sample.load?.load1);
  for (const f of sample.filesystems ?? []) {
    push(`fs.total_bytes:${f.mount}`, f.totalBytes);
    push(`fs.available_bytes:${f.mount}`, f.availableBytes);
  }
  return out;
}

const fmt = (n: number) => n.toFixed(2);
