/**
 * MetricsSource: raw readings from one device. Sources report counters and gauges as read, with the
 * time they were read; core/metrics derives rates (CPU from counter deltas), drops samples across a
 * counter reset or a reboot, and ages every figure.
 */
export type MetricName =
  | 'cpu'
  | 'memory'
  | 'swap'
  | 'filesystems'
  | 'load'
  | 'boot'
  | 'containers'
  | 'cpuBenchmark';

export interface CpuCounters {
  /** Logical cores. */
  cores: number;
  /** Cumulative seconds spent busy (user+nice+system+irq+softirq+steal; guest columns excluded). */
  busySeconds: number;
  /** Cumulative seconds idle (idle+iowait). */
  idleSeconds: number;
}

export interface HostReading {
  /** Epoch milliseconds when the reading was taken. */
  at: number;
  cpu?: CpuCounters;
  memory?: { totalBytes: number; availableBytes: number };
  swap?: { totalBytes: number; freeBytes: number };
  filesystems?: { mount: string; device?: string; fsType?: string; totalBytes: number; availableBytes: number }[];
  load?: { load1: number; load5: number; load15: number };
  /** Epoch seconds of the last boot. */
  bootTime?: number;
  /**
   * The running kernel's /proc/sys/kernel/random/boot_id: two devices reporting the same one are one
   * machine (network namespaces, or the hub's own host reached over SSH), counted once in totals.
   */
  bootId?: string;
  /** The kernel's host name, with bootTime the identity of a machine when no boot id is offered. */
  hostname?: string;
  /** Per container: memory without inactive file cache (unless `memoryIncludesFileCache`), cumulative CPU time. */
  containers?: { name: string; project?: string; service?: string; memoryBytes: number; memoryIncludesFileCache?: true; cpuTotalNs: number }[];
  /** Per-core score from a short benchmark, 1.0 = the reference core; only from sources that run one. */
  cpuScorePerCore?: number;
  /** `benchmark` when measured on the device, `default` when it could not run and a neutral 0.5 stands in. */
  cpuScoreBasis?: 'benchmark' | 'default';
  arch?: string;
}

export interface MetricsSource {
  /** Which parts of a HostReading this source fills. */
  readonly provides: readonly MetricName[];
  collect(signal?: AbortSignal): Promise<HostReading>;
}
