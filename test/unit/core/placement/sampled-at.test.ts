// Devices that give the time of their newest sample (sampledAtMs) instead of its age: a ranking at time
// `now` must give what the reference gives for the same devices with the age they have at `now`, for a
// table built afresh and for a kept table ranked again and again as time passes (the table keeps its
// stale flags between rankings only while no fresh row can turn stale).
import t from 'tap';
import fc from 'fast-check';
import { rankDevicesByObjects } from '../../../../core/placement/reference.js';
import { DeviceTable, placementOrder, rankDevices, rankTable, type DeviceSnapshot, type PlacementOptions } from '../../../../core/placement/index.js';
import { appArb, deviceBody, devicesArb, healthyDevicesArb, modestAppArb } from './arbitraries.js';
import { app, device, GiB } from './helpers.js';

const seed = Number(process.env.PLACEMENT_SEED ?? 20261127);
const params = { seed, numRuns: 300 };
t.comment(`fast-check seed ${seed}, ${params.numRuns} runs per property`);

const T0 = Date.UTC(2026, 10, 27, 12);

/** The device as a snapshot file gives it at `now`: its age then, as device-service computes it. */
const aged = (d: DeviceSnapshot, now: number): DeviceSnapshot => {
  if (d.sampledAtMs === undefined) return d;
  const { sampledAtMs, ...rest } = d;
  return { ...rest, metricsAgeSeconds: Math.max(0, Math.round((now - sampledAtMs) / 1000)) };
};

/** Sample times around the freshness limits the tests use, to the millisecond (half-second rounding included). */
const offsetArb = fc.oneof(
  fc.integer({ min: -5_000, max: 500_000 }),
  fc.constantFrom(1, 30, 90, 200).chain((s) => fc.integer({ min: s * 1000 - 1500, max: s * 1000 + 1500 })),
);

/** Each device either keeps its metricsAgeSeconds or gives a sample time `offset` ms before `now` instead (its age field then says something else). */
const withSamples = (ds: DeviceSnapshot[]): fc.Arbitrary<DeviceSnapshot[]> =>
  fc.tuple(...ds.map(() => fc.option(offsetArb, { nil: undefined }))).map((offsets) =>
    ds.map((d, k) => (offsets[k] === undefined ? d : { ...d, sampledAtMs: T0 - offsets[k]!, metricsAgeSeconds: 9999 })),
  );

t.test('a device with a sample time ranks as the same device with its age at the ranking time', async (t) => {
  let stale = 0;
  fc.assert(
    fc.property(
      appArb,
      devicesArb(12).chain(withSamples),
      fc.constantFrom(1, 30, 90, 200),
      fc.integer({ min: -2_000, max: 400_000 }),
      (a, ds, limit, later) => {
        const now = T0 + later;
        const o: PlacementOptions = { freshnessLimitSeconds: limit, now };
        const want = rankDevicesByObjects(a, ds.map((d) => aged(d, now)), { freshnessLimitSeconds: limit });
        stale += want.candidates.filter((c) => c.reasons.some((r) => r.code === 'METRICS_STALE')).length;
        const wantJson = JSON.stringify(want);
        return JSON.stringify(rankDevices(a, ds, o)) === wantJson && JSON.stringify(rankTable(a, DeviceTable.from(ds), o)) === wantJson;
      },
    ),
    params,
  );
  t.ok(stale > 0, `covered ${stale} stale devices`);
});

t.test('a kept table ranked as time passes, with devices sampled again in between, ranks as the reference', async (t) => {
  const step = fc.oneof(
    // Time passes, then a ranking (sometimes under another freshness limit).
    fc.tuple(fc.constant('rank' as const), fc.integer({ min: 0, max: 60_000 }), fc.constantFrom(undefined, 1, 30, 90)),
    // A new sample of a device, up to 2 s old when it arrives (or its age instead).
    fc.tuple(fc.constant('sample' as const), fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.option(fc.integer({ min: 0, max: 2_000 }), { nil: undefined })),
    fc.tuple(fc.constant('upsert' as const), fc.constantFrom('a', 'b', 'c', 'd', 'e'), deviceBody),
    fc.tuple(fc.constant('remove' as const), fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.constant(undefined)),
    // The clock of a caller may step back.
    fc.tuple(fc.constant('rewind' as const), fc.integer({ min: 0, max: 120_000 }), fc.constant(undefined)),
  );
  let crossings = 0;
  fc.assert(
    fc.property(
      fc.oneof(appArb, modestAppArb),
      healthyDevicesArb(6).chain(withSamples),
      fc.array(step, { maxLength: 30 }),
      (a, start, steps) => {
        let now = T0;
        const kept = DeviceTable.from(start);
        let before = -1;
        for (const [what, x, y] of steps) {
          if (what === 'sample') {
            const row = kept.row(x);
            if (row === undefined) continue;
            const d = kept.snapshots[row]!;
            kept.upsert(y === undefined ? { ...d, sampledAtMs: undefined, metricsAgeSeconds: 3 } : { ...d, sampledAtMs: now - y });
          } else if (what === 'upsert') kept.upsert({ id: x, ...(y as object) } as DeviceSnapshot);
          else if (what === 'remove') kept.remove(x);
          else if (what === 'rewind') now -= x;
          else {
            now += x;
            const o: PlacementOptions = { now, ...(y !== undefined ? { freshnessLimitSeconds: y } : {}) };
            const rows = kept.snapshots.slice(0, kept.size);
            const want = rankDevicesByObjects(a, rows.map((d) => aged(d, now)), y !== undefined ? { freshnessLimitSeconds: y } : {});
            const eligible = want.candidates.filter((c) => c.eligible).length;
            if (before >= 0 && eligible !== before) crossings++;
            before = eligible;
            const r = rankTable(a, kept, o);
            if (JSON.stringify(r) !== JSON.stringify(want)) return false;
            if (placementOrder(r).eligible !== eligible) return false;
          }
        }
        return true;
      },
    ),
    params,
  );
  t.ok(crossings > 0, `covered ${crossings} rankings where devices turned stale or fresh between two rankings`);
});

t.test('the reasons and suggestions count the age to the ranking time', async (t) => {
  const table = DeviceTable.from([device({ id: 'a', sampledAtMs: T0 - 12_400, metricsAgeSeconds: null })]);
  t.equal(rankTable(app(), table, { now: T0 }).recommended, 'a');
  const short = rankTable(app({ memoryBytes: 9 * GiB }), table, { now: T0 });
  t.match(short.candidates[0]!.reasons[0]!.message, /^RAM: .*sampled 12 s ago/, 'the RAM reason says when the figure was sampled');
  // The same row, unchanged, ranked 100 s later: stale, and the suggestion names its age.
  const v = table.version;
  const stale = rankTable(app(), table, { now: T0 + 100_000 });
  t.equal(table.version, v);
  t.equal(stale.recommended, null);
  t.match(stale.candidates[0]!.reasons[0]!.message, /last sample 112 s ago, older than the 90 s limit/);
  t.match(JSON.stringify(stale.suggestions), /last sample 112 s ago/);
  // The age is rounded to the second as device-service rounds it: 90.499 s is 90 s (fresh), 90.5 s is 91 s.
  t.equal(rankTable(app(), table, { now: T0 - 12_400 + 90_499 }).recommended, 'a');
  t.equal(rankTable(app(), table, { now: T0 - 12_400 + 90_500 }).recommended, null);
  t.equal(rankTable(app(), table, { now: T0 - 12_400 + 90_499 }).recommended, 'a', 'a clock stepped back');
  t.throws(() => rankDevices(app(), [device()], { now: Number.NaN }), /options\/now/);
});

t.test('without sample times the result does not depend on now', async (t) => {
  fc.assert(
    fc.property(modestAppArb, healthyDevicesArb(8), fc.integer(), (a, ds, now) => JSON.stringify(rankDevices(a, ds, { now })) === JSON.stringify(rankDevicesByObjects(a, ds))),
    { seed, numRuns: 100 },
  );
  t.pass('held');
});
