import t from 'tap';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { deriveCpu, deriveSample, isDropped, toMetricPoints } from '../../../../core/metrics/derive.js';
import type { HostReading } from '../../../../core/providers/metrics-source.js';
import { parsePollOutput } from '../../../../plugins/ssh-procfs/translate.js';
import { parseExposition, toHostReading } from '../../../../plugins/node-exporter/translate.js';

const fixture = (p: string) => readFileSync(new URL(`../../../fixtures/metrics/${p}`, import.meta.url), 'utf8');
const T0 = 1732581220000;
const procfs = (p: string, at: number) => parsePollOutput(fixture(p), at);
const exporter = (p: string, at: number) => toHostReading(parseExposition(fixture(p)), at);
const close = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-9;

t.test('Pi 4 over /proc: 25 % busy across 4 cores in 15 s', async (t) => {
  const { sample, dropped } = deriveSample(procfs('pi4/poll-1.txt', T0), procfs('pi4/poll-2.txt', T0 + 15_000));
  t.equal(dropped, undefined);
  t.ok(close(sample.cpu?.utilisation, 0.25), `got ${sample.cpu?.utilisation}`);
  t.equal(sample.cpu?.cores, 4);
  t.equal(sample.cpu?.intervalMs, 15_000);
  t.equal(sample.memory?.usedBytes, (3884084 - 2704996) * 1024, 'used = MemTotal - MemAvailable');
  t.equal(sample.filesystems?.[0]?.usedBytes, 31154044928 - 19973087232, 'used = total - available (reserved blocks included)');
});

t.test('8-core x86 KVM host: guest time inside user is not counted twice', async (t) => {
  const rate = deriveCpu(procfs('x86-8core/poll-1.txt', T0), procfs('x86-8core/poll-2.txt', T0 + 10_000));
  t.notOk(isDropped(rate));
  // busy 4000+600+40 ticks, idle 3300+60: 4640 / 8000. Adding guest (3000) again would give 0.69.
  t.ok(!isDropped(rate) && close(rate?.utilisation, 0.58), JSON.stringify(rate));
  t.equal(!isDropped(rate) && rate?.cores, 8);
});

t.test('8-core x86 box over node_exporter gives the same 58 %', async (t) => {
  const rate = deriveCpu(exporter('x86-8core/node-exporter-1.prom', T0), exporter('x86-8core/node-exporter-2.prom', T0 + 10_000));
  t.ok(!isDropped(rate) && rate && Math.abs(rate.utilisation - 0.58) < 1e-6, JSON.stringify(rate));
});

t.test('NAS: iowait ticking backwards on one CPU is a kernel quirk, not a reset', async (t) => {
  const { sample, dropped } = deriveSample(procfs('nas/poll-1.txt', T0), procfs('nas/poll-2.txt', T0 + 20_000));
  t.equal(dropped, undefined);
  t.ok(sample.cpu && sample.cpu.utilisation > 0 && sample.cpu.utilisation < 1);
});

t.test('NAS reboot: the pair is dropped instead of a spike', async (t) => {
  const { sample, dropped } = deriveSample(procfs('nas/reboot-1.txt', T0), procfs('nas/reboot-2.txt', T0 + 20_000));
  t.equal(dropped?.reason, 'reboot');
  t.match(dropped?.message, /boot time moved/);
  t.equal(sample.cpu, undefined);
  t.ok(sample.memory, 'gauges of the new reading are still good');
  const viaExporter = deriveCpu(exporter('nas/node-exporter-before-reboot.prom', T0), exporter('nas/node-exporter-after-reboot.prom', T0 + 20_000));
  t.equal(isDropped(viaExporter) && viaExporter.reason, 'reboot');
});

t.test('NAS counter reset with the same boot time: dropped', async (t) => {
  const { dropped } = deriveSample(procfs('nas/counter-reset-1.txt', T0), procfs('nas/counter-reset-2.txt', T0 + 20_000));
  t.equal(dropped?.reason, 'counter-reset');
});

const base = (at: number, busy: number, idle: number, extra: Partial<HostReading> = {}): HostReading => ({
  at,
  cpu: { cores: 4, busySeconds: busy, idleSeconds: idle },
  bootTime: 1_700_000_000,
  ...extra,
});

t.test('other reasons to drop', async (t) => {
  const a = base(1000, 10, 10);
  t.equal((deriveCpu(a, base(1000, 11, 11)) as { reason: string }).reason, 'non-positive-interval');
  t.equal((deriveCpu(a, base(500, 11, 11)) as { reason: string }).reason, 'non-positive-interval');
  t.equal((deriveCpu(a, base(2000, 10, 10)) as { reason: string }).reason, 'no-progress');
  t.equal((deriveCpu(a, { ...base(2000, 11, 11), cpu: { cores: 8, busySeconds: 11, idleSeconds: 11 } }) as { reason: string }).reason, 'cores-changed');
  t.notOk(isDropped(deriveCpu(a, base(2000, 11, 11, { bootTime: 1_700_000_001 }))), 'btime jitter of a second is the same boot');
  t.equal((deriveCpu(a, base(2000, 11, 11, { bootTime: 1_700_000_003 })) as { reason: string }).reason, 'reboot');
  t.equal(deriveCpu(a, { at: 2000 }), undefined, 'no CPU counters, no rate and no drop');
  t.same(deriveSample(undefined, a), { sample: { at: 1000, bootTime: 1_700_000_000 } }, 'a first reading has no rate and drops nothing');
});

t.test('property: utilisation always within 0..1, and only when counters moved forwards', async (t) => {
  fc.assert(
    // Counters are whole ticks in /proc/stat; seconds are ticks / USER_HZ.
    fc.property(fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: 0, max: 1e12 }), fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 }), (b, i, db, di) => {
      const r = deriveCpu(base(0, b / 100, i / 100), base(1000, (b + db) / 100, (i + di) / 100));
      if (db < 0 || di < 0) return isDropped(r) && r.reason === 'counter-reset';
      if (db + di === 0) return isDropped(r);
      return !isDropped(r) && r !== undefined && r.utilisation >= 0 && r.utilisation <= 1;
    }),
  );
});

t.test('history points carry every figure with the sample time', async (t) => {
  const { sample } = deriveSample(procfs('nas/poll-1.txt', T0), procfs('nas/poll-2.txt', T0 + 20_000));
  const pts = toMetricPoints(sample);
  t.ok(pts.every((p) => p.at === T0 + 20_000));
  t.same(
    pts.map((p) => p.metric).filter((m) => m.startsWith('fs.available')),
    ['fs.available_bytes:/', 'fs.available_bytes:/volume1', 'fs.available_bytes:/volume2', 'fs.available_bytes:/volumeUSB1/usbshare'],
  );
  t.ok(pts.find((p) => p.metric === 'cpu.utilisation'));
});

t.test('a real recording: /proc and node_exporter read back to back from one VM agree', async (t) => {
  const { at } = JSON.parse(fixture('vm-2core/recorded.json')) as { at: [number, number] };
  const viaProc = deriveCpu(procfs('vm-2core/poll-1.txt', at[0]), procfs('vm-2core/poll-2.txt', at[1]));
  const viaExporter = deriveCpu(exporter('vm-2core/node-exporter-1.prom', at[0]), exporter('vm-2core/node-exporter-2.prom', at[1]));
  t.ok(!isDropped(viaProc) && viaProc && !isDropped(viaExporter) && viaExporter);
  if (isDropped(viaProc) || !viaProc || isDropped(viaExporter) || !viaExporter) return;
  t.equal(viaProc.cores, 2);
  t.equal(viaExporter.cores, 2);
  // The exporter read the same kernel counters a few milliseconds later on each side of a 5 s window.
  t.ok(Math.abs(viaProc.utilisation - viaExporter.utilisation) < 0.02, `${viaProc.utilisation} vs ${viaExporter.utilisation}`);
  const a = procfs('vm-2core/poll-2.txt', at[1]);
  const b = exporter('vm-2core/node-exporter-2.prom', at[1]);
  t.equal(a.memory?.totalBytes, b.memory?.totalBytes);
  t.ok(Math.abs(a.bootTime! - b.bootTime!) <= 1);
  t.same(a.filesystems?.[0]?.mount, '/');
  t.ok(b.filesystems?.some((f) => f.mount === '/' && f.device === a.filesystems?.[0]?.device));
});
