// Availability from stored `up` points, raw and thinned: the ratio counts a thinned point's share of
// up time, and time without points (the hub was stopped) is left out.
import t from 'tap';
import { availability7d, upObservations } from '../../../../core/devices/history.js';
import { thin } from '../../../../core/metrics/thinning.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const now = Date.UTC(2026, 10, 27, 12, 0, 0);
const every = (from: number, to: number, step: number, value: (at: number) => number) => {
  const out: { at: number; value: number }[] = [];
  for (let at = from; at < to; at += step) out.push({ at, value: value(at) });
  return out;
};

t.test('under an hour of known time is unknown', async (t) => {
  t.equal(availability7d(every(now - 30 * MIN, now, 15_000, () => 1), now, 45_000), null);
});

t.test('two hours up then one hour down: two thirds', async (t) => {
  const pts = every(now - 3 * HOUR, now, 15_000, (at) => (at < now - HOUR ? 1 : 0));
  t.equal(availability7d(pts, now, 45_000)!.toFixed(3), '0.667');
});

t.test('a gap (hub stopped) is neither up nor down', async (t) => {
  const pts = [...every(now - 5 * HOUR, now - 4 * HOUR, 15_000, () => 1), ...every(now - HOUR, now, 15_000, () => 0)];
  t.equal(availability7d(pts, now, 45_000)!.toFixed(2), '0.50', 'three silent hours left out');
});

t.test('thinning keeps the ratio: averaged buckets count their share of up time', async (t) => {
  // Two days at 15 s, down for 90 minutes in the middle of the first day and 10 minutes in the last hours.
  const downAt = (at: number) => (at >= now - 36 * HOUR && at < now - 34.5 * HOUR) || (at >= now - 3 * HOUR && at < now - 3 * HOUR + 10 * MIN);
  const raw = every(now - 48 * HOUR, now, 15_000, (at) => (downAt(at) ? 0 : 1));
  const before = availability7d(raw, now, 45_000)!;
  const thinned = thin(raw.map((p) => ({ series: 'up', ...p })), now);
  t.ok(thinned.length < raw.length / 5, `${raw.length} points thinned to ${thinned.length}`);
  const after = availability7d(thinned, now, 45_000)!;
  t.ok(Math.abs(after - before) < 0.002, `raw ${before.toFixed(4)}, thinned ${after.toFixed(4)}`);
  t.ok(before < 1 && before > 0.95);
});

t.test('a thinned point of 0.25 is a quarter up', async (t) => {
  const obs = upObservations([{ at: now - 30 * HOUR, value: 0.25 }, { at: now - 29 * HOUR, value: 1 }], now, 45_000);
  t.same(obs.slice(0, 3), [
    { at: now - 30 * HOUR, status: 'up' },
    { at: now - 30 * HOUR + 0.25 * HOUR, status: 'down' },
    { at: now - 29 * HOUR, status: 'unknown' },
  ]);
});
