import t from 'tap';
import { formatBytes, parseBytes, parseDuration, splitShellWords } from '../../../../core/catalog/units.js';

t.test('sizes are read the way Docker reads them (binary units, any case)', async (t) => {
  t.equal(parseBytes('512M'), 512 * 1024 ** 2);
  t.equal(parseBytes('1g'), 1024 ** 3);
  t.equal(parseBytes('1.5GB'), 1.5 * 1024 ** 3);
  t.equal(parseBytes('64mb'), 64 * 1024 ** 2);
  t.equal(parseBytes('100k'), 102400);
  t.equal(parseBytes('2048'), 2048);
  t.equal(parseBytes(4096), 4096);
  for (const bad of ['', 'M', '12 parsecs', '-1G', '1e3M', 'lots']) t.equal(parseBytes(bad), undefined, bad);
  t.equal(parseBytes(-5), undefined);
});

t.test('durations: Go syntax as Compose writes it, bare numbers as seconds', async (t) => {
  t.equal(parseDuration('30s'), 30);
  t.equal(parseDuration('1m30s'), 90);
  t.equal(parseDuration('1h2m3s'), 3723);
  t.equal(parseDuration('500ms'), 0.5);
  t.equal(parseDuration('10'), 10);
  t.equal(parseDuration(5), 5);
  for (const bad of ['', 's', '1 m', '30x', '1m30', 'soon']) t.equal(parseDuration(bad), undefined, bad);
});

t.test('string commands are split like a shell, without expansion', async (t) => {
  t.same(splitShellWords('postgres -c shared_buffers=512MB'), ['postgres', '-c', 'shared_buffers=512MB']);
  t.same(splitShellWords(`sh -c 'echo "hi there" && exit 1'`), ['sh', '-c', 'echo "hi there" && exit 1']);
  t.same(splitShellWords('a\\ b "c\\"d" e'), ['a b', 'c"d', 'e']);
  t.same(splitShellWords('  '), []);
  t.same(splitShellWords('""'), ['']);
  t.equal(splitShellWords('echo "unterminated'), undefined);
});

t.test('sizes for messages', async (t) => {
  t.equal(formatBytes(512 * 1024 ** 2), '512 MiB');
  t.equal(formatBytes(1.5 * 1024 ** 3), '1.5 GiB');
  t.equal(formatBytes(100), '100 B');
});
