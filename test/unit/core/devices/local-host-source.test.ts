// The hub reads its own machine's /proc for a local-socket device, with the parsers the ssh-procfs
// plugin uses (core/plugin/procfs) made strict; the live source must give figures that derive into a
// CPU rate, and name its kernel and filesystems as df and an SSH device on this machine would.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHostSource, parseLoadavg, parseMeminfo, parseProcStat } from '../../../../core/devices/local-host-source.js';
import { deriveSample } from '../../../../core/metrics/derive.js';
import * as plugin from '../../../../plugins/ssh-procfs/translate.js';

const fixtures = join(import.meta.dirname, '../../../fixtures/metrics');
const polls = readdirSync(fixtures).flatMap((dir) =>
  readdirSync(join(fixtures, dir))
    .filter((f) => f.endsWith('.txt'))
    .map((f) => join(dir, f)),
);

t.ok(polls.length >= 6, `${polls.length} recorded polls from a Pi 4, an x86 box and a NAS`);

for (const file of polls) {
  t.test(`${file}: same figures as the ssh-procfs plugin`, async (t) => {
    const sections = plugin.splitSections(readFileSync(join(fixtures, file), 'utf8'));
    const stat = sections.get('/proc/stat')!;
    const mem = sections.get('/proc/meminfo')!;
    const load = sections.get('/proc/loadavg')!;
    const ours = parseProcStat(stat);
    const theirs = plugin.parseProcStat(stat);
    t.same(ours.cpu, theirs.cpu, 'CPU counters and cores');
    t.equal(ours.bootTime, theirs.bootTime, 'boot time');
    t.ok(ours.cpu.cores > 0);
    const m = parseMeminfo(mem);
    const pm = plugin.parseMeminfo(mem);
    t.same(m.memory, pm.memory, 'memory');
    t.same(m.swap, pm.swap, 'swap');
    t.ok(m.memory.availableBytes < m.memory.totalBytes);
    t.same(parseLoadavg(load), plugin.parseLoadavg(load), 'load');
  });
}

t.test('MemAvailable missing (kernels before 3.14): free + buffers + cached', async (t) => {
  const m = parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n');
  t.equal(m.memory.availableBytes, 420 * 1024);
});

t.test('unreadable input is refused, not read as zeros', async (t) => {
  t.throws(() => parseProcStat('intr 1 2 3\n'), /no usable cpu/);
  t.throws(() => parseMeminfo('MemFree: 1 kB\n'), /MemTotal/);
  t.throws(() => parseLoadavg('garbage'), /loadavg/);
});

t.test('this machine, read twice, gives a CPU rate and plausible memory and disk', async (t) => {
  const source = new LocalHostSource(['/', '/']);
  const a = await source.collect();
  await new Promise((r) => setTimeout(r, 300));
  const b = await source.collect();
  t.ok(b.memory!.totalBytes > 0 && b.memory!.availableBytes <= b.memory!.totalBytes);
  t.equal(b.filesystems!.length, 1, 'two paths on one filesystem count once');
  t.ok(b.filesystems![0]!.availableBytes <= b.filesystems![0]!.totalBytes);
  const { sample, dropped } = deriveSample(a, b);
  t.notOk(dropped);
  t.ok(sample.cpu && sample.cpu.utilisation >= 0 && sample.cpu.utilisation <= 1, 'a utilisation between 0 and 1');
});

t.test('this machine: boot id, host name, and the root filesystem named as df names it', async (t) => {
  const r = await new LocalHostSource(['/']).collect();
  t.equal(r.bootId, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  t.equal(r.hostname, readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
  const df = plugin.parseDf(execFileSync('df', ['-P', '-B1', '-T', '--', '/'], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }));
  t.equal(r.filesystems![0]!.mount, df[0]!.mount);
  t.equal(r.filesystems![0]!.device, df[0]!.device);
  t.equal(r.filesystems![0]!.fsType, df[0]!.fsType);
  t.equal(r.filesystems![0]!.totalBytes, df[0]!.totalBytes);
});
