// The WebAssembly pass and order (core/placement/wasm/rank.wat, simd.ts) against the JavaScript loops
// of rank.ts: the same result to the bit on random fleets, large ones with long tie groups, after the
// table changed under the kept copy of its columns, and when an older result's order is read after
// later rankings. The other placement suites run with the module (the default); this one switches.
import t from 'tap';
import fc from 'fast-check';
import { DeviceTable, rankDevices, rankTable, type DeviceSnapshot, type PlacementRequirements } from '../../../../core/placement/index.js';
import { placementOrder } from '../../../../core/placement/rank.js';
import { rankDevicesByObjects } from '../../../../core/placement/reference.js';
import * as simd from '../../../../core/placement/simd.js';
import { useSimd } from '../../../../core/placement/simd.js';
import { RANK_WASM } from '../../../../core/placement/wasm/rank-wasm.js';
import { compileRankWasm } from '../../../../scripts/build-wasm.mjs';
import { fleet, app as benchApp } from '../../../../bench/placement-scale.js';
import { appArb, devicesArb, healthyDevicesArb, modestAppArb } from './arbitraries.js';
import { app, device, GiB, MiB } from './helpers.js';

const seed = Number(process.env.PLACEMENT_SEED ?? 20261127);
const params = { seed, numRuns: 200 };
t.comment(`fast-check seed ${seed}, ${params.numRuns} runs per property`);

/** The result's JSON and its order (rows, totals), ranked by the module or by the JavaScript loops. */
function ranked(simd: boolean, a: PlacementRequirements, table: DeviceTable | readonly DeviceSnapshot[]): string {
  const was = useSimd(simd, 0);
  try {
    const r = table instanceof DeviceTable ? rankTable(a, table) : rankDevices(a, table);
    const o = placementOrder(r);
    return JSON.stringify({ r, rows: Array.from(o.rows), cents: Array.from(o.cents), eligible: o.eligible });
  } finally {
    useSimd(was, 0);
  }
}

// Every table through the module here, however small (rankings use it from 32 rows up).
useSimd(true, 0);

t.test('the committed module is the compiled rank.wat, and this engine runs it', async (t) => {
  t.equal(RANK_WASM, await compileRankWasm(), 'rank-wasm.ts is up to date: run node scripts/build-wasm.mjs after editing rank.wat');
  t.ok(useSimd(true, 0), 'WebAssembly SIMD is available (Node 20): rankings use the module');
});

t.test('the module and the JavaScript loops give the same result', async (t) => {
  fc.assert(
    fc.property(
      fc.oneof(appArb, modestAppArb),
      fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }),
      fc.oneof(devicesArb(15), healthyDevicesArb(15)),
      (base, cpus, ds) => {
        const a = cpus === undefined ? base : { ...base, cpus };
        const simd = ranked(true, a, ds);
        return simd === ranked(false, a, ds) && JSON.stringify(JSON.parse(simd).r) === JSON.stringify(rankDevicesByObjects(a, ds));
      },
    ),
    params,
  );
  t.pass('held');
});

t.test('an order read right after its ranking is made by the module (not the JavaScript fallback)', async (t) => {
  useSimd(true);
  const table = DeviceTable.from(fleet(2_000));
  for (const k of [1, 2]) {
    const before = simd.simdOrders;
    placementOrder(rankTable(benchApp, table));
    t.equal(simd.simdOrders - before, 1, `ranking ${k}: the module's order`);
  }
  // Read after a later ranking: the scratch is that one's, and the JavaScript order is made.
  const older = rankTable(benchApp, table);
  rankTable(benchApp, table);
  const before = simd.simdOrders;
  placementOrder(older);
  t.equal(simd.simdOrders, before, 'an older ranking: the JavaScript order');
  useSimd(true, 0);
});

t.test('the same on the bench fleet of 10,000 devices and a fleet with tie groups past 64 rows', async (t) => {
  const big = fleet(10_000);
  t.equal(ranked(true, benchApp, big), ranked(false, benchApp, big), '10,000 devices, odd and even sizes alike');
  t.equal(ranked(true, benchApp, big.slice(0, 9_999)), ranked(false, benchApp, big.slice(0, 9_999)));
  // 300 identical devices but for RAM: totals tie in groups of 100 (the module leaves groups past 64 to
  // the JavaScript sort) and headroom breaks the ties.
  const same = Array.from({ length: 300 }, (_, i) =>
    device({ id: `d${String(i).padStart(3, '0')}`, memory: { availableBytes: (8 + (i % 3)) * GiB }, storage: { availableBytes: 500 * GiB } }),
  );
  const a = app({ memoryBytes: 256 * MiB });
  t.equal(ranked(true, a, same), ranked(false, a, same));
  t.equal(JSON.stringify(rankDevices(a, same)), JSON.stringify(rankDevicesByObjects(a, same)), 'and the object path agrees');
});

t.test('the kept copy of the columns follows the table: upserts, removals, another table, settings', async (t) => {
  fc.assert(
    fc.property(
      modestAppArb,
      healthyDevicesArb(12).filter((ds) => ds.length > 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 8 * 1024 }), fc.boolean()), { maxLength: 6 }),
      (a, ds, edits) => {
        const table = DeviceTable.from(ds);
        const other = DeviceTable.from(ds.slice(1));
        let current = [...ds];
        const want = (list: readonly DeviceSnapshot[]) => JSON.stringify(rankDevicesByObjects(a, list));
        if (JSON.stringify(rankTable(a, table)) !== want(current)) return false;
        for (const [k, mib, drop] of edits) {
          const d = current[k % current.length]!;
          if (drop && current.length > 1) {
            table.remove(d.id);
            current = current.filter((x) => x !== d);
          } else {
            const changed = { ...d, memory: { ...d.memory, availableBytes: mib * MiB } };
            table.upsert(changed);
            current = current.map((x) => (x === d ? changed : x));
          }
          // Another table in between: the copy is of that one, then of this one again.
          if (JSON.stringify(rankTable(a, other)) !== want(ds.slice(1))) return false;
          if (JSON.stringify(rankTable(a, table)) !== want(current)) return false;
          // Other weights: the kept static scores are worked out again.
          const o = { weights: { cpu: 40 } };
          if (JSON.stringify(rankTable(a, table, o)) !== JSON.stringify(rankDevicesByObjects(a, current, o))) return false;
        }
        return true;
      },
    ),
    params,
  );
  t.pass('held');
});

t.test('rows replaced for an app with its own reservation are restored for the next app', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(12), (a, ds) => {
      const table = DeviceTable.from(ds);
      const apps = [a, { ...a, app: 'immich' }, { ...a, app: 'gitea' }, a];
      return apps.every((x) => JSON.stringify(rankTable(x, table)) === JSON.stringify(rankDevicesByObjects(x, ds)));
    }),
    params,
  );
  t.pass('held');
});

t.test('more changed rows than the table lists: the whole copy is made again', async (t) => {
  const ds = fleet(600);
  const table = DeviceTable.from(ds);
  t.equal(JSON.stringify(rankTable(benchApp, table)), JSON.stringify(rankDevicesByObjects(benchApp, ds)));
  for (const many of [5, 255, 256, 257, 400]) {
    for (let k = 0; k < many; k++) {
      const d = ds[(k * 7) % ds.length]!;
      ds[(k * 7) % ds.length] = { ...d, memory: { ...d.memory, availableBytes: Math.floor(d.memory.availableBytes * 0.9) }, load1: (d.load1 ?? 0) + 0.5 };
      table.upsert(ds[(k * 7) % ds.length]!);
    }
    t.equal(JSON.stringify(rankTable(benchApp, table)), JSON.stringify(rankDevicesByObjects(benchApp, ds)), `${many} rows changed`);
  }
});

t.test('a device turning stale as time passes is seen by the next ranking', async (t) => {
  const now = Date.UTC(2026, 10, 27, 12);
  const ds = [device({ id: 'a', sampledAtMs: now - 10_000 }), device({ id: 'b', sampledAtMs: now - 50_000, memory: { availableBytes: 30 * GiB } })];
  const table = DeviceTable.from(ds);
  const a = app();
  t.equal(rankTable(a, table, { now, freshnessLimitSeconds: 60 }).recommended, 'b');
  t.equal(rankTable(a, table, { now: now + 20_000, freshnessLimitSeconds: 60 }).recommended, 'a', 'b is 70 s old: stale');
});

t.test('an older result read after later rankings gives its own order', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(appArb, modestAppArb), { minLength: 2, maxLength: 4 }), healthyDevicesArb(14), (apps, ds) => {
      const table = DeviceTable.from(ds);
      const results = apps.map((a) => rankTable(a, table));
      return results.every((r, k) => {
        const o = placementOrder(r);
        return (
          JSON.stringify(Array.from(o.rows, (row) => o.ids[row])) === JSON.stringify(rankDevicesByObjects(apps[k]!, ds).candidates.map((c) => c.device))
        );
      });
    }),
    params,
  );
  t.pass('held');
});
