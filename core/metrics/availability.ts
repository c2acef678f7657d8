// Time-weighted availability. Every observation says "up", "down" or "unknown" from its time until
// the next observation, but never for longer than `holdMs`: a gap in observations (hub stopped, poller
// wedged) is unknown time, and unknown time is left out of the ratio instead of counted as up or down.
import type { DeviceState } from './types.js';

export type Availability = 'up' | 'down' | 'unknown';

export interface AvailabilityObservation {
  at: number;
  status: Availability;
}

export interface AvailabilityResult {
  /** up / (up + down), or null when nothing in the window is known. */
  ratio: number | null;
  upMs: number;
  downMs: number;
  unknownMs: number;
  /** Known share of the window, 0..1. */
  coverage: number;
  windowMs: number;
}

/** Fresh readings mean up, offline means down; stale is exactly the time we cannot vouch for. */
export const availabilityOf = (state: DeviceState): Availability =>
  state === 'fresh' ? 'up' : state === 'offline' ? 'down' : 'unknown';

export function availability(
  observations: readonly AvailabilityObservation[],
  window: { from: number; to: number },
  holdMs: number = Number.POSITIVE_INFINITY,
): AvailabilityResult {
  const windowMs = Math.max(0, window.to - window.from);
  const sorted = [...observations].sort((a, b) => a.at - b.at);
  let upMs = 0;
  let downMs = 0;
  for (let i = 0; i < sorted.length; i++) {
    const o = sorted[i]!;
    const nextAt = i + 1 < sorted.length ? sorted[i + 1]!.at : window.to;
    const start = Math.max(o.at, window.from);
    const end = Math.min(nextAt, o.at + holdMs, window.to);
    if (end <= start) continue;
    if (o.status === 'up') upMs += end - start;
    else if (o.status === 'down') downMs += end - start;
  }
  const known = upMs + downMs;
  return {
    ratio: known > 0 ? upMs / known : null,
    upMs,
    downMs,
    unknownMs: windowMs - known,
    coverage: windowMs > 0 ? known / windowMs : 0,
    windowMs,
  };
}

const HOUR = 3_600_000;

/** The two windows the UI and placement show: the last 24 hours and the last 7 days. */
export function availabilityWindows(
  observations: readonly AvailabilityObservation[],
  now: number,
  holdMs?: number,
): { day: AvailabilityResult; week: AvailabilityResult } {
  return {
    day: availability(observations, { from: now - 24 * HOUR, to: now }, holdMs),
    week: availability(observations, { from: now - 7 * 24 * HOUR, to: now }, holdMs),
  };
}
