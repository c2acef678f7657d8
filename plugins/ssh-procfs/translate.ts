// Pure parsing of what a Linux device prints: /proc/stat, /proc/meminfo, /proc/loadavg, /proc/uptime,
// the boot id and host name, `df -P` and the enrolment benchmark. The remote commands are built here
// too, so that what is asked and how the answer is read stay side by side. The /proc parsers themselves
// are shared with the hub's own /proc reader (core/plugin/procfs).
import { WarrenError } from '../../core/errors.js';
import type { HostReading } from '../../core/providers/metrics-source.js';
import {
  bootTimeFromUptime,
  normaliseArch,
  parseBootId,
  parseDf,
  parseLoadavg,
  parseMeminfo,
  parseProcStat,
  USER_HZ,
} from '../../core/plugin/procfs.js';

export { bootTimeFromUptime, normaliseArch, parseBootId, parseDf, parseLoadavg, parseMeminfo, parseProcStat, USER_HZ };

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The files every poll reads, in the order they are printed. */
export const POLL_FILES = ['/proc/stat', '/proc/meminfo', '/proc/loadavg', '/proc/uptime', '/proc/sys/kernel/random/boot_id', '/proc/sys/kernel/hostname'] as const;

/** The free-space part of a poll: df falls back to 1 KiB blocks where `-B1 -T` is not offered (busybox). */
export function dfCommand(paths: readonly string[]): string {
  const p = paths.map(quote).join(' ');
  return `echo '==> df <=='; LC_ALL=C df -P -B1 -T -- ${p} || { echo '==> df-k <=='; LC_ALL=C df -P -k -- ${p}; }`;
}

/**
 * The command run per poll by a shell without bash: `head` prints a `==> file <==` header before each
 * file, so one process reads all of /proc we need; df only when free space is due.
 */
export function pollCommand(paths: readonly string[], opts: { df?: boolean } = {}): string {
  return [`head -n 100000 ${POLL_FILES.join(' ')}`, ...(opts.df === false ? [] : [dfCommand(paths)])].join('; ');
}

/** Name of the shell function that bashPollFunction defines. */
export const BASH_POLL = '__warren_poll';

/**
 * Defined once in a long-lived bash: reads every /proc file with the `read` builtin (no process is
 * started) and prints them in one write, in the same `==> file <==` sections as `head`. Of /proc/stat
 * only the cpu lines and btime are sent (the interrupt counters after them are most of the file).
 * bash's stdout is line-buffered and printf writes its format's own newlines one by one, so printing
 * the sections directly makes one write(2), and for sshd one SSH packet, per line (17 per poll);
 * formatting into a variable first and printing that with one `%s` makes it one write (for output that
 * fits stdio's buffer, 4 KiB on a pipe: about 2 KiB here). The reads share one stderr redirection.
 * What it costs per call was measured with bench/poll-scale and strace (see plugins/ssh-procfs/README.md).
 */
export function bashPollFunction(): string {
  return [
    `${BASH_POLL}() {`,
    '  local s= m= l= u= b= h= t= e= o=',
    '  {',
    '    read -r -d "" s </proc/stat',
    '    read -r -d "" m </proc/meminfo',
    '    read -r l </proc/loadavg',
    '    read -r u </proc/uptime',
    '    read -r b </proc/sys/kernel/random/boot_id',
    '    read -r h </proc/sys/kernel/hostname',
    '  } 2>/dev/null',
    // A regular expression, not \${s#*\nbtime }: bash tries that pattern against every prefix in turn
    // (quadratic: 0.5 ms on a 1 KiB /proc/stat, far more on boards whose interrupt line is long).
    `  if [[ $s =~ $'\\n'btime\\ ([0-9]+) ]]; then t="btime \${BASH_REMATCH[1]}"; fi`,
    // With a marker argument, the end-of-answer line goes out in the same write (RemoteShell.runFramed).
    `  if [ -n "$1" ]; then e="\n$1 0\n"; fi`,
    `  printf -v o '==> /proc/stat <==\\n%s\\n%s\\n==> /proc/meminfo <==\\n%s\\n==> /proc/loadavg <==\\n%s\\n==> /proc/uptime <==\\n%s\\n==> /proc/sys/kernel/random/boot_id <==\\n%s\\n==> /proc/sys/kernel/hostname <==\\n%s\\n%b' "\${s%%$'\\n'intr *}" "$t" "$m" "$l" "$u" "$b" "$h" "$e"`,
    `  printf '%s' "$o"`,
    '}',
  ].join('\n');
}

/** The command run per poll in bash once bashPollFunction is defined. */
export function bashPollCommand(paths: readonly string[], opts: { df?: boolean } = {}): string {
  return opts.df === false ? BASH_POLL : `${BASH_POLL}; ${dfCommand(paths)}`;
}

export const systemInfoCommand = 'uname -m; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN';

/** Iterations of the benchmark loop; about 0.2 s per run with gawk 5 on the reference core. */
export const BENCHMARK_ITERATIONS = 400_000;
/** Seconds one run took on the reference core (score 1.0). */
export const BENCHMARK_REFERENCE_SECONDS = 0.2;
/** Stands in when the benchmark cannot run: never zero, so a device without a score is not unplaceable. */
export const DEFAULT_CPU_SCORE = 0.5;

/**
 * What the loop prints; a different answer means the loop did not really run and the time is
 * meaningless. benchmarkExpected(BENCHMARK_ITERATIONS), written out: working it out at import took
 * 18 ms of every hub start (a unit test checks the two agree).
 */
export const BENCHMARK_EXPECTED = 1463;

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

export function parseNproc(text: string): number | undefined {
  const n = Number(text.trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
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
  const bootId = parseBootId(s.get('/proc/sys/kernel/random/boot_id'));
  if (bootId) reading.bootId = bootId;
  const hostname = s.get('/proc/sys/kernel/hostname')?.trim();
  if (hostname) reading.hostname = hostname;
  return reading;
}
