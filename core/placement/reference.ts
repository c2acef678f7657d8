import { describeTieBreak, explain } from './explain.js';
import { CORDONED, finite, Measure, measure, METRICS_STALE, OFFLINE, prepareApp } from './measure.js';
import { describeCurves, resolveSettings } from './settings.js';
import { suggestFixes } from './suggest.js';
import type { Evaluated } from './rank.js';
import type { Candidate, DeviceSnapshot, PlacementOptions, PlacementRequirements, PlacementResult, PlacementWarning } from './types.js';
import { formatBytes } from './units.js';


const UNAVAILABLE = OFFLINE | METRICS_STALE | CORDONED;

// The object path: ranking straight from DeviceSnapshot objects, every candidate explained eagerly. It
// was rankDevices before the columnar table (rank.ts, table.ts); it stays as the reference the table
// path is checked against (test/unit/core/placement/table.test.ts) and as a figure in
// bench/placement-scale.ts. Not used by the hub.

/**
 * Rank every device for one app. Pure and deterministic: the same inputs give the same result, a
 * device's scores depend only on that device and the app, and the input order does not matter.
 * Device ids must be unique (parseSnapshot checks files; the hub's ids are keys): checking here would
 * cost more than the ranking itself on a large fleet.
 *
 * One pass measures and explains each device (numbers into typed arrays, the explained candidate built
 * once); the order is a counting sort on the total in hundredths, so that ranking a large fleet costs
 * little more than building its candidates.
 */
export function rankDevicesByObjects(app: PlacementRequirements, devices: readonly DeviceSnapshot[], options: PlacementOptions = {}): PlacementResult {
  const settings = resolveSettings(app, options);
  const prepared = prepareApp(app, settings);
  const n = devices.length;
  const flags = new Uint16Array(n);
  const reasonCount = new Uint32Array(n);
  const cents = new Int32Array(n);
  const headroom = new Float64Array(n);
  const images = new Uint32Array(n);
  // RAM available on devices that could take an app at all (online, fresh, not cordoned), and the
  // largest installed app, for the warning; gathered in the same pass while each device is at hand.
  const available = new Float64Array(n);
  const largest = { id: '', memoryBytes: 0, home: -1 };
  const explained = new Array<Candidate>(n);
  const m = new Measure();
  let best = -1;
  for (let i = 0; i < n; i++) {
    const d = devices[i]!;
    measure(d, prepared, settings, m);
    explained[i] = explain(d, prepared, settings, m);
    const f = m.flags;
    flags[i] = f;
    reasonCount[i] = m.reasonCount;
    headroom[i] = finite(m.memoryAvailable - m.memoryNeed);
    available[i] = (f & UNAVAILABLE) === 0 ? m.memoryAvailable : NaN;
    const apps = d.apps;
    if (apps) for (let k = 0; k < apps.length; k++) if (apps[k]!.id !== prepared.id) considerLargest(largest, apps[k]!.id, apps[k]!.memoryBytes, i);
    const rs = d.reservations;
    for (let k = 0; k < rs.length; k++) if (rs[k]!.app !== prepared.id) considerLargest(largest, rs[k]!.app, rs[k]!.memoryBytes, i);
    if (f === 0) {
      const c = Math.round(m.total * 100);
      cents[i] = c;
      images[i] = m.imagesPresent;
      if (best < 0 || before(i, best, cents, headroom, images, devices)) best = i;
    }
  }

  const order = sortOrder(n, flags, cents, reasonCount, headroom, images, devices);
  const candidates = new Array<Candidate>(n);
  for (let k = 0; k < n; k++) candidates[k] = explained[order[k]!]!;

  const warnings: PlacementWarning[] = [];
  let suggestions: PlacementResult['suggestions'] = [];
  let tieBreak: string | null = null;
  if (best >= 0) {
    const w = largestAppWarning(devices, best, headroom[best]!, available, largest);
    if (w) warnings.push(w);
    // The runner-up is the next in the order; a tie is an equal total.
    const second = n > 1 && flags[order[1]!] === 0 ? order[1]! : -1;
    if (second >= 0 && cents[second] === cents[best]) {
      let tied = 0;
      for (let i = 0; i < n; i++) if (flags[i] === 0 && cents[i] === cents[best]) tied++;
      tieBreak = describeTieBreak(devices[best]!.id, devices[second]!.id, tied, explained[best]!.total!, headroom, images, best, second);
    }
  } else if (n === 0) {
    warnings.push({ code: 'NO_DEVICES', message: 'There are no devices to rank: the inventory (or snapshot) is empty.' });
  } else {
    const mm = new Measure();
    const evaluated = new Array<Evaluated>(n);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      measure(devices[i]!, prepared, settings, mm);
      evaluated[k] = {
        candidate: candidates[k]!,
        device: devices[i]!,
        memoryAvailable: mm.memoryAvailable,
        storageAvailable: mm.storageAvailable,
        memoryNeed: mm.memoryNeed,
        storageNeed: prepared.diskNeed,
      };
    }
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
    candidates,
    suggestions,
    warnings,
  };
}

/** Does eligible device i come before eligible device j: higher total, RAM headroom, images present, then lower id. */
function before(i: number, j: number, cents: Int32Array, headroom: Float64Array, images: Uint32Array, devices: readonly DeviceSnapshot[]): boolean {
  if (cents[i] !== cents[j]) return cents[i]! > cents[j]!;
  if (headroom[i] !== headroom[j]) return headroom[i]! > headroom[j]!;
  if (images[i] !== images[j]) return images[i]! > images[j]!;
  return devices[i]!.id < devices[j]!.id;
}

/**
 * Best first: eligible by total, RAM headroom, images present, id; then disqualified by fewest reasons,
 * then id. A total order, so the result does not depend on the input order. As the reference this is
 * the plain comparator sort of the specification (stable, from id order), not the counting sort of
 * rank.ts, so that the property tests check the fast order against an independent one.
 */
function sortOrder(
  n: number,
  flags: Uint16Array,
  cents: Int32Array,
  reasonCount: Uint32Array,
  headroom: Float64Array,
  images: Uint32Array,
  devices: readonly DeviceSnapshot[],
): Int32Array {
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const x = devices[a]!.id;
    const y = devices[b]!.id;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  order.sort((i, j) => {
    const ei = flags[i] === 0;
    const ej = flags[j] === 0;
    if (ei !== ej) return ei ? -1 : 1;
    if (!ei) return reasonCount[i]! - reasonCount[j]!;
    if (cents[i] !== cents[j]) return cents[j]! - cents[i]!;
    if (headroom[i] !== headroom[j]) return headroom[j]! - headroom[i]!;
    return images[j]! - images[i]!;
  });
  return Int32Array.from(order);
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
