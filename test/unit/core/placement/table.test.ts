// The columnar path (DeviceTable, rankTable, candidates explained when read) against the object path it
// replaced (reference.ts: every device measured and explained from its snapshot object, eagerly): the
// same JSON for random fleets, whatever the order in which a result is read, and for a table kept
// through upserts and removals.
import t from 'tap';
import fc from 'fast-check';
import v8 from 'node:v8';
import vm from 'node:vm';
import { rankDevicesByObjects } from '../../../../core/placement/reference.js';
import { DeviceTable, rankDevices, rankTable, type DeviceSnapshot, type PlacementOptions } from '../../../../core/placement/index.js';
import { placementOrder } from '../../../../core/placement/rank.js';
import { appArb, deviceBody, devicesArb, healthyDevicesArb, modestAppArb } from './arbitraries.js';
import { app, device, GiB, MiB } from './helpers.js';

const seed = Number(process.env.PLACEMENT_SEED ?? 20261127);
const params = { seed, numRuns: 300 };
t.comment(`fast-check seed ${seed}, ${params.numRuns} runs per property`);

const optionsArb: fc.Arbitrary<PlacementOptions> = fc.record(
  {
    weights: fc.record({ ram: fc.integer({ min: 0, max: 50 }), storage: fc.integer({ min: 0, max: 50 }), cpu: fc.integer({ min: 1, max: 50 }) }, { requiredKeys: [] }),
    freshnessLimitSeconds: fc.integer({ min: 1, max: 400 }),
    curves: fc.record({ ram: fc.record({ headroomFactor: fc.constantFrom(0.5, 1, 2, 3) }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

t.test('the table path gives the JSON of the object path', async (t) => {
  fc.assert(
    fc.property(appArb, devicesArb(14), optionsArb, (a, ds, o) => {
      const want = JSON.stringify(rankDevicesByObjects(a, ds, o));
      return JSON.stringify(rankDevices(a, ds, o)) === want && JSON.stringify(rankTable(a, DeviceTable.from(ds), o)) === want;
    }),
    params,
  );
  t.pass('held');
});

t.test('the same JSON on mostly healthy fleets (eligible orders, ties, largest-app warnings)', async (t) => {
  let warned = 0;
  let tied = 0;
  fc.assert(
    fc.property(modestAppArb, healthyDevicesArb(16), (a, ds) => {
      const want = rankDevicesByObjects(a, ds);
      if (want.warnings.some((w) => w.code === 'LARGEST_APP_HOMELESS')) warned++;
      if (want.tieBreak !== null) tied++;
      return JSON.stringify(rankDevices(a, ds)) === JSON.stringify(want);
    }),
    { ...params, numRuns: 600 },
  );
  t.ok(warned > 0 && tied > 0, `covered ${warned} largest-app warnings and ${tied} tie-breaks`);
});

const fields = ['device', 'name', 'eligible', 'total', 'criteria', 'reasons', 'headroomBytes', 'imagesPresent', 'databases', 'notes'] as const;

t.test('reading candidates lazily, in any order, gives the values of the eager result', async (t) => {
  fc.assert(
    fc.property(
      appArb,
      devicesArb(10).filter((ds) => ds.length > 0),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(...fields)), { minLength: 1, maxLength: 40 }),
      (a, ds, reads) => {
        const want = JSON.parse(JSON.stringify(rankDevicesByObjects(a, ds))) as { candidates: Record<string, unknown>[] };
        const r = rankDevices(a, ds);
        for (const [k, field] of reads) {
          const i = k % ds.length;
          const got = JSON.stringify((r.candidates[i] as unknown as Record<string, unknown>)[field]);
          if (got !== JSON.stringify(want.candidates[i]![field])) return false;
        }
        return JSON.stringify(r) === JSON.stringify(want);
      },
    ),
    params,
  );
  t.pass('held');
});

t.test('a kept table updated row by row ranks as a table built afresh', async (t) => {
  const change = fc.oneof(
    fc.tuple(fc.constant('upsert' as const), fc.constantFrom('a', 'b', 'c', 'd', 'e'), deviceBody),
    fc.tuple(fc.constant('remove' as const), fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.constant(null)),
  );
  fc.assert(
    fc.property(appArb, fc.array(change, { maxLength: 25 }), (a, changes) => {
      const kept = new DeviceTable();
      const live = new Map<string, DeviceSnapshot>();
      let last = '';
      for (const [what, id, body] of changes) {
        if (what === 'upsert') {
          const d = { id, ...body } as DeviceSnapshot;
          kept.upsert(d);
          live.set(id, d);
        } else {
          kept.remove(id);
          live.delete(id);
        }
        // Rank between changes too, so that cached orders and indexes are exercised.
        last = JSON.stringify(rankTable(a, kept));
      }
      if (kept.size !== live.size) return false;
      // The same rows in the kept table's order (ties of the largest-app warning go to the first row).
      const rows = kept.snapshots.slice(0, kept.size);
      if (!rows.every((d) => live.get(d.id) === d)) return false;
      const want = JSON.stringify(rankDevicesByObjects(a, rows));
      return (changes.length === 0 || last === want) && JSON.stringify(rankTable(a, kept)) === want;
    }),
    params,
  );
  t.pass('held');
});

t.test('the largest installed app, kept through upserts, is the one a table built afresh finds', async (t) => {
  // Apps and reservations of a few ids and sizes, so that equal figures and the placed app's own id occur.
  const body = deviceBody.chain((b) =>
    fc
      .record({
        apps: fc.array(fc.record({ id: fc.constantFrom('grafana', 'music', 'app'), memoryBytes: fc.constantFrom(0, 1, 2, 3).map((m) => m * GiB), storageBytes: fc.constant(0) }), { maxLength: 2 }),
        reservations: fc.array(fc.record({ app: fc.constantFrom('immich', 'app'), memoryBytes: fc.constantFrom(0, 2, 3).map((m) => m * GiB), storageBytes: fc.constant(0) }), { maxLength: 1 }),
      })
      .map((x) => ({ ...b, ...x })),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), body), { maxLength: 30 }), (changes) => {
      const kept = new DeviceTable();
      for (const [id, b] of changes) {
        kept.upsert({ id, ...b } as DeviceSnapshot);
        // Ask between changes, so that kept answers are brought up to date rather than worked out afresh.
        for (const app of ['app', 'music', undefined]) kept.largestApp(app);
      }
      const fresh = DeviceTable.from(kept.snapshots.slice(0, kept.size));
      return ['app', 'music', 'grafana', undefined].every((app) => JSON.stringify(kept.largestApp(app)) === JSON.stringify(fresh.largestApp(app)));
    }),
    { ...params, numRuns: 500 },
  );
  t.pass('held');
});

t.test('a result describes the table as it was when ranked', async (t) => {
  const table = DeviceTable.from([device({ id: 'a' }), device({ id: 'b', memory: { availableBytes: 2 * GiB } })]);
  const r = rankTable(app(), table);
  const before = JSON.stringify(rankDevicesByObjects(app(), table.snapshots.slice(0, 2)));
  table.upsert(device({ id: 'a', online: false }));
  table.remove('b');
  table.upsert(device({ id: 'c' }));
  t.equal(JSON.stringify(r), before, 'candidates read after the table changed still describe the old rows');
  t.equal(r.candidates[0]!.device, 'a');
  t.same(r.candidates[0]!.reasons, []);
  const now = rankTable(app(), table);
  t.same(now.candidates.map((c) => [c.device, c.eligible]), [['c', true], ['a', false]]);
});

t.test('DeviceTable keeps rows by id', async (t) => {
  const table = new DeviceTable();
  t.equal(table.size, 0);
  t.equal(rankTable(app(), table).warnings[0]?.code, 'NO_DEVICES');
  const a = device({ id: 'a', reservations: [{ app: 'app', memoryBytes: 7 * GiB, storageBytes: 0 }] });
  table.upsert(a);
  table.upsert(device({ id: 'b' }));
  const v = table.version;
  table.upsert(a);
  t.equal(table.version, v, 'the same snapshot again changes nothing');
  t.equal(table.row('b'), 1);
  // Its own reservation does not count against the app being placed; another app's does.
  t.equal(rankTable(app(), table).candidates.find((c) => c.device === 'a')!.eligible, true);
  t.equal(rankTable(app({ app: 'other', memoryBytes: 2 * GiB }), table).candidates.find((c) => c.device === 'a')!.eligible, false);
  t.ok(table.remove('a'));
  t.notOk(table.remove('a'), 'removing twice');
  t.equal(table.row('b'), 0, 'the last row moves into the hole');
  table.sync([device({ id: 'z' }), device({ id: 'y' })]);
  t.same([...table.idOrder()].map((i) => table.ids[i]), ['y', 'z']);
  t.equal(table.size, 2);
  t.equal(rankTable(app(), table).recommended, 'y', 'equal devices: the lower id');
  t.match(rankTable(app({ memoryBytes: 512 * MiB }), table).tieBreak, /^2 devices tie at .* with equal RAM headroom and images present; device id: y sorts before z$/);
});

t.test('lists that join alike are still told apart', async (t) => {
  const a = device({ id: 'a', listeningPorts: ['8080/tcp\n53/udp'], devicePaths: ['/dev/dri'] });
  const b = device({ id: 'b', listeningPorts: ['8080/tcp', '53/udp'], devicePaths: ['/dev/dri\n/dev/x'] });
  const table = DeviceTable.from([a, b]);
  const r = rankTable(app({ ports: ['53/udp'], devicePaths: [{ path: '/dev/dri' }] }), table);
  t.same(r.candidates.map((c) => [c.device, c.reasons.map((x) => x.code)]), [['a', []], ['b', ['DEVICE_PATH', 'PORT']]]);
});

t.test('a kept table whose settings change between rankings ranks as a table built afresh', async (t) => {
  // Everything the table keeps per row for the last settings: the weights, the CPU, load and
  // reliability curves, and the freshness limit (stale rows).
  const settingsArb: fc.Arbitrary<PlacementOptions> = fc.record(
    {
      weights: fc.record(
        { ram: fc.integer({ min: 0, max: 50 }), storage: fc.integer({ min: 0, max: 50 }), cpu: fc.integer({ min: 1, max: 50 }), load: fc.integer({ min: 0, max: 50 }), reliability: fc.integer({ min: 0, max: 50 }) },
        { requiredKeys: [] },
      ),
      freshnessLimitSeconds: fc.constantFrom(1, 30, 90, 200, 400),
      curves: fc.record(
        {
          cpu: fc.record({ reference: fc.constantFrom(1, 4, 16), unknownPerCoreScore: fc.constantFrom(0, 0.5, 2) }, { requiredKeys: [] }),
          load: fc.record({ perCoreCapacity: fc.constantFrom(0.5, 1, 2), unknownScore: fc.constantFrom(0, 50, 77.7, 100) }, { requiredKeys: [] }),
          reliability: fc.record({ unknownScore: fc.constantFrom(0, 50, 33.3, 100) }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );
  const step = fc.oneof(
    fc.tuple(fc.constant('upsert' as const), fc.constantFrom('a', 'b', 'c', 'd', 'e'), deviceBody),
    // Mostly healthy devices (eligible rows show their totals), under another id.
    fc.tuple(fc.constant('upsert' as const), fc.constantFrom('a', 'b', 'c', 'd', 'e'), healthyDevicesArb(1).filter((l) => l.length === 1).map(([d]) => d!)),
    fc.tuple(fc.constant('remove' as const), fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.constant(null)),
    fc.tuple(fc.constant('rank' as const), settingsArb, fc.constant(null)),
    // The defaults again and again: rows changed in between must be recomputed under kept settings.
    fc.tuple(fc.constant('rank' as const), fc.constant({}), fc.constant(null)),
  );
  fc.assert(
    fc.property(modestAppArb, healthyDevicesArb(8), fc.array(step, { maxLength: 20 }), (a, start, steps) => {
      const kept = DeviceTable.from(start);
      const rows = (): DeviceSnapshot[] => kept.snapshots.slice(0, kept.size);
      for (const [what, x, body] of steps) {
        if (what === 'upsert') kept.upsert({ ...body, id: x } as DeviceSnapshot);
        else if (what === 'remove') kept.remove(x);
        else {
          const got = JSON.stringify(rankTable(a, kept, x));
          if (got !== JSON.stringify(rankTable(a, DeviceTable.from(rows()), x))) return false;
          if (got !== JSON.stringify(rankDevicesByObjects(a, rows(), x))) return false;
        }
      }
      return true;
    }),
    params,
  );
  t.pass('held');
});

t.test('placementOrder is the order of the candidate list', async (t) => {
  fc.assert(
    fc.property(fc.oneof(appArb, modestAppArb), fc.oneof(devicesArb(12), healthyDevicesArb(12)), (a, ds) => {
      const r = rankDevices(a, ds);
      const o = placementOrder(r);
      const want = r.candidates.map((c) => c.device);
      const got = Array.from(o.rows, (row) => o.ids[row]!);
      const eligible = r.candidates.filter((c) => c.eligible).length;
      const totals = Array.from(o.rows.subarray(0, o.eligible), (row) => o.cents[row]! / 100);
      return JSON.stringify(got) === JSON.stringify(want) && o.eligible === eligible && JSON.stringify(totals) === JSON.stringify(r.candidates.slice(0, eligible).map((c) => c.total));
    }),
    params,
  );
  t.throws(() => placementOrder({} as ReturnType<typeof rankDevices>), /not a result/);
});

t.test('more reasons than the histogram counts: the general sort gives the same order', async (t) => {
  // 70 ports taken is 70 reasons, past the 64 reason counts the pass keeps.
  const ports = Array.from({ length: 70 }, (_, k) => `${1000 + k}/tcp`);
  const ds = [
    device({ id: 'a', listeningPorts: ports }),
    device({ id: 'b', listeningPorts: ports.slice(0, 65) }),
    device({ id: 'c', listeningPorts: ports.slice(0, 2), online: false }),
    device({ id: 'd' }),
    device({ id: 'e', memory: { availableBytes: 4 * GiB } }),
  ];
  const r = rankDevices(app({ ports }), ds);
  t.equal(JSON.stringify(r), JSON.stringify(rankDevicesByObjects(app({ ports }), ds)));
  t.same(r.candidates.map((c) => c.device), ['d', 'e', 'c', 'b', 'a']);
});

t.test('results alive at once keep their figures while collected rankings give their buffers to new ones', async (t) => {
  // A collected ranking's column buffer is reused by a later one: force collections between rankings
  // so that reuse happens, and check every result still alive against the object path.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  await fc.assert(
    fc.asyncProperty(fc.array(modestAppArb, { minLength: 2, maxLength: 4 }), healthyDevicesArb(12), async (apps, ds) => {
      const table = DeviceTable.from(ds);
      const alive: { result: ReturnType<typeof rankTable>; want: string }[] = [];
      for (const a of apps) {
        // Rankings dropped at once, then collected: their buffers become free.
        for (let k = 0; k < 3; k++) rankTable(apps[(k + alive.length) % apps.length]!, table);
        gc();
        await new Promise((resolve) => setImmediate(resolve));
        alive.push({ result: rankTable(a, table), want: JSON.stringify(rankDevicesByObjects(a, ds)) });
      }
      return alive.every(({ result, want }) => JSON.stringify(result) === want);
    }),
    { seed, numRuns: 25 },
  );
  // Any apps and fleets (own reservations, databases, disqualified rows): each older result is read
  // (order, then JSON) only after later rankings of the same table.
  fc.assert(
    fc.property(fc.array(appArb, { minLength: 2, maxLength: 4 }), devicesArb(12), (apps, ds) => {
      const table = DeviceTable.from(ds);
      const results = apps.map((a) => rankTable(a, table));
      return results.every((r, k) => {
        const o = placementOrder(r);
        const ids = Array.from(o.rows, (row) => o.ids[row]);
        return JSON.stringify(ids) === JSON.stringify(r.candidates.map((c) => c.device)) && JSON.stringify(r) === JSON.stringify(rankDevicesByObjects(apps[k]!, ds));
      });
    }),
    params,
  );
  t.pass('held');
});
