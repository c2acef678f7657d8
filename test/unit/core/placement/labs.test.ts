// Hand-written labs (test/fixtures/placement/snapshots) ranked through the same path as `warren place
// --snapshot`, with every expected figure worked out by hand from DESIGN.md §5 (default weights RAM 40,
// storage 30, CPU 15, load 10, reliability 5; curves as documented), not copied from the output. The
// golden files of the same cases (golden.test.ts) pin the rest of the result.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseRequirements, parseSnapshot, rankDevices, type PlacementResult } from '../../../../core/placement/index.js';

const dir = new URL('../../../fixtures/placement/', import.meta.url).pathname;
const rank = (snapshot: string, requirements: string): PlacementResult =>
  rankDevices(
    parseRequirements(JSON.parse(readFileSync(`${dir}requirements/${requirements}.json`, 'utf8'))),
    parseSnapshot(JSON.parse(readFileSync(`${dir}snapshots/${snapshot}.json`, 'utf8'))).devices,
  );
const GiB = 2 ** 30;
const MiB = 2 ** 20;

t.test('Pi + NAS + mini-PC, a Nextcloud-like app with a Postgres need', async (t) => {
  const r = rank('pi-nas-minipc', 'homelab-cloud');
  const c = Object.fromEntries(r.candidates.map((x) => [x.device, x]));
  // nuc: 12 GiB − 0.5 reserve − 1 GiB held for jellyfin = 10.5 GiB; no Postgres yet, so install
  // creates the shared server: need 1 GiB + 256 MiB. RAM (10.5 − 1.25)/(2·1.25) ≥ 1 → 100 → 40.
  // Storage 300 − 20 reserve − 5 held = 275 GiB for 10 GiB → 100 → 30. CPU 8·1.0/4 ≥ 1 → 100 → 15.
  // Load 1 − 0.5/8 = 0.9375 → 93.75 → 9.375 (9.38 shown). Scores show two decimals;
  // the total rounds the exact sum once. Reliability unknown → 50 → 2.5. Total 96.88.
  t.same(c.nuc!.criteria.ram, { value: 10.5 * GiB, score: 100, weight: 40, contribution: 40, need: 1.25 * GiB });
  t.same(c.nuc!.criteria.storage, { value: 275 * GiB, score: 100, weight: 30, contribution: 30, need: 10 * GiB });
  t.same([c.nuc!.criteria.cpu.score, c.nuc!.criteria.load.score, c.nuc!.criteria.load.contribution, c.nuc!.criteria.reliability.score], [100, 93.75, 9.38, 50]);
  t.equal(c.nuc!.total, 96.88);
  t.same(c.nuc!.databases.map((d) => [d.via, d.newServer, d.memoryBytes]), [['pool', true, 256 * MiB]]);
  // nas: 5 − 1 reserve = 4 GiB; its Postgres 15.6 pool has pg_trgm and satisfies >=14: need 1 GiB.
  // RAM (4 − 1)/2 ≥ 1 → 40. Storage → 30. CPU 4·0.5/4 = 50 → 7.5. Load 1 − 1.2/4 = 70 → 7.
  // Reliability 99.8 → 4.99. Total 89.49.
  t.same([c.nas!.criteria.ram.score, c.nas!.criteria.ram.need, c.nas!.criteria.cpu.contribution, c.nas!.criteria.load.score, c.nas!.criteria.reliability.contribution], [100, 1 * GiB, 7.5, 70, 4.99]);
  t.equal(c.nas!.total, 89.49);
  t.same(c.nas!.databases.map((d) => [d.via, d.detail, d.memoryBytes]), [['pool', 'postgres 15.6 pool', 0]]);
  // pi4: 3 GiB − 256 MiB = 2.75 GiB; new shared server: need 1.25 GiB. RAM (2.75 − 1.25)/2.5 = 60 → 24.
  // Storage (40 − 10)/(4·10) = 75 → 22.5. CPU 4·0.45/4 = 45 → 6.75. Load 1 − 0.8/4 = 80 → 8.
  // Reliability 99 → 4.95. Total 66.2. Its port 53 is no concern; 8080 is free.
  t.same([c.pi4!.criteria.ram.score, c.pi4!.criteria.storage.score, c.pi4!.criteria.cpu.score, c.pi4!.criteria.load.score], [60, 75, 45, 80]);
  t.equal(c.pi4!.total, 66.2);
  t.same(r.candidates.map((x) => x.device), ['nuc', 'nas', 'pi4'], 'best first');
  t.equal(r.recommended, 'nuc');
  t.equal(r.tieBreak, null, 'no tie');
  // immich (2 GiB on the nas) is the largest app; pi4 and nuc can still take it after this placement.
  t.same(r.warnings, []);
  t.same(r.suggestions, []);
  for (const x of r.candidates) {
    const sum = Object.values(x.criteria).reduce((s, k) => s + k.contribution, 0);
    t.ok(Math.abs(sum - x.total!) < 0.011, `${x.device}: contributions sum to the total`);
  }
});

t.test('an ARM-only lab: variants decide, an unknown variant is not trusted with arm/v7', async (t) => {
  const r = rank('arm-only', 'octoprint-arm');
  const c = Object.fromEntries(r.candidates.map((x) => [x.device, x]));
  // pi4 (arm64): 2 GiB − 256 MiB = 1792 MiB for 256 MiB: RAM (1792 − 256)/512 = 3 → 100 → 40.
  // Storage (50 − 1)/(4·1) ≥ 1 → 30. CPU 1.8/4 = 45 → 6.75. Load 1 − 0.4/4 = 90 → 9. Reliability
  // unknown → 2.5. Total 88.25.
  t.equal(c.pi4!.total, 88.25);
  // pi3 (armv7l = arm/v7): 600 − 64 = 536 MiB: RAM (536 − 256)/512 = 0.546875 → 54.6875 (54.69 shown) → 21.875.
  // Storage (20 − 1)/4 ≥ 1 → 30. CPU 4·0.3/4 = 30 → 4.5. Load 1 − 1/4 = 75 → 7.5. Reliability 99 →
  // 4.95. Total 68.825 → 68.83; the contributions shown add up to it.
  t.same([c.pi3!.criteria.ram.score, c.pi3!.criteria.ram.contribution, c.pi3!.criteria.cpu.score], [54.69, 21.88, 30]);
  t.equal(c.pi3!.total, 68.83);
  // zero (armv6l): runs neither arm/v7 nor arm64, and 300 − 64 = 236 MiB is under 256 MiB.
  t.same(c.zero!.reasons.map((x) => x.code), ['ARCH', 'RAM']);
  t.equal(c.zero!.reasons[0]!.message, "Architecture: the device runs arm/v6; the app's images offer arm/v7, arm64");
  t.equal(c.zero!.reasons[1]!.message, 'RAM: needs 256.0 MiB, 236.0 MiB available (sampled 20 s ago; after a 64.0 MiB device reserve)');
  // board: bare `arm` (variant unknown) counts as arm/v6: disqualified on architecture alone.
  t.same(c.board!.reasons.map((x) => x.message), ["Architecture: the device runs arm (variant unknown, counted as arm/v6); the app's images offer arm/v7, arm64"]);
  t.same(r.candidates.map((x) => x.device), ['pi4', 'pi3', 'board', 'zero'], 'eligible by total, then disqualified by fewest reasons');
  t.equal(r.recommended, 'pi4');
  t.same(r.suggestions, [], 'suggestions only when nothing qualifies');
});

t.test('an all-offline lab: nothing qualifies, and the result says what would make a device fit', async (t) => {
  const r = rank('all-offline', 'tiny');
  t.equal(r.recommended, null);
  const reasons = Object.fromEntries(r.candidates.map((x) => [x.device, x.reasons.map((y) => y.code)]));
  t.same(reasons, { nas: ['OFFLINE', 'METRICS_STALE'], nuc: ['OFFLINE', 'CORDONED'], pi: ['OFFLINE', 'METRICS_STALE', 'RAM', 'STORAGE'] });
  t.same(r.candidates.map((x) => x.device), ['nas', 'nuc', 'pi'], 'fewest reasons first, then id');
  t.same(r.candidates.map((x) => x.total), [null, null, null]);
  // nuc's sample is 30 s old (fresh); it is offline and cordoned. pi never reported figures, so its
  // memory and storage read 0 and nothing it runs could be stopped to make room: no suggestion.
  t.same(
    r.suggestions.map((s) => [s.device, s.actions.map((a) => a.code)]),
    [
      ['nas', ['BRING_ONLINE']],
      ['nuc', ['BRING_ONLINE', 'UNCORDON']],
    ],
  );
  t.equal(r.candidates.find((x) => x.device === 'pi')!.reasons[1]!.message, 'Metrics: no sample yet (limit 90 s)');
  t.same(r.warnings, []);
});

t.test('an empty inventory ranks to nothing, with a warning that says why', async (t) => {
  const r = rankDevices({ memoryBytes: 1, diskBytes: 0 }, parseSnapshot({ devices: [] }).devices);
  t.same([r.recommended, r.candidates, r.suggestions, r.warnings.map((w) => w.code)], [null, [], [], ['NO_DEVICES']]);
});
