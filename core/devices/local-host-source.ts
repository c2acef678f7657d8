// Host figures for a device whose engine is reached through a local Unix socket: that engine runs on
// the hub's own machine, so its /proc is read directly (no SSH to ourselves, no exporter needed on a
// fresh install). Parsing is the same code the ssh-procfs plugin uses (core/plugin/procfs); here it is
// strict, since a missing figure on our own machine is a bug, not a quirk of a device.
import { readFile, realpath, statfs } from 'node:fs/promises';
import type { CpuCounters, HostReading, MetricName, MetricsSource } from '../providers/metrics-source.js';
import * as procfs from '../plugin/procfs.js';

export function parseProcStat(text: string): { cpu: CpuCounters; bootTime?: number } {
  const { cpu, bootTime } = procfs.parseProcStat(text);
  if (!cpu || cpu.cores === 0) throw new Error('/proc/stat has no usable cpu lines');
  return { cpu, ...(bootTime !== undefined ? { bootTime } : {}) };
}

export function parseMeminfo(text: string): { memory: { totalBytes: number; availableBytes: number }; swap: { totalBytes: number; freeBytes: number } } {
  const { memory, swap } = procfs.parseMeminfo(text);
  if (!memory) throw new Error('/proc/meminfo has no MemTotal');
  return { memory, swap: swap ?? { totalBytes: 0, freeBytes: 0 } };
}

export function parseLoadavg(text: string): { load1: number; load5: number; load15: number } {
  const load = procfs.parseLoadavg(text);
  if (!load) throw new Error('/proc/loadavg is not readable');
  return load;
}

export class LocalHostSource implements MetricsSource {
  readonly provides: readonly MetricName[] = ['cpu', 'memory', 'swap', 'filesystems', 'load', 'boot'];

  /** `paths`: where app data lives; free space is reported for the filesystems holding them. */
  constructor(
    private readonly paths: readonly string[] = ['/'],
    private readonly procDir = '/proc',
  ) {}

  async collect(): Promise<HostReading> {
    const optional = (f: string) => readFile(`${this.procDir}/${f}`, 'utf8').catch(() => undefined);
    const [stat, meminfo, loadavg, bootId, hostname, filesystems] = await Promise.all([
      readFile(`${this.procDir}/stat`, 'utf8'),
      readFile(`${this.procDir}/meminfo`, 'utf8'),
      readFile(`${this.procDir}/loadavg`, 'utf8'),
      optional('sys/kernel/random/boot_id'),
      optional('sys/kernel/hostname'),
      this.filesystems(),
    ]);
    const { cpu, bootTime } = parseProcStat(stat);
    const { memory, swap } = parseMeminfo(meminfo);
    const id = procfs.parseBootId(bootId);
    return {
      at: Date.now(),
      cpu,
      memory,
      swap,
      load: parseLoadavg(loadavg),
      filesystems,
      ...(bootTime !== undefined ? { bootTime } : {}),
      ...(id ? { bootId: id } : {}),
      ...(hostname?.trim() ? { hostname: hostname.trim() } : {}),
    };
  }

  private async filesystems(): Promise<NonNullable<HostReading['filesystems']>> {
    // Which filesystem holds each path, named as df names it (source device and mount point), so the
    // same disk seen through an SSH device on this machine is recognised and counted once.
    const mounts = procfs.parseMountinfo((await readFile(`${this.procDir}/self/mountinfo`, 'utf8').catch(() => '')) ?? '');
    const seen = new Set<string>();
    const out: NonNullable<HostReading['filesystems']> = [];
    for (const path of this.paths) {
      const s = await statfs(path);
      const m = procfs.mountOf(mounts, await realpath(path).catch(() => path));
      const totalBytes = s.blocks * s.bsize;
      const key = m ? `${m.source}\u0000${m.mount}` : `${s.type}:${s.blocks}:${s.bsize}`;
      // Two paths on one filesystem count once.
      if (seen.has(key)) continue;
      seen.add(key);
      // `bavail`, not `bfree`: what an unprivileged writer can use, as df shows it.
      out.push({ mount: m?.mount ?? path, ...(m ? { device: m.source, fsType: m.fsType } : {}), totalBytes, availableBytes: s.bavail * s.bsize });
    }
    return out;
  }
}
