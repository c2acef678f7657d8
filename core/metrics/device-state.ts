// Whether a device's figures can be trusted right now, decided from the age of its newest reading.
// Pure: the poller feeds it observations and the current time.
import type { DeviceFigures, DeviceState, DeviceStatus } from './types.js';

export interface StateOptions {
  /** The device's normal poll interval (not the faster one used while someone watches it). */
  intervalMs: number;
  /** No reading for this many intervals makes a device stale. Default 3. */
  staleAfterIntervals?: number;
  /** No reading for this many intervals makes it offline. Default 6. */
  offlineAfterIntervals?: number;
}

export interface DeviceObservation {
  /** When the hub started watching this device (ages count from here until a first reading). */
  since: number;
  lastReadingAt?: number;
  /** The newest failed attempt, if it is newer than the newest reading. */
  lastFailure?: { at: number; code: string; message: string };
}

export const DEFAULT_STALE_AFTER_INTERVALS = 3;
export const DEFAULT_OFFLINE_AFTER_INTERVALS = 6;

export function classifyDevice(obs: DeviceObservation, now: number, opts: StateOptions): DeviceStatus {
  const staleAfter = opts.staleAfterIntervals ?? DEFAULT_STALE_AFTER_INTERVALS;
  const offlineAfter = Math.max(staleAfter, opts.offlineAfterIntervals ?? DEFAULT_OFFLINE_AFTER_INTERVALS);
  const ageMs = obs.lastReadingAt === undefined ? undefined : Math.max(0, now - obs.lastReadingAt);
  const silentMs = Math.max(0, now - (obs.lastReadingAt ?? obs.since));
  const failure = obs.lastFailure && (obs.lastReadingAt === undefined || obs.lastFailure.at > obs.lastReadingAt) ? obs.lastFailure : undefined;
  const withAge = (s: Omit<DeviceStatus, 'ageMs'>): DeviceStatus => (ageMs === undefined ? s : { ...s, ageMs });
  const cause = failure ? `; last attempt: ${failure.message}` : '';

  // Refused credentials will not fix themselves; waiting out the intervals would only hide that.
  if (failure?.code === 'WARREN_ERR_AUTH_FAILED') {
    return withAge({ state: 'offline', reason: 'auth-failed', message: `credentials refused: ${failure.message}` });
  }
  if (silentMs > offlineAfter * opts.intervalMs) {
    return withAge({
      state: 'offline',
      reason: obs.lastReadingAt === undefined ? 'no-sample-yet' : 'no-recent-sample',
      message: `no reading for ${seconds(silentMs)} (over ${offlineAfter} intervals)${cause}`,
    });
  }
  if (obs.lastReadingAt === undefined) {
    return { state: 'stale', reason: 'no-sample-yet', message: `waiting for a first reading${cause}` };
  }
  if (silentMs > staleAfter * opts.intervalMs) {
    return withAge({
      state: 'stale',
      reason: 'no-recent-sample',
      message: `newest reading is ${seconds(silentMs)} old (over ${staleAfter} intervals)${cause}`,
    });
  }
  return withAge({ state: 'fresh', reason: 'sampled', message: `read ${seconds(silentMs)} ago` });
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
