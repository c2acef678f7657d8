// Pure reading of what a Linux kernel reports, shared by every source that reads it: the hub's own
// /proc (core/devices/local-host-source), /proc over SSH (plugins/ssh-procfs) and node_exporter's
// translation of the same counters (plugins/node-exporter). It lives beside the plugin contract because
// plugins may import core/plugin and nothing else of core.
import type { CpuCounters, HostReading } from '../providers/metrics-source.js';

/** Clock ticks per second in /proc/stat; fixed at 100 by the kernel ABI (USER_HZ) on every Linux arch. */
export const USER_HZ = 100;

/** The columns of a /proc/stat `cpu` line, in order, as node_exporter names them in its `mode` label. */
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
/**
 * Busy and idle modes. The guest columns after steal are already inside user and nice; adding them
 * would count guest time twice.
 */
export const BUSY_MODES: ReadonlySet<string> = new Set(['user', 'nice', 'system', 'irq', 'softirq', 'steal']);
export const IDLE_MODES: ReadonlySet<string> = new Set(['idle', 'iowait']);

const BUSY_COLUMNS = CPU_MODES.flatMap((m, i) => (BUSY_MODES.has(m) ? [i] : []));
const IDLE_COLUMNS = CPU_MODES.flatMap((m, i) => (IDLE_MODES.has(m) ? [i] : []));

/** The aggregate `cpu` line as counters, the number of `cpuN` lines, and `btime`. */
export function parseProcStat(text: string): { cpu?: CpuCounters; bootTime?: number } {
  let aggregate: number[] | undefined;
  let cores = 0;
  let bootTime: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu') && !line.startsWith('btime')) continue;
    const fields = line.trim().split(/\s+/);
    const key = fields[0];
    if (key === 'cpu') aggregate = fields.slice(1).map(Number);
    else if (key && /^cpu\d+$/.test(key)) cores++;
    else if (key === 'btime') bootTime = Number(fields[1]);
  }
  const out: { cpu?: CpuCounters; bootTime?: number } = {};
  if (aggregate && aggregate.length >= 4 && aggregate.every(Number.isFinite)) {
    const sum = (idx: number[]) => idx.reduce((a, i) => a + (aggregate![i] ?? 0), 0) / USER_HZ;
    out.cpu = { cores, busySeconds: sum(BUSY_COLUMNS), idleSeconds: sum(IDLE_COLUMNS) };
  }
  if (bootTime !== undefined && Number.isFinite(bootTime)) out.bootTime = bootTime;
  return out;
}

/** MemTotal/MemAvailable and swap, in bytes; whatever is missing is left out. */
export function parseMeminfo(text: string): Pick<HostReading, 'memory' | 'swap'> {
  const kv = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$/.exec(line.trim());
    if (m) kv.set(m[1]!, Number(m[2]) * (line.includes('kB') ? 1024 : 1));
  }
  const out: Pick<HostReading, 'memory' | 'swap'> = {};
  const total = kv.get('MemTotal');
  // Kernels before 3.14 lack MemAvailable; free + buffers + page cache is the usual stand-in.
  const available = kv.get('MemAvailable') ?? sumIfAll(kv, ['MemFree', 'Buffers', 'Cached']);
  if (total !== undefined && available !== undefined) out.memory = { totalBytes: total, availableBytes: available };
  const swapTotal = kv.get('SwapTotal');
  const swapFree = kv.get('SwapFree');
  if (swapTotal !== undefined && swapFree !== undefined) out.swap = { totalBytes: swapTotal, freeBytes: swapFree };
  return out;
}

function sumIfAll(kv: Map<string, number>, keys: string[]): number | undefined {
  let s = 0;
  for (const k of keys) {
    const v = kv.get(k);
    if (v === undefined) return undefined;
    s += v;
  }
  return s;
}

export function parseLoadavg(text: string): HostReading['load'] {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((x) => x !== undefined && Number.isFinite(x))) return undefined;
  return { load1: a!, load5: b!, load15: c! };
}

/** Boot time in epoch seconds from /proc/uptime, for when /proc/stat has no btime line. */
export function bootTimeFromUptime(text: string, atMs: number): number | undefined {
  const up = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(up) && text.trim() !== '' ? Math.round(atMs / 1000 - up) : undefined;
}

/** /proc/sys/kernel/random/boot_id: a UUID, new at every boot; anything else is no boot id. */
export function parseBootId(text: string | undefined): string | undefined {
  const id = text?.trim().toLowerCase();
  return id && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? id : undefined;
}

export type Filesystem = NonNullable<HostReading['filesystems']>[number];

/**
 * `df -P` output. The header says the block size (`1-blocks`, `1024-blocks`, `1B-blocks`) and whether
 * a Type column is there; the mount point is the rest of the line, so it may contain spaces.
 * Two paths on one filesystem give one entry.
 */
export function parseDf(text: string): Filesystem[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines.findIndex((l) => /^Filesystem\s/.test(l));
  if (header < 0) return [];
  const h = lines[header]!;
  const hasType = /^Filesystem\s+Type\s/.test(h);
  const bs = /\s(\d+)(?:B)?-blocks\s/.exec(h);
  const blockSize = bs ? Number(bs[1]) : 1024;
  const out: Filesystem[] = [];
  const seen = new Set<string>();
  for (const line of lines.slice(header + 1)) {
    const cols = line.trim().split(/\s+/);
    const n = hasType ? 7 : 6;
    if (cols.length < n) continue;
    const device = cols[0]!;
    const fsType = hasType ? cols[1] : undefined;
    const o = hasType ? 2 : 1;
    const total = Number(cols[o]) * blockSize;
    const available = Number(cols[o + 2]) * blockSize;
    const mount = cols.slice(o + 4).join(' ');
    if (!Number.isFinite(total) || !Number.isFinite(available) || !mount.startsWith('/')) continue;
    const key = `${device}\u0000${mount}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ mount, device, ...(fsType ? { fsType } : {}), totalBytes: total, availableBytes: available });
  }
  return out;
}

/** One line of /proc/self/mountinfo: where a filesystem is mounted and what it is (as df names it). */
export interface MountInfo {
  mount: string;
  source: string;
  fsType: string;
}

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    // id parent major:minor root mount options [optional...] - type source superoptions
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 5 || right.length < 2) continue;
    out.push({ mount: unescapeMount(left[4]!), fsType: right[0]!, source: unescapeMount(right[1]!) });
  }
  return out;
}

/** The mount holding `path` (an absolute, resolved path): the last mounted of the longest matching prefixes, as df picks it. */
export function mountOf(mounts: readonly MountInfo[], path: string): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const inside = m.mount === '/' || path === m.mount || path.startsWith(`${m.mount}/`);
    if (inside && (!best || m.mount.length >= best.mount.length)) best = m;
  }
  return best;
}

/** `uname -m` (or node_exporter's `machine` label) to the names container engines use. */
export function normaliseArch(machine: string): string {
  const m = machine.trim();
  if (m === 'x86_64' || m === 'amd64') return 'amd64';
  if (m === 'aarch64' || m === 'arm64') return 'arm64';
  // 32-bit ARM keeps its variant (arm/v7 containers do not run on an arm/v6 board); armv8l is a 32-bit
  // userland on a 64-bit core. A bare `arm` says nothing about the variant.
  const arm = /^armv(\d)/.exec(m);
  if (arm) return `arm/v${arm[1]}`;
  if (m === 'arm') return 'arm';
  if (/^i[3-6]86$/.test(m)) return '386';
  return m;
}
