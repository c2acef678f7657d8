import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  benchmarkCommand,
  BENCHMARK_EXPECTED,
  bootTimeFromUptime,
  cpuScore,
  normaliseArch,
  parseBenchmark,
  parseDf,
  parseMeminfo,
  parsePollOutput,
  parseProcStat,
  parseSystemInfo,
  pollCommand,
} from '../../../../plugins/ssh-procfs/translate.js';

const fixture = (p: string) => readFileSync(new URL(`../../../fixtures/metrics/${p}`, import.meta.url), 'utf8');
const GiB = 1024 ** 3;

t.test('/proc/stat: busy and idle from the aggregate line, guest columns not added twice', async (t) => {
  const line = 'cpu  1000 200 300 5000 400 10 20 30 700 50\ncpu0 1 1 1 1 1 1 1 1 1 1\ncpu1 1 1 1 1 1 1 1 1 1 1\nbtime 1700000000\n';
  const { cpu, bootTime } = parseProcStat(line);
  // user+nice+system+irq+softirq+steal = 1000+200+300+10+20+30 = 1560 ticks; guest 700 and guest_nice 50 are inside user/nice.
  t.equal(cpu?.busySeconds, 15.6);
  t.equal(cpu?.idleSeconds, 54);
  t.equal(cpu?.cores, 2);
  t.equal(bootTime, 1700000000);
});

t.test('/proc/stat from an old kernel without steal/guest columns', async (t) => {
  const { cpu } = parseProcStat('cpu  100 0 50 800 10 1 2\ncpu0 100 0 50 800 10 1 2\n');
  t.equal(cpu?.busySeconds, 1.53);
  t.equal(cpu?.idleSeconds, 8.1);
});

t.test('meminfo: MemAvailable, and the pre-3.14 stand-in', async (t) => {
  const pi = parseMeminfo(fixture('pi4/poll-1.txt').split('==> /proc/meminfo <==')[1]!.split('==>')[0]!);
  t.same(pi.memory, { totalBytes: 3884084 * 1024, availableBytes: 2718452 * 1024 });
  t.same(pi.swap, { totalBytes: 102396 * 1024, freeBytes: 92156 * 1024 });
  const old = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n');
  t.same(old.memory, { totalBytes: 1000 * 1024, availableBytes: 420 * 1024 });
  t.same(parseMeminfo('garbage'), {});
});

t.test('df -P: block size from the header, spaces in mount points, duplicates folded', async (t) => {
  const k = parseDf('Filesystem     1024-blocks    Used Available Capacity Mounted on\n/dev/sdb1  1000 400 500  45% /mnt/my disk\n/dev/sdb1  1000 400 500  45% /mnt/my disk\n');
  t.same(k, [{ mount: '/mnt/my disk', device: '/dev/sdb1', totalBytes: 1024000, availableBytes: 512000 }]);
  const b = parseDf('Filesystem     Type 1-blocks Used Available Capacity Mounted on\n/dev/vda ext4 2000 500 1400 27% /\n');
  t.same(b, [{ mount: '/', device: '/dev/vda', fsType: 'ext4', totalBytes: 2000, availableBytes: 1400 }]);
  t.same(parseDf("df: /nope: No such file or directory\n"), []);
});

t.test('the real df and /proc of this machine parse', async (t) => {
  const out = execFileSync('sh', ['-c', pollCommand(['/', '/tmp'])], { encoding: 'utf8' });
  const r = parsePollOutput(out, Date.now(), parseSystemInfo(execFileSync('sh', ['-c', 'uname -m; nproc'], { encoding: 'utf8' })));
  t.ok(r.cpu && r.cpu.cores >= 1 && r.cpu.busySeconds > 0);
  t.ok(r.memory && r.memory.availableBytes < r.memory.totalBytes);
  t.ok(r.filesystems && r.filesystems.length >= 1 && r.filesystems.every((f) => f.availableBytes <= f.totalBytes));
  t.ok(r.bootTime && r.bootTime < Date.now() / 1000);
  t.ok(r.load);
  t.equal(r.arch, normaliseArch(execFileSync('uname', ['-m'], { encoding: 'utf8' })));
});

t.test('paths with quotes cannot break out of the command', async (t) => {
  const r = spawnSync('sh', ['-c', pollCommand(["/tmp/it's; echo pwned"])], { encoding: 'utf8' });
  t.notMatch(r.stdout, /^pwned$/m);
  t.match(r.stderr, /it.*s; echo pwned/, 'df was handed the whole path');
});

t.test('fixtures: a Pi 4, an 8-core x86 box and a NAS', async (t) => {
  const pi = parsePollOutput(fixture('pi4/poll-1.txt'), 1732581220000, { arch: 'arm64' });
  t.equal(pi.cpu?.cores, 4);
  t.equal(pi.bootTime, 1732480120);
  t.ok(Math.abs(pi.memory!.totalBytes / GiB - 3.7) < 0.01);
  t.same(pi.load, { load1: 0.81, load5: 0.62, load15: 0.55 });
  t.equal(pi.filesystems?.length, 1, 'the two configured paths on one filesystem count once');
  t.equal(pi.arch, 'arm64');

  const x = parsePollOutput(fixture('x86-8core/poll-1.txt'), 1732581220000);
  t.equal(x.cpu?.cores, 8);
  t.same(x.filesystems?.map((f) => f.mount), ['/', '/srv/warren']);

  const nas = parsePollOutput(fixture('nas/poll-1.txt'), 1732581220000);
  t.same(nas.filesystems?.map((f) => [f.mount, f.fsType]), [
    ['/', 'ext4'],
    ['/volume1', 'btrfs'],
    ['/volume2', 'ext4'],
    ['/volumeUSB1/usbshare', 'ext4'],
  ]);
  t.equal(nas.filesystems?.find((f) => f.mount === '/volume1')?.availableBytes, 4169773146112);
});

t.test('boot time from /proc/uptime when btime is missing', async (t) => {
  t.equal(bootTimeFromUptime('100.3 300.2\n', 1_000_000_000), 1_000_000 - 100);
  t.equal(bootTimeFromUptime('', 1_000_000_000), undefined);
  const noBtime = fixture('pi4/poll-1.txt').replace(/^btime .*\n/m, '');
  t.equal(parsePollOutput(noBtime, 1732581220000).bootTime, 1732581220 - 101100);
});

t.test('output without /proc is refused with a hint', async (t) => {
  t.throws(() => parsePollOutput('sh: head: not found\n', 1), { code: 'WARREN_ERR_DEVICE_UNREACHABLE' });
});

t.test('per-CPU lines hidden: nproc gives the cores', async (t) => {
  const r = parsePollOutput('==> /proc/stat <==\ncpu  100 0 50 800 10 1 2\n', 1, { nproc: 6 });
  t.equal(r.cpu?.cores, 6);
});

t.test('benchmark: fastest verified run, score never zero', async (t) => {
  const out = `run 100.00 100.25 ${BENCHMARK_EXPECTED}\nrun 100.25 100.45 ${BENCHMARK_EXPECTED}\nrun 100.45 100.60 42\n`;
  t.equal(Math.round(parseBenchmark(out)! * 100), 20, 'the run with a wrong answer is ignored');
  t.equal(parseBenchmark('awk: not found\nrun 1 2 \n'), undefined);
  t.equal(cpuScore(0.4, 0.2), 0.5);
  t.equal(cpuScore(0, 0.2), 20, 'a run below the clock resolution counts as one tick');
  t.ok(cpuScore(1e9) > 0);
});

t.test('the benchmark command runs here and verifies its own answer', async (t) => {
  const out = execFileSync('sh', ['-c', benchmarkCommand(20_000)], { encoding: 'utf8' });
  const { benchmarkExpected } = await import('../../../../plugins/ssh-procfs/translate.js');
  const s = parseBenchmark(out, benchmarkExpected(20_000));
  t.ok(s !== undefined && s >= 0);
});

t.test('architectures are normalised like the container engines name them', async (t) => {
  t.same(['x86_64', 'aarch64', 'armv7l', 'armv6l', 'armv8l', 'armv5tel', 'arm', 'i686', 'riscv64'].map(normaliseArch), ['amd64', 'arm64', 'arm/v7', 'arm/v6', 'arm/v8', 'arm/v5', 'arm', '386', 'riscv64']);
});

t.test('the bash poll function prints the same figures as head, starts no process, and only the cpu lines and btime of /proc/stat', async (t) => {
  const { bashPollFunction, bashPollCommand } = await import('../../../../plugins/ssh-procfs/translate.js');
  const script = `${bashPollFunction()}\nread -r -d '' a </proc/stat; ${bashPollCommand(['/'], { df: false })}; read -r -d '' b </proc/stat; echo "==> forks <=="; echo "\${a##*processes }" "\${b##*processes }"`;
  const out = spawnSync('bash', ['--noprofile', '--norc', '-c', script], { encoding: 'utf8' });
  t.equal(out.status, 0, out.stderr);
  const forks = /==> forks <==\n(\d+)\n[^ ]* (\d+)/.exec(out.stdout);
  t.ok(forks, 'the process counter was read');
  // Other processes on this machine may start meanwhile; the function itself starts none, so usually 0.
  t.ok(Number(forks![2]) - Number(forks![1]) <= 5, `processes started meanwhile: ${Number(forks![2]) - Number(forks![1])}`);
  const viaBash = parsePollOutput(out.stdout.split('==> forks <==')[0]!, Date.now());
  const viaHead = parsePollOutput(execFileSync('sh', ['-c', pollCommand(['/'], { df: false })], { encoding: 'utf8' }), Date.now());
  t.equal(viaBash.cpu?.cores, viaHead.cpu?.cores);
  t.equal(viaBash.bootTime, viaHead.bootTime);
  t.equal(viaBash.memory?.totalBytes, viaHead.memory?.totalBytes);
  t.equal(viaBash.bootId, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  t.equal(viaBash.hostname, viaHead.hostname);
  t.equal(viaBash.filesystems, undefined, 'no df when not asked');
  t.notMatch(out.stdout, /^intr /m, 'the interrupt counters are not sent');
  t.match(out.stdout, /^btime \d+$/m);
});

t.test('the bash poll function answers in one write(2), so sshd sends one packet per poll', async (t) => {
  const { bashPollFunction, BASH_POLL } = await import('../../../../plugins/ssh-procfs/translate.js');
  if (spawnSync('strace', ['-V']).status !== 0) {
    t.pass('skipped: strace is not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'warren-poll-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // As in the hub's shell, something was printed before (stdio's buffer exists); the second call is counted.
  const script = `${bashPollFunction()}\necho ready\n${BASH_POLL} @@m1\n: ---\n${BASH_POLL} @@m2\n`;
  const out = spawnSync('sh', ['-c', `strace -o ${dir}/trace -e trace=write bash --noprofile --norc -c "$1" | cat`, 'sh', script], { encoding: 'utf8' });
  t.equal(out.status, 0, out.stderr);
  t.match(out.stdout, /\n@@m2 0\n$/);
  const writes = readFileSync(join(dir, 'trace'), 'utf8').split('\n').filter((l) => l.startsWith('write(1,'));
  // echo ready, first call, second call.
  t.equal(writes.length, 3, writes.join('\n'));
  t.match(writes[2]!, /"==> \/proc\/stat <==\\n.*= \d+$/);
});

t.test('the benchmark answer written out is what the loop prints', async (t) => {
  const { benchmarkExpected, BENCHMARK_ITERATIONS } = await import('../../../../plugins/ssh-procfs/translate.js');
  t.equal(BENCHMARK_EXPECTED, benchmarkExpected(BENCHMARK_ITERATIONS));
});
