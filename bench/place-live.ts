// What a live placement (the apps service's place(): placement snapshot, ledger, kept table, ranking)
// costs inside a running hub with three real devices (local socket, dev1 over SSH, dev2 over TCP+TLS),
// with each device's image listing kept by the devices service ("listing") against asking every online
// engine about each of the app's images per request ("checks": what a device whose listing fails gets,
// and what every placement did before engines listed images). Rounds alternate the two, so machine
// noise hits both alike; the poller is held off so no new sample rewrites rows mid-round (the bench
// polls before each one).
// Run: npx tsx bench/place-live.ts [rounds] [placements per round]   (needs: sudo bash scripts/test-env.sh up)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsFeature } from '../core/apps/index.js';
import { CatalogFeature, catalogSources } from '../core/catalog/index.js';
import { configFromEnv } from '../core/config.js';
import { DevicesFeature } from '../core/devices/index.js';
import { Hub } from '../core/hub.js';
import { createLogger } from '../core/log.js';
import type { PlacementRequirements } from '../core/placement/index.js';
import { PoolingFeature } from '../core/pooling/index.js';
import { readState } from '../test/helpers/services.js';
import { testDeviceInputs } from './test-devices.js';

const ROUNDS = Number(process.argv[2] ?? 10);
const PER_ROUND = Number(process.argv[3] ?? 20);
const state = readState();
const lab = testDeviceInputs(state);

const dataDir = mkdtempSync(join(tmpdir(), 'warren-bench-'));
const hub = await Hub.start(configFromEnv({ WARREN_DATA_DIR: dataDir, WARREN_PORT: '0', WARREN_HOST: '127.0.0.1', WARREN_NO_LOCAL_DEVICE: '1' }), {
  logger: createLogger({ level: 'error' }),
  extensions: [
    // An hour between polls and inventory refreshes: every one here is one the bench asks for.
    new DevicesFeature({ pollIntervalMs: 3_600_000 }),
    new PoolingFeature({}),
    new CatalogFeature({ sources: catalogSources('/nonexistent', []) }),
    new AppsFeature({}),
  ],
});
const devices = hub.services.devices!;
const apps = hub.services.apps!;
const metrics = hub.services.metrics!;
const helperImage = lab.helperImage;
type Inventories = Map<string, { imageRefs?: ReadonlySet<string> }>;
const inventories = (devices as unknown as { inventories: Inventories }).inventories;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  await devices.add({ name: 'local', ...lab.local });
  await devices.add({
    name: 'dev1',
    ...lab.ssh,
  });
  await devices.add({
    name: 'dev2',
    ...lab.tls,
  });
  await metrics.pollNow();
  await metrics.pollNow();
  const requirements: PlacementRequirements = { app: 'bench-place', memoryBytes: 64 * 2 ** 20, diskBytes: 10 * 2 ** 20, images: [helperImage, 'warren-test/absent:never'] };
  // The first placement waits for each device's first inventory (helper containers); not timed.
  const first = await apps.place(requirements);
  const listings = new Map([...inventories].map(([id, inv]) => [id, inv.imageRefs]));
  const listed = [...listings].filter(([, refs]) => refs).map(([id]) => id);
  // An unreachable device (offline) is asked about nothing either way; say which devices count.
  if (listed.length !== 3) console.log(`note: only ${listed.join(', ') || 'no device'} listed images; the others are offline or failed to list`);
  const mode = (m: 'listing' | 'checks') => {
    for (const [id, inv] of inventories) inv.imageRefs = m === 'listing' ? listings.get(id) : undefined;
  };
  const times = { listing: [] as number[], checks: [] as number[] };
  let answer = '';
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of r % 2 ? (['checks', 'listing'] as const) : (['listing', 'checks'] as const)) {
      // Fresh samples (within the freshness limit) so that devices stay eligible; not timed.
      await metrics.pollNow();
      mode(m);
      await apps.place(requirements); // the switch rewrites rows once; not timed
      for (let k = 0; k < PER_ROUND; k++) {
        const t0 = process.hrtime.bigint();
        const result = await apps.place(requirements);
        times[m].push(Number(process.hrtime.bigint() - t0) / 1e6);
        answer = `${result.recommended}`;
      }
    }
  }
  mode('listing');
  const l = median(times.listing);
  const c = median(times.checks);
  console.log(`live place(), 3 devices (local socket, dev1 SSH, dev2 TCP+TLS; listing: ${listed.join(', ')}), ${ROUNDS} rounds x ${PER_ROUND} placements each way, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log(`  recommended: ${first.recommended} (last: ${answer})`);
  console.log(`  ms per place()      median     p90`);
  const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
  console.log(`  checks (hasImage)  ${c.toFixed(2).padStart(7)} ${p90(times.checks).toFixed(2).padStart(7)}`);
  console.log(`  listing (cached)   ${l.toFixed(2).padStart(7)} ${p90(times.listing).toFixed(2).padStart(7)}`);
  console.log(`  ratio checks/listing (median): ${(c / l).toFixed(2)}`);
} finally {
  await hub.stop('bench over');
  rmSync(dataDir, { recursive: true, force: true });
}
