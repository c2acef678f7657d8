// The store's SQL thinning against the reference rules in core/metrics/thinning.ts: any interleaving
// of inserts (including samples that arrive late, behind what was already thinned) and thinning runs
// at advancing times leaves the same history in the database as the pure `thin` computes.
import t from 'tap';
import fc from 'fast-check';
import { forEachEngine } from './engines.js';
import { thin, type SeriesPoint } from '../../../../core/metrics/thinning.js';
import type { MetricSample } from '../../../../core/store/index.js';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const START = 1_732_581_220_123; // aligned to nothing

type Step = { insert: { device: string; metric: string; value: number; age: number }[] } | { thinAfter: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    insert: fc.array(
      fc.record({
        device: fc.constantFrom('nuc', 'pi'),
        metric: fc.constantFrom('cpu', 'mem'),
        value: fc.integer({ min: 0, max: 1000 }),
        // Mostly recent, sometimes days or weeks late.
        age: fc.oneof(fc.integer({ min: 0, max: 3 * H }), fc.integer({ min: 0, max: 35 * D })),
      }),
      { minLength: 1, maxLength: 40 },
    ),
  }),
  fc.record({ thinAfter: fc.oneof(fc.integer({ min: 0, max: 2 * H }), fc.integer({ min: 0, max: 3 * D })) }),
);

const key = (p: SeriesPoint) => `${p.series}\u0000${String(p.at).padStart(16, '0')}\u0000${p.value}`;
const sorted = (ps: SeriesPoint[]) => [...ps].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

forEachEngine(t, async (t, env) => {
  const store = await env.open();
  await store.devices.insert({ id: 'nuc', name: 'nuc', connection: {} });
  await store.devices.insert({ id: 'pi', name: 'pi', connection: {} });

  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
      await store.knex('metric_samples').delete();
      await store.kv.deleteNamespace('core.store');
      let clock = START;
      let model: SeriesPoint[] = [];
      for (const s of steps) {
        if ('insert' in s) {
          const samples: MetricSample[] = s.insert.map((x) => ({ device: x.device, metric: x.metric, value: x.value, at: clock - x.age }));
          await store.metrics.insert(samples);
          model.push(...samples.map((x) => ({ series: `${x.device}/${x.metric}`, value: x.value, at: x.at })));
        } else {
          clock += s.thinAfter;
          await store.metrics.thin(clock);
          model = thin(model, clock);
        }
      }
      const stored: SeriesPoint[] = [];
      for (const device of ['nuc', 'pi']) {
        for (const x of await store.metrics.range({ device })) stored.push({ series: `${x.device}/${x.metric}`, value: x.value, at: x.at });
      }
      const a = sorted(stored);
      const b = sorted(model);
      if (a.length !== b.length) throw new Error(`store has ${a.length} samples, the reference ${b.length}`);
      a.forEach((p, i) => {
        const q = b[i]!;
        if (p.series !== q.series || p.at !== q.at || Math.abs(p.value - q.value) > 1e-9 * Math.max(1, Math.abs(q.value))) {
          throw new Error(`sample ${i}: store ${JSON.stringify(p)}, reference ${JSON.stringify(q)}`);
        }
      });
    }),
    { numRuns: env.engine === 'sqlite' ? 40 : 25 },
  );
  t.pass('the store agrees with the reference thinning');
});
