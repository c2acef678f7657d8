// The reference rules for thinning metric history with age: recent points raw, older ones averaged
// into ever coarser buckets, the oldest dropped. core/store applies the same rules in SQL using
// `thinningPlan`; the pure `thin` defines the expected result and is what the tests pin down.
//
// Tier boundaries are aligned to the coarser side's bucket, so a bucket never straddles a boundary
// and thinning already-thinned history at the same instant changes nothing.

export interface ThinningPolicy {
  /** Youngest first. Points older than `olderThanMs` are averaged into buckets of `bucketMs`; younger than the first tier stay raw. */
  tiers: { olderThanMs: number; bucketMs: number }[];
  /** Points older than this are dropped. */
  keepForMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Raw for an hour, 1-minute averages for a day, 1-hour averages for 30 days. */
export const DEFAULT_THINNING: ThinningPolicy = {
  tiers: [
    { olderThanMs: HOUR, bucketMs: MINUTE },
    { olderThanMs: DAY, bucketMs: HOUR },
  ],
  keepForMs: 30 * DAY,
};

export interface PlanTier {
  /** Points with `from <= at < to` are averaged per bucket; a bucket starts at a multiple of `bucketMs` and the average is stored at that start. */
  from: number;
  to: number;
  bucketMs: number;
}

export interface ThinningPlan {
  /** Points with `at < dropBefore` are deleted. */
  dropBefore: number;
  /** Points with `at >= rawFrom` stay as they are. */
  rawFrom: number;
  /** Youngest tier first, matching the policy. */
  tiers: PlanTier[];
}

const alignDown = (t: number, step: number) => Math.floor(t / step) * step;

export function thinningPlan(now: number, policy: ThinningPolicy = DEFAULT_THINNING): ThinningPlan {
  const { tiers, keepForMs } = policy;
  tiers.forEach((t, i) => {
    const prev = tiers[i - 1];
    if (!(t.bucketMs > 0) || !(t.olderThanMs >= 0)) throw new RangeError(`tier ${i}: olderThanMs and bucketMs must be positive`);
    if (prev && (t.olderThanMs <= prev.olderThanMs || t.bucketMs % prev.bucketMs !== 0)) {
      throw new RangeError(`tier ${i}: must start later than tier ${i - 1}, with a bucket that is a multiple of its bucket`);
    }
  });
  const last = tiers[tiers.length - 1];
  if (last && keepForMs <= last.olderThanMs) throw new RangeError('keepForMs must exceed the oldest tier');
  if (!last) return { dropBefore: now - keepForMs, rawFrom: now - keepForMs, tiers: [] };
  // Because each bucket divides the next, a boundary aligned to the coarser bucket is aligned to both.
  const starts = tiers.map((t) => alignDown(now - t.olderThanMs, t.bucketMs));
  const dropBefore = alignDown(now - keepForMs, last.bucketMs);
  return {
    dropBefore,
    rawFrom: starts[0]!,
    tiers: tiers.map((t, i) => ({ from: i + 1 < tiers.length ? starts[i + 1]! : dropBefore, to: starts[i]!, bucketMs: t.bucketMs })),
  };
}

export interface SeriesPoint {
  /** Series key, e.g. `${device}\u0000${metric}`; points of different series are never averaged together. */
  series: string;
  value: number;
  at: number;
}

/** History after thinning at `now`, sorted by series then time. */
export function thin(points: readonly SeriesPoint[], now: number, policy: ThinningPolicy = DEFAULT_THINNING): SeriesPoint[] {
  const plan = thinningPlan(now, policy);
  const out: SeriesPoint[] = [];
  const buckets = new Map<string, { series: string; at: number; sum: number; n: number }>();
  for (const p of points) {
    if (p.at < plan.dropBefore) continue;
    if (p.at >= plan.rawFrom) {
      out.push(p);
      continue;
    }
    const tier = plan.tiers.find((t) => p.at >= t.from && p.at < t.to)!;
    const at = alignDown(p.at, tier.bucketMs);
    const key = `${p.series}\u0000${at}`;
    const b = buckets.get(key);
    if (b) {
      b.sum += p.value;
      b.n++;
    } else buckets.set(key, { series: p.series, at, sum: p.value, n: 1 });
  }
  for (const b of buckets.values()) out.push({ series: b.series, at: b.at, value: b.sum / b.n });
  return out.sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.at - b.at));
}
