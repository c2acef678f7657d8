// Host figures for a device whose engine is reached through a local Unix socket: that engine runs on
// the hub's own machine, so its /proc is read directly (no SSH to ourselves, no exporter needed on a
// fresh install). Parsing is pure and fixture-tested; reading is three small files and one statfs.
import { readFile, statfs } from 'node:fs/promises';
import type { CpuCounters, HostReading, MetricName, MetricsSource } from '../providers/metrics-source.js';

/** Clock ticks per second in /proc/stat (USER_HZ, fixed by the kernel ABI). */
const USER_HZ = 100;

export function parseProcStat(text: string): { cpu: CpuCounters; bootTime?: number } {
  let cpu: CpuCounters | undefined;
  let cores = 0;
  let bootTime: number | undefined;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'cpu') {
      // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user/nice.
      const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = f.slice(1).map(Number);
      cpu = {
        cores: 0,
        busySeconds: (user! + nice! + system! + irq + softirq + steal) / USER_HZ,
        idleSeconds: (idle! + iowait) / USER_HZ,
      };
    } else if (/^cpu\d+$/.test(f[0] ?? '')) cores++;
    else if (f[0] === 'btime') bootTime = Number(f[1]);
  }
  if (!cpu || cores === 0 || !Number.isFinite(cpu.busySeconds) || !Number.isFinite(cpu.idleSeconds)) {
    throw new Error('/proc/stat has no usable cpu lines');
  }
  return { cpu: { ...cpu, cores }, ...(bootTime !== undefined ? { bootTime } : {}) };
}

export function parseMeminfo(text: string): { memory: { totalBytes: number; availableBytes: number }; swap: { totalBytes: number; freeBytes: number } } {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]) * 1024);
  }
  const total = kb.get('MemTotal');
  // Kernels before 3.14 have no MemAvailable; free + buffers + cached is the usual stand-in.
  const available = kb.get('MemAvailable') ?? (kb.get('MemFree') ?? 0) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0);
  if (total === undefined) throw new Error('/proc/meminfo has no MemTotal');
  return { memory: { totalBytes: total, availableBytes: available }, swap: { totalBytes: kb.get('SwapTotal') ?? 0, freeBytes: kb.get('SwapFree') ?? 0 } };
}

export function parseLoadavg(text: string): { load1: number; load5: number; load15: number } {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((x) => Number.isFinite(x))) throw new Error('/proc/loadavg is not readable');
  return { load1: a!, load5: b!, load15: c! };
}

export class LocalHostSource implements MetricsSource {
  readonly provides: readonly MetricName[] = ['cpu', 'memory', 'swap', 'filesystems', 'load', 'boot'];

  /** `paths`: where app data lives; free space is reported for the filesystems holding them. */
  constructor(
    private readonly paths: readonly string[] = ['/'],
    private readonly procDir = '/proc',
  ) {}

  async collect(): Promise<HostReading> {
    const [stat, meminfo, loadavg, filesystems] = await Promise.all([
      readFile(`${this.procDir}/stat`, 'utf8'),
      readFile(`${this.procDir}/meminfo`, 'utf8'),
      readFile(`${this.procDir}/loadavg`, 'utf8'),
      this.filesystems(),
    ]);
    const { cpu, bootTime } = parseProcStat(stat);
    const { memory, swap } = parseMeminfo(meminfo);
    return { at: Date.now(), cpu, memory, swap, load: parseLoadavg(loadavg), filesystems, ...(bootTime !== undefined ? { bootTime } : {}) };
  }

  private async filesystems(): Promise<NonNullable<HostReading['filesystems']>> {
    const seen = new Set<string>();
    const out: NonNullable<HostReading['filesystems']> = [];
    for (const mount of this.paths) {
      const s = await statfs(mount);
      const totalBytes = s.blocks * s.bsize;
      const key = `${s.type}:${s.blocks}:${s.bsize}`;
      // Two paths on one filesystem count once (statfs gives no device id; size and type stand in).
      if (seen.has(key)) continue;
      seen.add(key);
      // `bavail`, not `bfree`: what an unprivileged writer can use, as df shows it.
      out.push({ mount, totalBytes, availableBytes: s.bavail * s.bsize });
    }
    return out;
  }
}
