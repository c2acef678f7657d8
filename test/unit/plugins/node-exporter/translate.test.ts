import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseExposition, toHostReading } from '../../../../plugins/node-exporter/translate.js';

const fixture = (p: string) => readFileSync(new URL(`../../../fixtures/metrics/${p}`, import.meta.url), 'utf8');

t.test('exposition format: comments, labels with escapes, special values, timestamps', async (t) => {
  const text = [
    '# HELP http_requests_total The total number of HTTP requests.',
    '# TYPE http_requests_total counter',
    '# just a comment',
    'http_requests_total{method="post",code="200"} 1027 1395066363000',
    'http_requests_total{method="post",code="400"}    3   1395066363000',
    '',
    'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
    'metric_without_timestamp_and_labels 12.47',
    'something_weird{problem="division by zero"} +Inf -3982045',
    'missing_value NaN',
    'negative_inf{a="b",} -Inf',
    'http_request_duration_seconds_bucket{le="+Inf"} 144320',
  ].join('\n');
  const e = parseExposition(text);
  t.equal(e.types.get('http_requests_total'), 'counter');
  t.equal(e.help.get('http_requests_total'), 'The total number of HTTP requests.');
  t.equal(e.samples.length, 8);
  t.same(e.samples[0], { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestamp: 1395066363000 });
  t.same(e.samples[2]!.labels, { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
  t.equal(e.samples[2]!.value, 1458255915);
  t.equal(e.samples[4]!.value, Infinity);
  t.equal(e.samples[4]!.timestamp, -3982045);
  t.ok(Number.isNaN(e.samples[5]!.value));
  t.equal(e.samples[6]!.value, -Infinity, 'a trailing comma in the label set is allowed');
  t.same(e.samples[7]!.labels, { le: '+Inf' });
});

t.test('malformed lines are refused with their line number', async (t) => {
  t.throws(() => parseExposition('ok_metric 1\nbroken{a="x} 1\n'), { code: 'WARREN_ERR_INVALID_INPUT', message: /line 2/ });
  t.throws(() => parseExposition('m{a="\\q"} 1'), { message: /invalid escape/ });
  t.throws(() => parseExposition('m 0x10'), { message: /invalid value/ });
  t.throws(() => parseExposition('m 1 2 3'), { message: /line 1/ });
  t.throws(() => parseExposition('<html><body>Not Found</body></html>'), { code: 'WARREN_ERR_INVALID_INPUT' });
});

t.test('Pi 4: four cores, memory, load, boot time, pseudo filesystems left out', async (t) => {
  const r = toHostReading(parseExposition(fixture('pi4/node-exporter.prom')), 1732581220000);
  t.equal(r.cpu?.cores, 4);
  t.ok(Math.abs(r.cpu!.busySeconds - (2680.42 + 2591.03 + 2572.11 + 2589.22 + 5.12 + 6.01 + 4.98 + 5.54 + 1072.1 + 1018.33 + 1021.17 + 1017.77 + 65.43 + 11.02 + 11.21 + 11.05)) < 1e-6);
  t.ok(Math.abs(r.cpu!.idleSeconds - (97113.02 + 97344.11 + 97356.9 + 97311.41 + 159.87 + 144.02 + 148.37 + 149.02)) < 1e-6);
  t.same(r.memory, { totalBytes: 3977302016, availableBytes: 2783694848 });
  t.same(r.swap, { totalBytes: 104853504, freeBytes: 94367744 });
  t.same(r.load, { load1: 0.81, load5: 0.62, load15: 0.55 });
  t.equal(r.bootTime, 1732480120);
  t.same(r.filesystems?.map((f) => f.mount), ['/', '/boot/firmware']);
  t.equal(r.arch, 'arm64');
  t.equal(r.hostname, 'box', 'the host name (with the boot time, the machine\'s identity: node_exporter has no boot id)');
  t.equal(r.bootId, undefined);
});

t.test('NAS: several filesystems, a bind mount counted once, a failed NFS mount skipped', async (t) => {
  const expo = parseExposition(fixture('nas/node-exporter-before-reboot.prom'));
  const r = toHostReading(expo, 1732581220000);
  t.same(r.filesystems?.map((f) => [f.mount, f.fsType]), [
    ['/', 'ext4'],
    ['/volume1', 'btrfs'],
    ['/volume2', 'ext4'],
    ['/volumeUSB1/usbshare', 'ext4'],
  ]);
  t.same(r.filesystems?.find((f) => f.mount === '/volume1'), {
    mount: '/volume1',
    device: '/dev/mapper/cachedev_0',
    fsType: 'btrfs',
    totalBytes: 11511875645440,
    availableBytes: 4169773146112,
  });
  t.equal(expo.samples.find((s) => s.name === 'node_textfile_mtime_seconds')?.labels.file, '/var/lib/node_exporter/say "hi"\\n.prom');
  t.equal(expo.samples.find((s) => s.name === 'node_textfile_mtime_seconds')?.timestamp, 1732581220123);

  const only = toHostReading(expo, 1, { mountpoints: ['/volume2', '/volume1/@docker/btrfs'] });
  t.same(only.filesystems?.map((f) => f.mount), ['/volume1/@docker/btrfs', '/volume2'], 'configured mount points are taken as asked');
});

t.test('guest time is a separate family and is not added to busy', async (t) => {
  const r = toHostReading(parseExposition(fixture('x86-8core/node-exporter-1.prom')), 1);
  t.equal(r.cpu?.cores, 8);
  // user + nice + system + softirq per CPU; node_cpu_guest_seconds_total (1015.43 each) stays out.
  t.ok(Math.abs(r.cpu!.busySeconds - 8 * (654.31 + 0.15 + 179.02 + 5.71)) < 1e-6);
});

t.test('a scrape without the node families gives an empty reading, not a crash', async (t) => {
  t.same(toHostReading(parseExposition('up 1\n'), 5), { at: 5 });
});
