import t from 'tap';
import fc from 'fast-check';
import { DEFAULT_THINNING, thin, thinningPlan, type SeriesPoint } from '../../../../core/metrics/thinning.js';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
// An instant that is not aligned to anything, to catch boundary mistakes.
const NOW = 1_732_581_220_123;

t.test('plan: raw for an hour, minutes for a day, hours for 30 days, boundaries aligned', async (t) => {
  const p = thinningPlan(NOW);
  t.ok(p.rawFrom <= NOW - H && p.rawFrom > NOW - H - MIN && p.rawFrom % MIN === 0);
  t.equal(p.tiers[0]!.bucketMs, MIN);
  t.equal(p.tiers[0]!.to, p.rawFrom);
  t.equal(p.tiers[1]!.to, p.tiers[0]!.from);
  t.ok(p.tiers[0]!.from % H === 0 && p.tiers[0]!.from <= NOW - D && p.tiers[0]!.from > NOW - D - H);
  t.equal(p.tiers[1]!.from, p.dropBefore);
  t.ok(p.dropBefore % H === 0 && p.dropBefore <= NOW - 30 * D);
});

t.test('a day of 10-second points thins as described', async (t) => {
  const pts: SeriesPoint[] = [];
  for (let at = NOW - 40 * D, i = 0; at <= NOW; at += 10_000, i++) pts.push({ series: 'pi/cpu', value: i % 2, at });
  const out = thin(pts, NOW);
  const plan = thinningPlan(NOW);
  const raw = out.filter((p) => p.at >= plan.rawFrom);
  const minutes = out.filter((p) => p.at >= plan.tiers[0]!.from && p.at < plan.rawFrom);
  const hours = out.filter((p) => p.at < plan.tiers[0]!.from);
  t.equal(raw.length, pts.filter((p) => p.at >= plan.rawFrom).length, 'the last hour stays raw');
  t.equal(minutes.length, (plan.rawFrom - plan.tiers[0]!.from) / MIN, 'one point a minute for the rest of the day');
  t.ok(minutes.every((p) => p.at % MIN === 0 && p.value === 0.5), 'minute points are averages at the minute');
  t.equal(hours.length, (plan.tiers[0]!.from - plan.dropBefore) / H, 'one point an hour back to 30 days');
  t.ok(out.every((p) => p.at >= plan.dropBefore), 'nothing older than 30 days');
});

t.test('series are never mixed', async (t) => {
  const at = NOW - 2 * H;
  const out = thin([{ series: 'a', value: 1, at }, { series: 'b', value: 3, at: at + 1 }], NOW);
  t.same(out.map((p) => [p.series, p.value]), [['a', 1], ['b', 3]]);
});

t.test('property: thinning twice at the same instant changes nothing', async (t) => {
  const point = fc.record({ series: fc.constantFrom('a', 'b'), value: fc.integer({ min: 0, max: 1000 }), at: fc.integer({ min: NOW - 31 * D, max: NOW }) });
  fc.assert(
    fc.property(fc.array(point, { maxLength: 300 }), (pts) => {
      const once = thin(pts, NOW);
      const twice = thin(once, NOW);
      return JSON.stringify(once) === JSON.stringify(twice);
    }),
  );
});

t.test('property: thinning never adds points and keeps each series\' range of values', async (t) => {
  const point = fc.record({ series: fc.constant('a'), value: fc.integer({ min: -50, max: 50 }), at: fc.integer({ min: NOW - 31 * D, max: NOW }) });
  fc.assert(
    fc.property(fc.array(point, { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 40 * D }), (pts, later) => {
      const out = thin(pts, NOW + later);
      const min = Math.min(...pts.map((p) => p.value));
      const max = Math.max(...pts.map((p) => p.value));
      return out.length <= pts.length && out.every((p) => p.value >= min - 1e-9 && p.value <= max + 1e-9);
    }),
  );
});

t.test('bad policies are refused', async (t) => {
  t.throws(() => thinningPlan(NOW, { tiers: [{ olderThanMs: H, bucketMs: 7 * MIN }, { olderThanMs: D, bucketMs: H }], keepForMs: 30 * D }), RangeError);
  t.throws(() => thinningPlan(NOW, { tiers: DEFAULT_THINNING.tiers, keepForMs: H }), RangeError);
});
