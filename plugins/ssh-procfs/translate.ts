// Pure parsing of what a Linux device prints: /proc/stat, /proc/meminfo, /proc/loadavg, /proc/uptime,
// `df -P` and the enrolment benchmark. The remote commands are built here too, so that what is asked
// and how the answer is read stay side by side.
import { WarrenError } from '../../core/errors.js';
import type { CpuCounters, HostReading } from '../../core/providers/metrics-source.js';

/** Clock ticks per second in /proc/stat; fixed at 100 by the kernel ABI (USER_HZ) on every Linux arch. */
export const USER_HZ = 100;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The one command run per poll. `head` prints a `==> file <==` header before each file, so one
 * process reads all of /proc we need. df falls back to 1 KiB blocks where `-B1 -T` is not offered.
 */
export function pollCommand(paths: readonly string[]): string {
  const p = paths.map(quote).join(' ');
  return [
    'LC_ALL=C; export LC_ALL',
    'head -n 100000 /proc/stat /proc/meminfo /proc/loadavg /proc/uptime',
    "echo '==> df <=='",
    `df -P -B1 -T -- ${p} || { echo '==> df-k <=='; df -P -k -- ${p}; }`,
  ].join('; ');
}

export const systemInfoCommand = 'uname -m; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN';

/** Iterations of the benchmark loop; about 0.2 s per run with gawk 5 on the reference core. */
export const BENCHMARK_ITERATIONS = 400_000;
/** Seconds one run took on the reference core (score 1.0). */
export const BENCHMARK_REFERENCE_SECONDS = 0.2;
/** Stands in when the benchmark cannot run: never zero, so a device without a score is not unplaceable. */
export const DEFAULT_CPU_SCORE = 0.5;

/** What the loop prints; a different answer means the loop did not really run and the time is meaningless. */
export const BENCHMARK_EXPECTED = benchmarkExpected(BENCHMARK_ITERATIONS);

export function benchmarkExpected(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s = (s + ((i * i) % 7919)) % 7919;
  return s;
}

/** Three timed runs; each brackets the awk loop with /proc/uptime (10 ms resolution, on every Linux). */
export function benchmarkCommand(iterations = BENCHMARK_ITERATIONS): string {
  const loop = `awk 'BEGIN{s=0;for(i=0;i<${iterations};i++){s=(s+(i*i)%7919)%7919};print s}'`;
  return `for r in 1 2 3; do read a x < /proc/uptime; v=$(${loop}); read b x < /proc/uptime; echo "run $a $b $v"; done`;
}

/** The fastest run, in seconds; undefined when no run printed the expected result. */
export function parseBenchmark(stdout: string, expected = BENCHMARK_EXPECTED): number | undefined {
  const runs = [...stdout.matchAll(/^run (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\S+)\s*$/gm)]
    .filter((m) => Number(m[3]) === expected)
    .map((m) => Number(m[2]) - Number(m[1]))
    .filter((s) => s >= 0);
  return runs.length ? Math.min(...runs) : undefined;
}

/** Reference time over measured time; a run faster than the clock can see counts as one tick. */
export function cpuScore(measuredSeconds: number, referenceSeconds = BENCHMARK_REFERENCE_SECONDS): number {
  return referenceSeconds / Math.max(measuredSeconds, 1 / USER_HZ);
}

/** Splits `head`-style output into sections by file name. */
export function splitSections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (name !== undefined) out.set(name, lines.join('\n').trim());
  };
  for (const line of stdout.split('\n')) {
    const m = /^==> (.+) <==$/.exec(line);
    if (m) {
      flush();
      name = m[1]!;
      lines = [];
    } else lines.push(line);
  }
  flush();
  return out;
}

const STAT_BUSY = [0, 1, 2, 5, 6, 7]; // user nice system irq softirq steal
const STAT_IDLE = [3, 4]; // idle iowait

export function parseProcStat(text: string): { cpu?: CpuCounters; bootTime?: number } {
  let aggregate: number[] | undefined;
  let cores = 0;
  let bootTime: number | undefined;
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const key = fields[0];
    if (key === 'cpu') aggregate = fields.slice(1).map(Number);
    else if (key && /^cpu\d+$/.test(key)) cores++;
    else if (key === 'btime') bootTime = Number(fields[1]);
  }
  const out: { cpu?: CpuCounters; bootTime?: number } = {};
  // Columns after steal (guest, guest_nice) are already inside user and nice: adding them would count twice.
  if (aggregate && aggregate.length >= 4 && aggregate.every(Number.isFinite)) {
    const sum = (idx: number[]) => idx.reduce((a, i) => a + (aggregate![i] ?? 0), 0) / USER_HZ;
    out.cpu = { cores, busySeconds: sum(STAT_BUSY), idleSeconds: sum(STAT_IDLE) };
  }
  if (bootTime !== undefined && Number.isFinite(bootTime)) out.bootTime = bootTime;
  return out;
}

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

export function parseNproc(text: string): number | undefined {
  const n = Number(text.trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

type Filesystem = NonNullable<HostReading['filesystems']>[number];

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

/** `uname -m` to the names container engines use. */
export function normaliseArch(machine: string): string {
  const m = machine.trim();
  if (m === 'x86_64' || m === 'amd64') return 'amd64';
  if (m === 'aarch64' || m === 'arm64' || m === 'armv8l') return 'arm64';
  if (/^armv\d/.test(m) || m === 'arm') return 'arm';
  if (/^i[3-6]86$/.test(m)) return '386';
  return m;
}

export interface SystemInfo {
  arch?: string;
  nproc?: number;
}

export function parseSystemInfo(stdout: string): SystemInfo {
  const [machine, nproc] = stdout.split('\n').map((l) => l.trim());
  const info: SystemInfo = {};
  if (machine) info.arch = normaliseArch(machine);
  const n = nproc === undefined ? undefined : parseNproc(nproc);
  if (n !== undefined) info.nproc = n;
  return info;
}

/** Everything one poll printed, read into a HostReading taken at `atMs`. */
export function parsePollOutput(stdout: string, atMs: number, info: SystemInfo = {}): HostReading {
  const s = splitSections(stdout);
  const stat = s.has('/proc/stat') ? parseProcStat(s.get('/proc/stat')!) : {};
  if (!stat.cpu && !s.get('/proc/meminfo')) {
    throw new WarrenError('WARREN_ERR_DEVICE_UNREACHABLE', 'the device answered but /proc/stat and /proc/meminfo could not be read', {
      hint: 'ssh-procfs needs a Linux device whose /proc is readable by the configured user',
    });
  }
  const reading: HostReading = { at: atMs };
  if (stat.cpu) {
    // A kernel that hides per-CPU lines (some sandboxes) still tells nproc how many cores there are.
    const cores = stat.cpu.cores || info.nproc || 0;
    if (cores > 0) reading.cpu = { ...stat.cpu, cores };
  }
  Object.assign(reading, parseMeminfo(s.get('/proc/meminfo') ?? ''));
  const load = parseLoadavg(s.get('/proc/loadavg') ?? '');
  if (load) reading.load = load;
  const boot = stat.bootTime ?? bootTimeFromUptime(s.get('/proc/uptime') ?? '', atMs);
  if (boot !== undefined) reading.bootTime = boot;
  const df = parseDf(s.get('df') ?? '');
  const fs = df.length ? df : parseDf(s.get('df-k') ?? '');
  if (fs.length) reading.filesystems = fs;
  if (info.arch) reading.arch = info.arch;
  return reading;
}
