// Whether a device's figures can be trusted right now, decided from the age of its newest reading and,
// for offline, from how its attempts ended. Pure: the poller feeds it observations and the current time.
import type { DeviceFigures, DeviceState, DeviceStatus } from './types.js';

export interface StateOptions {
  /** The device's normal poll interval (not the faster one used while someone watches it). */
  intervalMs: number;
  /** No reading for this many intervals makes a device stale. Default 3. */
  staleAfterIntervals?: number;
  /** No reading for this many intervals makes it offline. Default 6. */
  offlineAfterIntervals?: number;
  /** How long one attempt may take before it is abandoned (the device's poll timeout). Default 10 s. */
  timeoutMs?: number;
}

export interface DeviceObservation {
  /** When the hub started watching this device (ages count from here until a first reading). */
  since: number;
  lastReadingAt?: number;
  /** The newest failed attempt, if it is newer than the newest reading. */
  lastFailure?: { at: number; code: string; message: string };
  /**
   * Attempts that failed in a row since the newest reading. When given, silence makes a device offline
   * only once OFFLINE_AFTER_FAILURES of them failed, or once it outlasts that many timeouts more: one
   * attempt may take its whole timeout, longer than a short interval's offline threshold, and a single
   * slow attempt on a loaded hub is no outage. Left out, silence alone decides.
   */
  consecutiveFailures?: number;
}

export const DEFAULT_STALE_AFTER_INTERVALS = 3;
export const DEFAULT_OFFLINE_AFTER_INTERVALS = 6;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const OFFLINE_AFTER_FAILURES = 2;

/**
 * Silences (ms) past which a device is stale, past which it would be offline by the intervals alone, and
 * past which it is offline given its failures: while too few attempts failed in a row, that many
 * timeouts later (so a device whose attempts never conclude still goes offline).
 */
function thresholds(obs: DeviceObservation, opts: StateOptions) {
  const staleAfter = opts.staleAfterIntervals ?? DEFAULT_STALE_AFTER_INTERVALS;
  const offlineAfter = Math.max(staleAfter, opts.offlineAfterIntervals ?? DEFAULT_OFFLINE_AFTER_INTERVALS);
  const intervals = offlineAfter * opts.intervalMs;
  const tooFewFailures = obs.consecutiveFailures !== undefined && obs.consecutiveFailures < OFFLINE_AFTER_FAILURES;
  return {
    staleAfter,
    offlineAfter,
    stale: staleAfter * opts.intervalMs,
    intervals,
    offline: tooFewFailures ? intervals + OFFLINE_AFTER_FAILURES * (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) : intervals,
  };
}

export function classifyDevice(obs: DeviceObservation, now: number, opts: StateOptions): DeviceStatus {
  const limit = thresholds(obs, opts);
  const { staleAfter, offlineAfter } = limit;
  const ageMs = obs.lastReadingAt === undefined ? undefined : Math.max(0, now - obs.lastReadingAt);
  const silentMs = Math.max(0, now - (obs.lastReadingAt ?? obs.since));
  const failure = obs.lastFailure && (obs.lastReadingAt === undefined || obs.lastFailure.at > obs.lastReadingAt) ? obs.lastFailure : undefined;
  const withAge = (s: Omit<DeviceStatus, 'ageMs'>): DeviceStatus => (ageMs === undefined ? s : { ...s, ageMs });
  const cause = failure ? `; last attempt: ${failure.message}` : '';

  // Refused credentials will not fix themselves; waiting out the intervals would only hide that.
  if (failure?.code === 'WARREN_ERR_AUTH_FAILED') {
    return withAge({ state: 'offline', reason: 'auth-failed', message: `credentials refused: ${failure.message}` });
  }
  if (silentMs > limit.offline) {
    const timeouts = limit.offline > limit.intervals ? ` and ${OFFLINE_AFTER_FAILURES} timeouts` : '';
    return withAge({
      state: 'offline',
      reason: obs.lastReadingAt === undefined ? 'no-sample-yet' : 'no-recent-sample',
      message: `no reading for ${seconds(silentMs)} (over ${offlineAfter} intervals${timeouts})${cause}`,
    });
  }
  // Past the offline threshold but too few attempts have failed to call it an outage: say so.
  const failed = obs.consecutiveFailures
    ? `${obs.consecutiveFailures} attempt ${failure?.code === 'WARREN_ERR_TIMEOUT' ? 'timed out' : 'failed'}`
    : 'no attempt failed yet';
  const held = silentMs > limit.intervals ? `${failed}; offline after ${OFFLINE_AFTER_FAILURES} in a row` : undefined;
  if (obs.lastReadingAt === undefined) {
    return { state: 'stale', reason: 'no-sample-yet', message: `waiting for a first reading${held ? ` (${held})` : ''}${cause}` };
  }
  if (silentMs > limit.stale) {
    return withAge({
      state: 'stale',
      reason: 'no-recent-sample',
      message: `newest reading is ${seconds(silentMs)} old (over ${held ? `${offlineAfter} intervals; ${held}` : `${staleAfter} intervals`})${cause}`,
    });
  }
  return withAge({ state: 'fresh', reason: 'sampled', message: `read ${seconds(silentMs)} ago` });
}

/**
 * When classifyDevice would next give another state or message if nothing new were observed, so that a
 * caller can look again then; undefined once nothing but a new observation can change it.
 */
export function nextChangeAt(obs: DeviceObservation, now: number, opts: StateOptions): number | undefined {
  const limit = thresholds(obs, opts);
  const base = obs.lastReadingAt ?? obs.since;
  // The thresholds are exceeded strictly, hence the millisecond after each.
  // A device never read is stale from the start.
  const silences = obs.lastReadingAt === undefined ? [limit.intervals, limit.offline] : [limit.stale, limit.intervals, limit.offline];
  const next = silences.map((ms) => base + ms + 1).filter((at) => at > now);
  return next.length ? Math.min(...next) : undefined;
}

/** Age in milliseconds of every figure a device has, for display next to each number. */
export function figureAges(figures: DeviceFigures, now: number): Partial<Record<keyof DeviceFigures, number>> {
  const out: Partial<Record<keyof DeviceFigures, number>> = {};
  for (const [k, v] of Object.entries(figures) as [keyof DeviceFigures, { at: number } | undefined][]) {
    if (v) out[k] = Math.max(0, now - v.at);
  }
  return out;
}

export const countsAsOnline = (state: DeviceState): boolean => state !== 'offline';

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
