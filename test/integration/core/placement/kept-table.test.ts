// The hub ranks live placements over a DeviceTable it keeps between requests (rows rewritten only when a
// device's snapshot changed). Whatever it keeps, its answer must be the one a freshly built snapshot
// gives: the `warren devices snapshot` output (GET /api/devices/snapshot) with the ledger's reservations
// applied, ranked as plain objects, at the same moment. Checked on a fresh hub, after a cordon, while a
// reservation is held and after it is released, and after a device is removed.
import t from 'tap';
import { parseSnapshot, rankDevices, ReservationLedger, type PlacementRequirements } from '../../../../core/placement/index.js';
import { needServices } from '../../../helpers/services.js';
import { appsHub } from '../apps/fixture.js';

t.setTimeout(6 * 60_000);
const MiB = 2 ** 20;

t.test('the kept table ranks as a freshly built snapshot does', async (t) => {
  const state = needServices(t, 'docker', 'images');
  if (!state) return;
  const device = (name: string) => ({ name, connection: { type: 'socket', socketPath: state.docker!.socket }, helperImage: state.images!.web });
  const { th, api } = await appsHub(t, state, { devices: [device('kept-a'), device('kept-b'), device('kept-c')] });
  const apps = th.hub.services.apps!;
  const web = state.images!.web ?? 'warren-test/web:latest';
  // An image every device has (the helper image) and one none has: the image tie-break is judged per app.
  const requirements: PlacementRequirements = { app: 'kept-probe', memoryBytes: 64 * MiB, diskBytes: 10 * MiB, images: [web, 'warren-test/absent:never'] };

  /**
   * A kept-table placement, a fresh snapshot ranked on objects, and a kept-table placement again: the
   * two placements agreeing means nothing (a sample, an age's second) moved in between, so the fresh
   * ranking must equal them exactly. Retried until such a quiet moment.
   */
  const compare = async (label: string) => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const a = await api('POST', '/api/placement', { requirements });
      if (a.status !== 200) t.fail(`${label}: placement answered ${a.status}: ${JSON.stringify(a.body).slice(0, 300)}`);
      const query = requirements.images!.map((x) => `image=${encodeURIComponent(x)}`).join('&');
      const snap = await api('GET', `/api/devices/snapshot?${query}`);
      const entries = apps.reservations();
      const b = await api('POST', '/api/placement', { requirements });
      if (JSON.stringify(a.body) !== JSON.stringify(b.body)) continue;
      t.same(Object.keys(snap.body).sort(), ['devices', 'takenAt'], `${label}: the snapshot keeps its shape`);
      const fresh = new ReservationLedger(entries).applyTo(parseSnapshot(snap.body));
      const plans = th.hub.services.pooling?.newServerPlans();
      const expected = JSON.parse(JSON.stringify(rankDevices(requirements, fresh.devices, plans ? { newPoolServer: plans } : {})));
      t.same(a.body, expected, `${label}: the kept table's ranking equals the fresh snapshot's`);
      return a.body as { recommended: string | null; candidates: { device: string; eligible: boolean; reasons: { code: string }[]; criteria: { ram: { value: number } } }[] };
    }
    t.fail(`${label}: no quiet moment in 20 attempts`);
    return undefined;
  };

  const first = await compare('fresh hub');
  t.equal(first?.candidates.length, 3, 'every device ranked');
  t.ok(first?.candidates.every((c) => c.eligible), 'all three eligible');
  // Twice more: rows unchanged since the last request are kept, not rebuilt, and still answer right.
  await compare('again');

  const cordon = await api('POST', '/api/devices/kept-b/cordon');
  t.equal(cordon.status, 200, 'cordoned');
  const cordoned = await compare('after a cordon');
  const b = cordoned?.candidates.find((c) => c.device === 'kept-b');
  t.equal(b?.eligible, false, 'the cordoned device is disqualified');
  t.ok(b?.reasons.some((r) => r.code === 'CORDONED'), 'because it is cordoned');

  // A reservation as install makes one (held until metrics show the app or it times out).
  const svc = apps as unknown as { ledger: ReservationLedger };
  svc.ledger = svc.ledger.reserve('kept-a', 'kept-held', { memoryBytes: 512 * MiB, storageBytes: 64 * MiB }, Date.now());
  const held = await compare('with a reservation held');
  t.ok(apps.reservations().some((e) => e.app === 'kept-held'), 'the reservation is still held');
  // All three devices are the same engine: the one holding 512 MiB shows that much less RAM.
  const ram = (id: string) => held?.candidates.find((c) => c.device === id)?.criteria.ram.value ?? NaN;
  t.ok(ram('kept-a') < ram('kept-c') - 256 * MiB, `the reservation counts against kept-a (${ram('kept-a')} vs ${ram('kept-c')} bytes)`);
  apps.releaseReservation('kept-held');
  await compare('after the reservation is released');

  const removed = await api('DELETE', '/api/devices/kept-c');
  t.equal(removed.status, 200, 'removed');
  const after = await compare('after a device is removed');
  t.same(after?.candidates.map((c) => c.device).sort(), ['kept-a', 'kept-b'], 'the removed device is gone from the ranking');
});
