// The devices service's kept placement table: a device whose snapshot is unchanged keeps its row (the
// table does not move), a changed one (figures, an age's second, a cordon, a reservation) is rewritten,
// a device gone is removed; and a ranking over the kept table equals a ranking of the same snapshots.
import t from 'tap';
import { DeviceService, sameValue } from '../../../../core/devices/device-service.js';
import type { Hub } from '../../../../core/hub.js';
import type { MetricsService } from '../../../../core/devices/metrics-service.js';
import { rankDevices } from '../../../../core/placement/index.js';
import { app, device, GiB } from '../placement/helpers.js';

const service = () => new DeviceService({} as Hub, {} as MetricsService, { localDevice: false });
const json = (x: unknown) => JSON.parse(JSON.stringify(x));

t.test('rows follow the snapshots given, rewritten only when they differ', async (t) => {
  const s = service();
  const a = device({ id: 'a', name: 'a' });
  const b = device({ id: 'b', name: 'b', memory: { availableBytes: 4 * GiB } });
  const c = device({ id: 'c', name: 'c', images: ['nginx:1'] });
  let table = s.keptTable([a, b, c]);
  t.equal(table.size, 3);
  const v = table.version;
  // Equal snapshots built anew (as every request builds them): nothing is rewritten.
  table = s.keptTable([json(a), json(b), json(c)]);
  t.equal(table.version, v, 'unchanged devices keep their rows');
  t.equal(table.snapshots[table.row('a')!], a, 'and the snapshot the row was written from');

  // Ages move with time: a row stores its device's age, so a new second is a new row.
  const older = { ...a, metricsAgeSeconds: 11 };
  const cordoned = { ...b, cordoned: true };
  const reserved = { ...c, reservations: [{ app: 'x', memoryBytes: GiB, storageBytes: 0 }] };
  table = s.keptTable([older, cordoned, reserved]);
  t.equal(table.version, v + 3, 'three rows rewritten');
  t.same(json(rankDevices(app({ images: ['nginx:1'] }), table)), json(rankDevices(app({ images: ['nginx:1'] }), [older, cordoned, reserved])), 'the kept table ranks as the snapshots do');

  table = s.keptTable([older, reserved]);
  t.equal(table.size, 2, 'a device gone is removed');
  t.equal(table.row('b'), undefined);
  t.same(json(rankDevices(app(), table)), json(rankDevices(app(), [older, reserved])));

  // The freshness limit judges the stored age: a stale device is disqualified once its age passes it.
  const stale = { ...older, metricsAgeSeconds: 600 };
  table = s.keptTable([stale, reserved]);
  const r = rankDevices(app(), table);
  t.equal(r.candidates.find((x) => x.device === 'a')?.eligible, false, 'the new age is judged');
  t.same(json(r), json(rankDevices(app(), [stale, reserved])));
});

t.test('sameValue compares snapshots as JSON would', async (t) => {
  t.ok(sameValue({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }), 'key order does not matter');
  t.ok(sameValue({ a: 1, b: undefined }, { a: 1 }), 'an undefined key is an absent one');
  t.notOk(sameValue({ a: 1 }, { a: 1, b: 2 }), 'an extra key differs');
  t.notOk(sameValue([1, 2], [2, 1]), 'list order matters');
  t.notOk(sameValue({ a: null }, { a: 0 }));
  t.notOk(sameValue([], {}));
  t.ok(sameValue(NaN, NaN));
});

t.test('rows that give their sample time are kept while no new sample comes, however old it gets', async (t) => {
  const s = service();
  const at = Date.now() - 20_000;
  const a = device({ id: 'a', name: 'a', metricsAgeSeconds: 20, sampledAtMs: at });
  const b = device({ id: 'b', name: 'b', metricsAgeSeconds: 20, sampledAtMs: at });
  let table = s.keptTable([a, b]);
  const v = table.version;
  // A second placement with no new sample: each request works the ages out anew, seconds later.
  table = s.keptTable([{ ...json(a), metricsAgeSeconds: 23 }, { ...json(b), metricsAgeSeconds: 24 }]);
  t.equal(table.version, v, 'no row rewritten');
  t.same(json(rankDevices(app(), table, { now: at + 24_000 })), json(rankDevices(app(), [{ ...a, metricsAgeSeconds: 24 }, { ...b, metricsAgeSeconds: 24 }])), 'ages judged at ranking time');
  // A new sample on one device rewrites its row only; a figure changing with the same sample does too.
  table = s.keptTable([{ ...a, sampledAtMs: at + 5_000 }, b]);
  t.equal(table.version, v + 1, 'a new sample rewrites its row');
  table = s.keptTable([{ ...a, sampledAtMs: at + 5_000 }, { ...b, cordoned: true }]);
  t.equal(table.version, v + 2, 'so does any other change');
  // Without a sample time the age is the row's: a new second is a new row, as before.
  const c = device({ id: 'c', name: 'c', metricsAgeSeconds: 20 });
  table = s.keptTable([{ ...a, sampledAtMs: at + 5_000 }, { ...b, cordoned: true }, c]);
  const w = table.version;
  table = s.keptTable([{ ...a, sampledAtMs: at + 5_000 }, { ...b, cordoned: true }, { ...c, metricsAgeSeconds: 21 }]);
  t.equal(table.version, w + 1, 'a row without a sample time is rewritten when its age moves');
});
