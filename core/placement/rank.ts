import { explain } from './explain.js';
import { CORDONED, Measure, measure, METRICS_STALE, OFFLINE, prepareApp } from './measure.js';
import { describeCurves, resolveSettings } from './settings.js';
import { suggestFixes } from './suggest.js';
import type { Candidate, DeviceSnapshot, PlacementOptions, PlacementRequirements, PlacementResult, PlacementWarning } from './types.js';
import { formatBytes } from './units.js';

/** A candidate plus the figures the suggestions need. */
export interface Evaluated {
  candidate: Candidate;
  device: DeviceSnapshot;
  /** RAM available to this app after reservations and the reserve (may be negative). */
  memoryAvailable: number;
  storageAvailable: number;
  /** App memory plus any dedicated database servers on this device. */
  memoryNeed: number;
  storageNeed: number;
}

const UNAVAILABLE = OFFLINE | METRICS_STALE | CORDONED;

/**
 * Rank every device for one app. Pure and deterministic: the same inputs give the same result, a
 * device's scores depend only on that device and the app, and the input order does not matter.
 * Device ids must be unique (parseSnapshot checks files; the hub's ids are keys): checking here would
 * cost more than the ranking itself on a large fleet.
 *
 * The decision (recommendation, tie-break, warnings) is made from numbers in one pass. The explained,
 * ordered `candidates` list is built the first time it is read (JSON.stringify, iteration, spread
 * all read it), so a caller that only needs the decision does not pay for ten thousand explanations.
 */
export function rankDevices(app: PlacementRequirements, devices: readonly DeviceSnapshot[], options: PlacementOptions = {}): PlacementResult {
  const settings = resolveSettings(app, options);
  const prepared = prepareApp(app);
  const n = devices.length;
  const flags = new Uint16Array(n);
  const reasonCount = new Uint16Array(n);
  const total = new Float64Array(n);
  const headroom = new Float64Array(n);
  const images = new Uint16Array(n);
  // RAM available on devices that could take an app at all (online, fresh, not cordoned), and the
  // largest installed app, for the warning; gathered in the same pass while each device is at hand.
  const available = new Float64Array(n);
  const largest = { id: '', memoryBytes: 0, home: -1 };
  const m = new Measure();
  for (let i = 0; i < n; i++) {
    const d = devices[i]!;
    measure(d, prepared, settings, m, true);
    flags[i] = m.flags;
    available[i] = (m.flags & UNAVAILABLE) === 0 ? m.memoryAvailable : NaN;
    if (d.apps) for (const a of d.apps) if (a.id !== prepared.id) considerLargest(largest, a.id, a.memoryBytes, i);
    for (const r of d.reservations) if (r.app !== prepared.id) considerLargest(largest, r.app, r.memoryBytes, i);
    if (m.flags !== 0) continue;
    total[i] = m.total;
    headroom[i] = m.memoryAvailable - m.memoryNeed;
    images[i] = m.imagesPresent;
  }

  // Eligible first by total, then RAM headroom, then images present, then id; disqualified by fewest
  // reasons, then id. A total order, so the result does not depend on the input order.
  const compare = (i: number, j: number): number => {
    const ei = flags[i] === 0;
    if (ei !== (flags[j] === 0)) return ei ? -1 : 1;
    if (ei) {
      if (total[i] !== total[j]) return total[j]! - total[i]!;
      if (headroom[i] !== headroom[j]) return headroom[j]! - headroom[i]!;
      if (images[i] !== images[j]) return images[j]! - images[i]!;
    } else if (reasonCount[i] !== reasonCount[j]) return reasonCount[i]! - reasonCount[j]!;
    const a = devices[i]!.id;
    const b = devices[j]!.id;
    return a < b ? -1 : a > b ? 1 : 0;
  };

  let best = -1;
  let second = -1;
  for (let i = 0; i < n; i++) {
    if (flags[i] !== 0) continue;
    if (best < 0 || compare(i, best) < 0) {
      second = best;
      best = i;
    } else if (second < 0 || compare(i, second) < 0) second = i;
  }

  // One measure per device for the explanation, which also gives the reason counts the order needs.
  let materialized: { order: number[]; candidates: Candidate[] } | undefined;
  const materialize = (): { order: number[]; candidates: Candidate[] } => {
    if (materialized) return materialized;
    const mm = new Measure();
    const explained = new Array<Candidate>(n);
    for (let i = 0; i < n; i++) {
      const d = devices[i]!;
      measure(d, prepared, settings, mm);
      reasonCount[i] = mm.reasonCount;
      explained[i] = explain(d, prepared, settings, mm);
    }
    const order = Array.from({ length: n }, (_, i) => i).sort(compare);
    materialized = { order, candidates: order.map((i) => explained[i]!) };
    return materialized;
  };

  const warnings: PlacementWarning[] = [];
  let suggestions: PlacementResult['suggestions'] = [];
  let tieBreak: string | null = null;
  if (best >= 0) {
    const w = largestAppWarning(devices, best, headroom[best]!, available, largest);
    if (w) warnings.push(w);
    if (second >= 0 && total[second] === total[best]) {
      let tied = 0;
      for (let i = 0; i < n; i++) if (flags[i] === 0 && total[i] === total[best]) tied++;
      tieBreak = describeTieBreak(devices[best]!.id, devices[second]!.id, tied, total[best]!, headroom, images, best, second);
    }
  } else if (n > 0) {
    const { order, candidates } = materialize();
    const mm = new Measure();
    const evaluated = order.map((i, k): Evaluated => {
      measure(devices[i]!, prepared, settings, mm);
      return {
        candidate: candidates[k]!,
        device: devices[i]!,
        memoryAvailable: mm.memoryAvailable,
        storageAvailable: mm.storageAvailable,
        memoryNeed: mm.memoryNeed,
        storageNeed: prepared.diskNeed,
      };
    });
    suggestions = suggestFixes(evaluated, prepared.id, prepared.ports);
    if (suggestions.length === 0) {
      warnings.push({
        code: 'NO_FIX',
        message: "No device qualifies, and no simple change (stopping apps, uncordoning, freeing a port) would make one fit; see each device's reasons.",
      });
    }
  }

  return {
    recommended: best >= 0 ? devices[best]!.id : null,
    weights: settings.weights,
    curves: describeCurves(settings.curves),
    freshnessLimitSeconds: settings.freshnessLimitSeconds,
    tieBreak,
    get candidates(): Candidate[] {
      return materialize().candidates;
    },
    suggestions,
    warnings,
  };
}

function describeTieBreak(
  a: string,
  b: string,
  tied: number,
  at: number,
  headroom: Float64Array,
  images: Uint16Array,
  ia: number,
  ib: number,
): string {
  const lead = `${tied} devices tie at ${at.toFixed(2)}`;
  if (headroom[ia] !== headroom[ib]) {
    return `${lead}; RAM headroom: ${a} keeps ${formatBytes(headroom[ia]!)} free after the app, ${b} ${formatBytes(headroom[ib]!)}`;
  }
  if (images[ia] !== images[ib]) {
    return `${lead} with equal RAM headroom; image present: ${a} already has ${images[ia]} of the app's images, ${b} ${images[ib]}`;
  }
  return `${lead} with equal RAM headroom and images present; device id: ${a} sorts before ${b}`;
}

function considerLargest(largest: { id: string; memoryBytes: number; home: number }, id: string, memoryBytes: number, i: number): void {
  if (memoryBytes > largest.memoryBytes || (memoryBytes === largest.memoryBytes && memoryBytes > 0 && id < largest.id)) {
    largest.id = id;
    largest.memoryBytes = memoryBytes;
    largest.home = i;
  }
}

/**
 * After the app lands on the recommended device, can some other device still take the largest
 * installed app (by memory) if its own device fails? Warn when this placement takes the last such
 * room; a lab that never had it (a single device) is not warned on every placement.
 */
function largestAppWarning(
  devices: readonly DeviceSnapshot[],
  best: number,
  bestHeadroom: number,
  available: Float64Array,
  largest: { id: string; memoryBytes: number; home: number },
): PlacementWarning | undefined {
  if (largest.home < 0) return undefined;
  let before = false;
  let after = false;
  for (let i = 0; i < devices.length; i++) {
    // NaN (unavailable devices) compares false.
    if (i === largest.home) continue;
    if (available[i]! >= largest.memoryBytes) before = true;
    if ((i === best ? bestHeadroom : available[i]!) >= largest.memoryBytes) after = true;
  }
  if (after || !before) return undefined;
  return {
    code: 'LARGEST_APP_HOMELESS',
    message:
      `Placing on ${devices[best]!.id} leaves no other device able to host ${largest.id} ` +
      `(${formatBytes(largest.memoryBytes)}, the largest installed app, now on ${devices[largest.home]!.id}) if its device fails.`,
  };
}
