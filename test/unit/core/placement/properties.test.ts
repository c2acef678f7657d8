// Properties of rankDevices over generated labs. The seed is fixed so that a failure reproduces; set
// PLACEMENT_SEED to explore others. fast-check prints the seed and the shrunk counterexample on failure.
import t from 'tap';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { rankDevices, type DeviceSnapshot } from '../../../../core/placement/index.js';
import { appArb, deviceBody, devicesArb } from './arbitraries.js';
import { MiB } from './helpers.js';

const seed = Number(process.env.PLACEMENT_SEED ?? 20261127);
const params = { seed, numRuns: 200 };
t.comment(`fast-check seed ${seed}, ${params.numRuns} runs per property`);

const order = (ids: readonly string[], keep: ReadonlySet<string>): string[] => ids.filter((id) => keep.has(id));

t.test('shuffling the devices never changes the result', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(12).chain((ds) => fc.tuple(fc.constant(ds), fc.shuffledSubarray(ds, { minLength: ds.length, maxLength: ds.length }))), (app, [ds, shuffled]) => {
      // Candidates explain themselves when read: compare the objects and their full JSON.
      const a = rankDevices(app, shuffled);
      const b = rankDevices(app, ds);
      return isDeepStrictEqual(a, b) && JSON.stringify(a) === JSON.stringify(b);
    }),
    params,
  );
  t.pass('held');
});

t.test('adding a device never reorders the others or changes their scores', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(10), deviceBody, (app, ds, extraBody) => {
      const extra = { id: 'zz-extra-device', ...extraBody } as DeviceSnapshot;
      const before = rankDevices(app, ds);
      const after = rankDevices(app, [...ds, extra]);
      const ids = new Set(ds.map((d) => d.id));
      if (JSON.stringify(order(after.candidates.map((c) => c.device), ids)) !== JSON.stringify(before.candidates.map((c) => c.device))) return false;
      const scores = (r: typeof before): string => JSON.stringify(r.candidates.filter((c) => ids.has(c.device)).map((c) => [c.device, c.total, c.criteria, c.reasons]));
      return scores(after) === scores(before);
    }),
    params,
  );
  t.pass('held');
});

t.test('more free RAM never lowers a score nor loses eligibility', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(6).filter((ds) => ds.length > 0), fc.nat(), fc.integer({ min: 1, max: 16 * 1024 }), (app, ds, pick, extraMiB) => {
      const i = pick % ds.length;
      const d = ds[i]!;
      const richer = { ...d, memory: { ...d.memory, availableBytes: d.memory.availableBytes + extraMiB * MiB } };
      const find = (r: ReturnType<typeof rankDevices>) => r.candidates.find((c) => c.device === d.id)!;
      const a = find(rankDevices(app, ds));
      const b = find(rankDevices(app, ds.map((x, j) => (j === i ? richer : x))));
      if (b.criteria.ram.score < a.criteria.ram.score) return false;
      if (a.eligible && !b.eligible) return false;
      if (a.eligible && b.total! < a.total!) return false;
      return b.reasons.length <= a.reasons.length;
    }),
    params,
  );
  t.pass('held');
});

t.test('a disqualified device is never recommended, something eligible always is, and a tie-break is stated exactly when the top two tie', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(12), (app, ds) => {
      const r = rankDevices(app, ds);
      const eligible = r.candidates.filter((c) => c.eligible);
      if (r.recommended === null) return eligible.length === 0 && r.candidates.every((c) => c.reasons.length > 0);
      const rec = r.candidates.find((c) => c.device === r.recommended)!;
      const [first, second] = r.candidates;
      const tied = second !== undefined && second.eligible && second.total === first!.total;
      if ((r.tieBreak !== null) !== tied) return false;
      return rec.eligible && rec.reasons.length === 0 && first === rec && r.suggestions.length === 0;
    }),
    params,
  );
  t.pass('held');
});

t.test('contributions sum to the total, each near its score·weight share; scores and totals stay within 0–100; best first, disqualified last by fewest reasons', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(12), (app, ds) => {
      const r = rankDevices(app, ds);
      let prev = Infinity;
      let seenDisqualified = false;
      let prevReasons = 0;
      for (const c of r.candidates) {
        const crit = Object.values(c.criteria);
        if (crit.some((x) => x.score < 0 || x.score > 100)) return false;
        if (!c.eligible) {
          seenDisqualified = true;
          if (c.total !== null || c.reasons.length === 0 || c.reasons.length < prevReasons) return false;
          prevReasons = c.reasons.length;
          continue;
        }
        if (seenDisqualified) return false;
        const sum = crit.reduce((s, x) => s + x.contribution, 0);
        if (Math.abs(sum - c.total!) > 1e-9 || c.total! < 0 || c.total! > 100) return false;
        // Scores are shown to hundredths and contributions apportioned to the total's hundredths: each
        // is within a hundredth of its exact share, so within 0.015 of the shown score's share.
        const weightSum = Object.values(r.weights).reduce((s, w) => s + w, 0);
        if (crit.some((x) => Math.abs(x.contribution - (x.score * x.weight) / weightSum) > 0.015 + 1e-9)) return false;
        if (c.total! > prev) return false;
        prev = c.total!;
      }
      return true;
    }),
    params,
  );
  t.pass('held');
});
