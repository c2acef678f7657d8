// A device's availability from its stored history. Each poll records `up` (1 for a fresh device, 0 for
// an offline one; stale is unknown and not recorded). Thinning averages old points into buckets, so a
// point's value is the share of its span that was up; it becomes an "up" stretch then a "down"
// stretch, and anything past its span (the hub was stopped) is unknown.
import { availability, type AvailabilityObservation } from '../metrics/availability.js';
import { DEFAULT_THINNING, thinningPlan, type ThinningPolicy } from '../metrics/thinning.js';

export const UP_METRIC = 'up';
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;

export function upObservations(
  points: readonly { at: number; value: number }[],
  now: number,
  rawSpanMs: number,
  policy: ThinningPolicy = DEFAULT_THINNING,
): AvailabilityObservation[] {
  const plan = thinningPlan(now, policy);
  const spanLimit = (at: number) => {
    const tier = plan.tiers.find((t) => at >= t.from && at < t.to);
    return Math.max(rawSpanMs, tier?.bucketMs ?? 0);
  };
  const sorted = [...points].sort((a, b) => a.at - b.at);
  const out: AvailabilityObservation[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    const next = sorted[i + 1]?.at ?? now;
    const span = Math.max(0, Math.min(spanLimit(p.at), next - p.at));
    if (span === 0) continue;
    const up = Math.min(1, Math.max(0, p.value));
    if (up > 0) out.push({ at: p.at, status: 'up' });
    if (up < 1) out.push({ at: p.at + up * span, status: 'down' });
    out.push({ at: p.at + span, status: 'unknown' });
  }
  return out;
}

/** Time-weighted over the last 7 days; null with under an hour of known time (placement then scores it neutral). */
export function availability7d(points: readonly { at: number; value: number }[], now: number, rawSpanMs: number, policy?: ThinningPolicy): number | null {
  const r = availability(upObservations(points, now, rawSpanMs, policy), { from: now - WEEK, to: now });
  return r.upMs + r.downMs >= HOUR ? r.ratio : null;
}
