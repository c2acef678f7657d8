// Byte figures in placement messages: a figure that rounds to 1024.0 of a unit is written in the next
// unit, and a shortfall that one decimal hides is spelt out (`needs 1.0 GiB, 1.0 GiB available` alone
// reads as a fit).
import t from 'tap';
import { formatBytes, GiB, MiB, shortfallText } from '../../../../core/placement/units.js';

t.test('formatBytes never writes 1024.0 of a unit', async (t) => {
  t.equal(formatBytes(GiB - 1), '1.0 GiB');
  t.equal(formatBytes(MiB - 1), '1.0 MiB');
  t.equal(formatBytes(GiB - MiB), '1023.0 MiB');
  t.equal(formatBytes(GiB - MiB / 10), '1023.9 MiB');
  t.equal(formatBytes(512 * MiB), '512.0 MiB');
  t.equal(formatBytes(1.5 * GiB), '1.5 GiB');
  t.equal(formatBytes(1000), '1000 B');
});

t.test('shortfallText names the bytes missing only when the figures print alike', async (t) => {
  t.equal(shortfallText(GiB, GiB - 1), '; 1 B short');
  t.equal(shortfallText(GiB, GiB), '');
  t.equal(shortfallText(2 * GiB, GiB), '', '2.0 GiB and 1.0 GiB already differ');
  t.equal(shortfallText(MiB, -5), '', 'a negative figure prints as 0 B');
});
