// The parts of a ranking that do not depend on the app, for the table to keep per row: the CPU, load
// and reliability scores summed as one contribution in hundredths (they depend on the device and on
// the weights and curves only), and the unavailability checks (offline, metrics older than the
// freshness limit, cordoned). rank.ts adds the app's part (RAM, storage, the app's checks).
//
// The CPU + load + reliability part is (cpu·f_cpu + load·f_load) + reliability·f_reliability with the
// exact scores and the factors of measure.ts (weight / Σweights): the same doubles, added in the same
// order, as measure() adds them, so a total worked out from the kept part equals measure()'s to the bit.
import { CORDONED, factors, METRICS_STALE, OFFLINE } from './measure.js';
import type { Settings } from './settings.js';

const MAX = Number.MAX_VALUE;

/** What the app-independent scores depend on: equal keys give equal scores for every row. */
export function staticKey(s: Settings): string {
  const w = s.weights;
  const c = s.curves;
  return `${w.cpu},${w.load},${w.reliability},${s.weightSum};${c.cpu.reference},${c.cpu.unknownPerCoreScore};${c.load.perCoreCapacity},${c.load.unknownScore};${c.reliability.unknownScore}`;
}

/** The columns a row's static scores read. */
export interface StaticColumns {
  cores: Float64Array;
  perCore: Float64Array;
  load1: Float64Array;
  availability: Float64Array;
}

/** CPU, load and reliability scores of one group of settings, prepared once. */
export class StaticScorer {
  readonly key: string;
  private readonly unknownPerCore: number;
  private readonly cpuReference: number;
  private readonly loadCapacity: number;
  private readonly loadUnknown: number;
  private readonly reliabilityUnknown: number;
  private readonly fCpu: number;
  private readonly fLoad: number;
  private readonly fReliability: number;

  constructor(s: Settings, key = staticKey(s)) {
    this.key = key;
    const c = s.curves;
    const f = factors(s);
    this.fCpu = f[2]!;
    this.fLoad = f[3]!;
    this.fReliability = f[4]!;
    this.unknownPerCore = c.cpu.unknownPerCoreScore;
    this.cpuReference = c.cpu.reference;
    this.loadCapacity = c.load.perCoreCapacity;
    this.loadUnknown = c.load.unknownScore;
    this.reliabilityUnknown = c.reliability.unknownScore;
  }

  /**
   * CPU + load + reliability contributions of row i (total points, unrounded), as measure.ts works
   * them out; its helpers (finite, clamp01) are written out.
   */
  row(cols: StaticColumns, i: number): number {
    const cores = cols.cores[i]!;
    const pc = cols.perCore[i]!;
    let cpuValue = cores * (pc > 0 ? pc : this.unknownPerCore);
    cpuValue = cpuValue > MAX ? MAX : cpuValue < -MAX ? -MAX : cpuValue;
    let v = cpuValue / this.cpuReference;
    v = v < 0 ? 0 : v > 1 ? 1 : v === v ? v : 0;
    const cpu = 100 * v;
    const l = cols.load1[i]!;
    v = l / (cores * this.loadCapacity);
    v = v < 0 ? 0 : v > 1 ? 1 : v === v ? v : 0;
    const load = l !== l || cores === 0 ? this.loadUnknown : 100 * (1 - v);
    const a = cols.availability[i]!;
    v = a < 0 ? 0 : a > 1 ? 1 : a === a ? a : 0;
    const reliability = a !== a ? this.reliabilityUnknown : 100 * v;
    return cpu * this.fCpu + load * this.fLoad + reliability * this.fReliability;
  }
}

/** Offline, stale beyond `limit` seconds, cordoned: the flags of one row, and their count in bits 8+. */
export function availabilityBits(online: number, age: number, cordoned: number, limit: number): number {
  let f = 0;
  let reasons = 0;
  if (online === 0) {
    f |= OFFLINE;
    reasons++;
  }
  if (!(age <= limit)) {
    f |= METRICS_STALE;
    reasons++;
  }
  if (cordoned !== 0) {
    f |= CORDONED;
    reasons++;
  }
  return f | (reasons << 8);
}

/**
 * The metrics age in whole seconds at `now` of a sample taken at `sampledAtMs` (both ms since the
 * epoch): what a snapshot's metricsAgeSeconds would say if it were taken at `now`; 0 for a sample
 * stamped in the future.
 */
export function ageAt(sampledAtMs: number, now: number): number {
  return Math.max(0, Math.round((now - sampledAtMs) / 1000));
}

/**
 * A time before which a sample taken at `sampledAtMs` is surely no older than `limit` (its age, whole
 * seconds, is at most floor(limit) while now − sampledAtMs < (floor(limit) + 0.5) s); 1 ms early, so
 * that a rounding of the division never keeps a stale row fresh.
 */
export function staleFrom(sampledAtMs: number, limit: number): number {
  return sampledAtMs + 1000 * Math.floor(limit) + 499;
}
