// Shapes shared by the metrics core: what the poller derives from raw HostReadings, what a device's
// latest figures look like (each with the time it was measured), and how fresh the device is.
import type { HostReading } from '../providers/metrics-source.js';

export type DeviceState = 'fresh' | 'stale' | 'offline';

/** Why a CPU rate could not be derived from two readings; the pair is dropped rather than spiking. */
export type DropReason = 'non-positive-interval' | 'counter-reset' | 'reboot' | 'cores-changed' | 'no-progress';

export interface CpuRate {
  /** Busy share of all cores over the interval, 0..1. */
  utilisation: number;
  cores: number;
  /** Milliseconds between the two readings. */
  intervalMs: number;
}

export interface Dropped {
  reason: DropReason;
  message: string;
}

/** Gauges read directly plus rates derived from the previous reading; `at` is the newer reading's time. */
export interface DerivedSample {
  at: number;
  cpu?: CpuRate;
  memory?: { totalBytes: number; usedBytes: number; availableBytes: number };
  swap?: { totalBytes: number; usedBytes: number };
  filesystems?: { mount: string; device?: string; fsType?: string; totalBytes: number; usedBytes: number; availableBytes: number }[];
  load?: HostReading['load'];
  bootTime?: number;
  containers?: HostReading['containers'];
}

/** A figure and the epoch milliseconds it was measured at. */
export type Aged<T> = T & { at: number };

/** The latest known value of every figure of one device; figures age independently. */
export interface DeviceFigures {
  cpu?: Aged<{ utilisation: number; cores: number }>;
  /** Cores are known from the first reading, before any CPU rate exists. */
  cores?: Aged<{ count: number }>;
  memory?: Aged<{ totalBytes: number; usedBytes: number; availableBytes: number }>;
  swap?: Aged<{ totalBytes: number; usedBytes: number }>;
  filesystems?: Aged<{ list: NonNullable<DerivedSample['filesystems']> }>;
  load?: Aged<{ load1: number; load5: number; load15: number }>;
  boot?: Aged<{ bootTime: number }>;
  cpuScore?: Aged<{ perCore: number; basis: 'benchmark' | 'default' }>;
  arch?: Aged<{ arch: string }>;
  /** Who the machine under the device is (see HostReading.bootId), for counting shared kernels once. */
  machine?: Aged<{ bootId?: string; hostname?: string }>;
}

export interface DeviceStatus {
  state: DeviceState;
  /** Machine-readable why: `sampled`, `no-sample-yet`, `no-recent-sample`, `auth-failed`. */
  reason: 'sampled' | 'no-sample-yet' | 'no-recent-sample' | 'auth-failed';
  message: string;
  /** Age of the newest successful reading, undefined when there never was one. */
  ageMs?: number;
}
