import t from 'tap';
import { rankDevices, ReservationLedger } from '../../../../core/placement/index.js';
import { app, device, GiB, MiB } from './helpers.js';

t.test('two installs a second apart do not both land on the emptiest device', async (t) => {
  const snapshot = { devices: [device({ id: 'big', memory: { availableBytes: 6 * GiB } }), device({ id: 'mid', memory: { availableBytes: 5 * GiB } })] };
  const first = app({ app: 'immich', memoryBytes: 2 * GiB });
  const second = app({ app: 'jellyfin', memoryBytes: 2 * GiB });
  let ledger = new ReservationLedger();
  const r1 = rankDevices(first, ledger.applyTo(snapshot).devices);
  t.equal(r1.recommended, 'big');
  ledger = ledger.reserve('big', 'immich', { memoryBytes: 2 * GiB, storageBytes: 0 }, 1000);
  const r2 = rankDevices(second, ledger.applyTo(snapshot).devices);
  t.equal(r2.recommended, 'mid', 'big now has 4 GiB left against mid\'s 5 GiB');
  t.equal(rankDevices(second, snapshot.devices).recommended, 'big', 'without the ledger both would go to big');
});

t.test('reserve, release, settle and applyTo are pure', async (t) => {
  const empty = new ReservationLedger();
  const one = empty.reserve('nuc', 'gitea', { memoryBytes: 256 * MiB, storageBytes: 1 * GiB }, 5);
  t.same(empty.entries, [], 'the original is unchanged');
  t.same(one.entries, [{ deviceId: 'nuc', app: 'gitea', memoryBytes: 256 * MiB, storageBytes: 1 * GiB, at: 5 }]);

  const moved = one.reserve('nas', 'gitea', { memoryBytes: 300 * MiB, storageBytes: 0 }, 6);
  t.same(moved.entries.map((e) => e.deviceId), ['nas'], 'an app holds one reservation');

  const two = moved.reserve('nas', 'immich', { memoryBytes: 2 * GiB, storageBytes: 0 }, 7);
  t.same(two.release('gitea').entries.map((e) => e.app), ['immich']);
  t.equal(two.release('nobody'), two, 'releasing nothing returns the same ledger');

  t.same(two.settle('nas', { immich: 1.8 * GiB }).entries.map((e) => e.app), ['gitea'], 'metrics show immich: its reservation goes');
  t.same(two.settle('nuc', new Map([['immich', 1]])).entries.length, 2, 'only the device where it runs settles it');
  t.same(two.forDevice('nas').map((e) => e.app), ['gitea', 'immich']);
});

t.test('applyTo adds reservations and the ledger wins over stale ones', async (t) => {
  const snapshot = {
    devices: [
      device({ id: 'nuc', reservations: [{ app: 'gitea', memoryBytes: 1, storageBytes: 1 }, { app: 'grafana', memoryBytes: 2, storageBytes: 2 }] }),
      device({ id: 'nas' }),
    ],
  };
  const before = JSON.stringify(snapshot);
  const ledger = new ReservationLedger().reserve('nas', 'gitea', { memoryBytes: 10, storageBytes: 20 }, 1);
  const out = ledger.applyTo(snapshot);
  t.same(out.devices[0]!.reservations, [{ app: 'grafana', memoryBytes: 2, storageBytes: 2 }], 'gitea moved away from nuc');
  t.same(out.devices[1]!.reservations, [{ app: 'gitea', memoryBytes: 10, storageBytes: 20 }]);
  t.equal(JSON.stringify(snapshot), before, 'the snapshot is not modified');
  t.equal(new ReservationLedger().applyTo(snapshot).devices[0], snapshot.devices[0], 'untouched devices are shared');
});

t.test('a reservation holds until metrics show the app, or times out', async (t) => {
  const l0 = new ReservationLedger().reserve('nuc', 'immich', { memoryBytes: 2 * GiB, storageBytes: 0 }, 1_000);
  t.equal(l0.observe('nuc', { sampledAt: 50_000 }), l0, 'still installing: a memory sample does not settle it, whatever its time');
  const up = l0.running('immich', 60_000);
  t.equal(up.entries[0]!.runningSince, 60_000);
  t.equal(up.running('immich', 70_000).entries[0]!.runningSince, 60_000, 'the first time it came up counts');
  t.equal(up.observe('nuc', { sampledAt: 59_999 }), up, 'a sample from before the app was up does not show it');
  t.equal(up.observe('nas', { sampledAt: 61_000 }), up, 'another device\'s sample does not either');
  t.same(up.observe('nuc', { sampledAt: 60_000 }).entries, [], 'a sample taken once it was up counts its memory: the reservation goes');
  t.same(l0.observe('nuc', { apps: { immich: 1.9 * GiB } }).entries, [], 'its containers in the engine metrics settle it even while installing');

  // Held while unsettled: the device keeps looking 2 GiB fuller to placement.
  const snapshot = { devices: [device({ id: 'nuc', memory: { availableBytes: 6 * GiB } })] };
  const held = up.observe('nuc', { sampledAt: 59_000 }).applyTo(snapshot).devices[0]!;
  t.equal(rankDevices(app({ memoryBytes: 1 * GiB }), [held]).candidates[0]!.criteria.ram.value, 4 * GiB);

  t.equal(up.expire(1_000 + 600_000, 600_000), up, 'not yet timed out');
  t.same(up.expire(1_000 + 600_001, 600_000).entries, [], 'never settled: it expires');
  t.equal(up.running('nobody', 1), up, 'marking an unknown app changes nothing');
});
