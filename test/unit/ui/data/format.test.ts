import t from 'tap';
import { age, bytes, percent } from '../../../../ui/data/format.js';

t.test('sizes in binary units, percentages and ages read the way people say them', async (t) => {
  t.equal(bytes(0), '0 B');
  t.equal(bytes(1023), '1023 B');
  t.equal(bytes(64 * 2 ** 20), '64.0 MiB');
  t.equal(bytes(23.5 * 2 ** 30), '23.5 GiB');
  t.equal(bytes(542 * 2 ** 30), '542 GiB', 'no decimals from 100 up');
  t.equal(bytes(undefined), '—', 'a missing figure is a dash, not 0');
  t.equal(bytes(Number.NaN), '—');
  t.equal(percent(0.423), '42 %');
  t.equal(percent(null), '—', 'unknown CPU is not 0 %');
  t.equal(age(0.4), '0 s old');
  t.equal(age(42), '42 s old');
  t.equal(age(600), '10 min old');
  t.equal(age(7200), '2 h old');
  t.equal(age(null), 'never read');
});
