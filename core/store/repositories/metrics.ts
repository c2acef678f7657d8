// Metric history. Recent samples stay raw; older ones are replaced by averages per time bucket, so
// history costs a bounded number of rows per device and metric whatever the polling rate. The rules
// (tiers, alignment, retention) are core/metrics/thinning.ts's; this applies them in SQL.
import { DEFAULT_THINNING, thinningPlan, type ThinningPolicy } from '../../metrics/thinning.js';
import { type Db, type Row, inTransaction, insertRows, num, run } from '../rows.js';
import { kvRepository } from './kv.js';

type Engine = 'sqlite' | 'postgres';

const COLUMNS = ['device', 'metric', 'value', 'at'] as const;

export interface MetricSample {
  device: string;
  metric: string;
  value: number;
  /** Epoch milliseconds. */
  at: number;
}

export interface ThinningResult {
  /** Rows replaced by averages, and the averages written in their place. */
  averaged: number;
  written: number;
  dropped: number;
}

// Per tier, the time below which that tier's buckets are already averaged. Thinning only reads rows
// above the mark, so a run costs what arrived since the last one, not the whole history.
const MARKS_NS = 'core.store';
const MARKS_KEY = 'metrics.thinnedTo';
// Serialises thinning with inserts on Postgres, so that a mark lowered by a late insert is not
// overwritten by a thinning that read it before. SQLite runs one transaction at a time anyway.
const THINNING_LOCK = 0x5741524e;

const fromRow = (r: Row): MetricSample => ({ device: String(r.device), metric: String(r.metric), value: Number(r.value), at: num(r.at) });

export function metricsRepository(db: Db, engine: Engine, policy: ThinningPolicy = DEFAULT_THINNING) {
  const lock = async (trx: Db) => {
    if (engine === 'postgres') await trx.raw('select pg_advisory_xact_lock(?)', [THINNING_LOCK]);
  };
  const readMarks = async (trx: Db): Promise<number[]> =>
    (await kvRepository(trx).get<number[]>(MARKS_NS, MARKS_KEY)) ?? policy.tiers.map(() => Number.MIN_SAFE_INTEGER);

  return {
    /**
     * Records samples. One older than what a tier has already thinned reopens that tier from its
     * bucket, so the next `thin` averages it in: the result never depends on arrival order.
     */
    async insert(samples: MetricSample[]): Promise<void> {
      if (samples.length === 0) return;
      const oldest = samples.reduce((min, s) => Math.min(min, s.at), Infinity);
      await run('record metric samples', () =>
        inTransaction(db, async (trx) => {
          await lock(trx);
          await insertRows(trx, 'metric_samples', COLUMNS, samples as unknown as Row[]);
          const marks = await readMarks(trx);
          if (marks.some((m) => oldest < m)) {
            const lowered = marks.map((m, i) => Math.min(m, Math.floor(oldest / policy.tiers[i]!.bucketMs) * policy.tiers[i]!.bucketMs));
            await kvRepository(trx).set(MARKS_NS, MARKS_KEY, lowered);
          }
        }),
      );
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
    /** Applies the thinning policy as of `now` (see core/metrics/thinning.ts); the same `now` twice changes nothing. */
    async thin(now: number = Date.now()): Promise<ThinningResult> {
      const plan = thinningPlan(now, policy);
      return run('thin metric history', () =>
        inTransaction(db, async (trx) => {
          await lock(trx);
          const marks = await readMarks(trx);
          const result: ThinningResult = { averaged: 0, written: 0, dropped: 0 };
          result.dropped = await trx('metric_samples').where('at', '<', plan.dropBefore).delete();
          for (const [i, tier] of plan.tiers.entries()) {
            const from = Math.max(marks[i] ?? Number.MIN_SAFE_INTEGER, tier.from);
            if (tier.to <= from) continue;
            const r = await collapse(trx, engine, from, tier.to, tier.bucketMs);
            result.averaged += r.averaged;
            result.written += r.written;
            marks[i] = tier.to;
          }
          await kvRepository(trx).set(MARKS_NS, MARKS_KEY, marks);
          return result;
        }),
      );
    },
  };
}

// Averages [from, to) per series and bucket without the rows leaving the database: the averages go
// to a temporary table, the range is cleared, the averages come back.
async function collapse(trx: Db, engine: Engine, from: number, to: number, bucket: number): Promise<{ averaged: number; written: number }> {
  // The bucket width comes from the policy, never from a request; it is inlined because Postgres
  // cannot group by an expression that contains bind parameters.
  if (!Number.isSafeInteger(bucket) || bucket <= 0) throw new RangeError(`bad bucket width ${bucket}`);
  await trx.raw(
    `create temp table if not exists warren_thinning (device varchar(255), metric varchar(255), value double precision, at bigint)${engine === 'postgres' ? ' on commit drop' : ''}`,
  );
  await trx.raw('delete from warren_thinning');
  await trx.raw(
    `insert into warren_thinning (device, metric, value, at)
       select device, metric, avg(value), (at / ${bucket}) * ${bucket} as bucket from metric_samples
       where at >= ? and at < ? group by device, metric, bucket`,
    [from, to],
  );
  const [{ n }] = await trx('warren_thinning').count({ n: '*' });
  const written = num(n);
  if (written === 0) return { averaged: 0, written: 0 };
  const averaged = await trx('metric_samples').where('at', '>=', from).where('at', '<', to).delete();
  await trx.raw('insert into metric_samples (device, metric, value, at) select device, metric, value, at from warren_thinning');
  return { averaged, written };
}

export type MetricsRepository = ReturnType<typeof metricsRepository>;
