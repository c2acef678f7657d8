// Metric history. Recent samples stay raw; older ones are replaced by averages per time bucket, so
// history costs a bounded number of rows per device and metric whatever the polling rate.
import { type Db, type Row, inTransaction, insertRows, num, run } from '../rows.js';
import { kvRepository } from './kv.js';

export interface MetricSample {
  device: string;
  metric: string;
  value: number;
  /** Epoch milliseconds. */
  at: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Samples older than `olderThan` are averaged into `bucket`-wide buckets (stamped at the bucket start). */
export const THINNING: readonly { olderThan: number; bucket: number }[] = [
  { olderThan: HOUR, bucket: MINUTE },
  { olderThan: DAY, bucket: HOUR },
];
/** Samples older than this are dropped. */
export const RETENTION = 30 * DAY;

export interface ThinningResult {
  /** Rows replaced by averages, and the averages written in their place. */
  averaged: number;
  written: number;
  dropped: number;
}

const WATERMARK_NS = 'core.store';
const WATERMARK_KEY = 'metrics.thinnedTo';

const fromRow = (r: Row): MetricSample => ({ device: String(r.device), metric: String(r.metric), value: Number(r.value), at: num(r.at) });

export function metricsRepository(db: Db) {
  return {
    async insert(samples: MetricSample[]): Promise<void> {
      if (samples.length === 0) return;
      const rows = samples.map((s) => ({ device: s.device, metric: s.metric, value: s.value, at: s.at }));
      await run('record metric samples', () => inTransaction(db, (trx) => insertRows(trx, 'metric_samples', rows)));
    },
    /** Samples of one device in `[from, to)`, ordered by metric then time. */
    async range(query: { device: string; metric?: string | string[]; from?: number; to?: number }): Promise<MetricSample[]> {
      const rows = await run('read metric history', () => {
        const q = db('metric_samples').where({ device: query.device }).orderBy([{ column: 'metric' }, { column: 'at' }]);
        if (query.metric !== undefined) q.whereIn('metric', Array.isArray(query.metric) ? query.metric : [query.metric]);
        if (query.from !== undefined) q.where('at', '>=', query.from);
        if (query.to !== undefined) q.where('at', '<', query.to);
        return q;
      });
      return rows.map(fromRow);
    },
    /**
     * Applies {@link THINNING} and {@link RETENTION} as of `now`. Each tier works on whole buckets that
     * it has not thinned before (a watermark per tier in kv), so running it often costs little and a
     * bucket is never averaged twice at the same tier. The price: a sample inserted with a timestamp
     * older than a tier's last run is left as it is by that tier (pollers record samples as they take
     * them, so only imports of old history meet this).
     */
    async thin(now: number = Date.now()): Promise<ThinningResult> {
      const work = async (trx: Db): Promise<ThinningResult> => {
        const kv = kvRepository(trx);
        const marks = (await kv.get<number[]>(WATERMARK_NS, WATERMARK_KEY)) ?? THINNING.map(() => 0);
        const result: ThinningResult = { averaged: 0, written: 0, dropped: 0 };
        result.dropped = await trx('metric_samples').where('at', '<', now - RETENTION).delete();
        const boundaries = THINNING.map((tier) => Math.floor((now - tier.olderThan) / tier.bucket) * tier.bucket);
        for (const [i, tier] of THINNING.entries()) {
          const to = boundaries[i]!;
          // What the next, coarser tier will average anyway is not worth averaging finely first.
          const from = Math.max(marks[i] ?? 0, boundaries[i + 1] ?? 0, now - RETENTION - tier.bucket);
          if (to <= from) continue;
          const r = await collapse(trx, from, to, tier.bucket);
          result.averaged += r.averaged;
          result.written += r.written;
          marks[i] = to;
        }
        await kv.set(WATERMARK_NS, WATERMARK_KEY, marks);
        return result;
      };
      return run('thin metric history', () => inTransaction(db, work));
    },
  };
}

async function collapse(trx: Db, from: number, to: number, bucket: number): Promise<{ averaged: number; written: number }> {
  // The bucket width comes from THINNING, never from input; it is inlined because Postgres cannot
  // group by an expression that contains bind parameters.
  if (!Number.isSafeInteger(bucket) || bucket <= 0) throw new Error(`bad bucket width ${bucket}`);
  const groups = await trx('metric_samples')
    .select('device', 'metric', trx.raw(`(at / ${bucket}) * ${bucket} as bucket`))
    .avg({ value: 'value' })
    .count({ n: '*' })
    .where('at', '>=', from)
    .where('at', '<', to)
    .groupBy('device', 'metric', 'bucket');
  if (groups.length === 0) return { averaged: 0, written: 0 };
  const averaged = await trx('metric_samples').where('at', '>=', from).where('at', '<', to).delete();
  await insertRows(
    trx,
    'metric_samples',
    groups.map((g: Row) => ({ device: g.device, metric: g.metric, value: Number(g.value), at: num(g.bucket) })),
  );
  return { averaged, written: groups.length };
}

export type MetricsRepository = ReturnType<typeof metricsRepository>;
