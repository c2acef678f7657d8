// Thinning metric history in the store: a routine run (10 minutes of new samples since the last one)
// against a full pass over the same 30-day history (the per-tier marks cleared), side by side in
// alternating rounds of one run. Target: median ratio routine/full <= 0.1, i.e. a routine run costs
// what arrived since the last one, not the history — SQLite has one connection, and a long thinning
// run would stall every other query of the hub.
// Run: npx tsx bench/store-thinning.ts [devices] [metrics] [rounds] [postgres-url]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore, type MetricSample } from '../core/store/index.js';
import { SecretBox } from '../core/secrets/secret-box.js';

const DEVICES = Number(process.argv[2] ?? 20);
const METRICS = Number(process.argv[3] ?? 10);
const ROUNDS = Number(process.argv[4] ?? 11);
const DATABASE_URL = process.argv[5];
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;
const STEP = 10 * S;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dataDir = await mkdtemp(join(tmpdir(), 'warren-bench-'));
const store = await openStore({ dataDir, databaseUrl: DATABASE_URL, secretBox: SecretBox.fromKey(Buffer.alloc(32, 1)) });
try {
  await store.migrate();
  const devices = Array.from({ length: DEVICES }, (_, i) => `dev${i}`);
  const metrics = Array.from({ length: METRICS }, (_, i) => `m${i}`);
  for (const id of devices) await store.devices.insert({ id, name: id, connection: {} });

  // 30 days of history in its thinned shape: hourly rows, a day of minute rows, an hour of raw rows.
  let clock = Date.UTC(2026, 0, 31, 12, 0, 0);
  const history: MetricSample[] = [];
  const add = (from: number, to: number, step: number) => {
    for (let at = from; at < to; at += step) for (const device of devices) for (const metric of metrics) history.push({ device, metric, value: Math.random() * 100, at });
  };
  add(clock - 30 * D + H, clock - D, H);
  add(clock - D, clock - H, MIN);
  add(clock - H, clock, STEP);
  const t0 = performance.now();
  await store.metrics.insert(history);
  const insertMs = performance.now() - t0;
  await store.metrics.thin(clock);

  const routine: number[] = [];
  const full: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const fresh: MetricSample[] = [];
    for (let at = clock; at < clock + 10 * MIN; at += STEP) for (const device of devices) for (const metric of metrics) fresh.push({ device, metric, value: Math.random() * 100, at });
    await store.metrics.insert(fresh);
    clock += 10 * MIN;
    let start = performance.now();
    await store.metrics.thin(clock);
    routine.push(performance.now() - start);

    await store.kv.deleteNamespace('core.store');
    start = performance.now();
    await store.metrics.thin(clock);
    full.push(performance.now() - start);
  }
  const [{ n }] = await store.knex('metric_samples').count({ n: '*' });
  console.log(`engine ${store.engine}; ${DEVICES * METRICS} series; ${Number(n)} rows held; inserted ${history.length} rows in ${insertMs.toFixed(0)} ms`);
  console.log(`routine thinning (10 min of new samples): median ${median(routine).toFixed(1)} ms`);
  console.log(`full pass over the history:               median ${median(full).toFixed(1)} ms`);
  const ratio = median(routine.map((r, i) => r / full[i]!));
  console.log(`median ratio routine/full: ${ratio.toFixed(3)} (target <= 0.1) ${ratio <= 0.1 ? 'OK' : 'MISSED'}`);
} finally {
  await store.close();
  await rm(dataDir, { recursive: true, force: true });
}
