// The parts of a ranking that do not depend on the app, for the table to keep per row: the CPU, load
// and reliability scores summed as one contribution in hundredths (they depend on the device and on
// the weights and curves only), and the unavailability checks (offline, metrics older than the
// freshness limit, cordoned). rank.ts adds the app's part (RAM, storage, the app's checks).
//
// Contributions in hundredths: each contribution is round2(score·weight/sum) = k/100, and the total is
// round2 of their sum, i.e. Math.round(100·Σ) = Σk exactly (the float error of five sums of k/100
// values up to 100 is far below a half); so totals are sums of integers, in any order.
import { CORDONED, METRICS_STALE, OFFLINE, round2 } from './measure.js';
import type { Settings } from './settings.js';

const MAX = Number.MAX_VALUE;

/** The contribution in hundredths of every score 0.0–100.0, by tenths, for one weight and weight sum. */
const tables = new Map<string, Int32Array>();

/** round2(score·weight/sum)·100 as an integer, for every score in tenths 0–1000 (cached by weight and sum). */
export function centsTable(weight: number, sum: number): Int32Array {
  const key = `${weight}/${sum}`;
  let t = tables.get(key);
  if (t === undefined) {
    t = new Int32Array(1001);
    for (let k = 0; k <= 1000; k++) t[k] = Math.round(round2(((k / 10) * weight) / sum) * 100);
    if (tables.size >= 256) tables.clear();
    tables.set(key, t);
  }
  return t;
}

/** The contribution in hundredths of a score given in tenths (a table lookup inside 0–1000). */
export function cents(tenths: number, table: Int32Array, weight: number, sum: number): number {
  return tenths >= 0 && tenths <= 1000 ? table[tenths]! : Math.round(round2(((tenths / 10) * weight) / sum) * 100);
}

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
  private readonly cpuTable: Int32Array;
  private readonly loadTable: Int32Array;
  private readonly reliabilityTable: Int32Array;
  private readonly unknownPerCore: number;
  private readonly cpuReference: number;
  private readonly loadCapacity: number;
  private readonly loadUnknownTenths: number;
  private readonly reliabilityUnknownTenths: number;
  private readonly w: Settings['weights'];
  private readonly sum: number;

  constructor(s: Settings, key = staticKey(s)) {
    this.key = key;
    const w = s.weights;
    const c = s.curves;
    this.w = { ...w };
    this.sum = s.weightSum;
    this.cpuTable = centsTable(w.cpu, s.weightSum);
    this.loadTable = centsTable(w.load, s.weightSum);
    this.reliabilityTable = centsTable(w.reliability, s.weightSum);
    this.unknownPerCore = c.cpu.unknownPerCoreScore;
    this.cpuReference = c.cpu.reference;
    this.loadCapacity = c.load.perCoreCapacity;
    this.loadUnknownTenths = Math.round(10 * c.load.unknownScore);
    this.reliabilityUnknownTenths = Math.round(10 * c.reliability.unknownScore);
  }

  /**
   * CPU + load + reliability contributions of row i, in hundredths. Each score is round1(100·clamp01(v))
   * = Math.round(10·(100·clamp01(v)))/10 (measure.ts), so its tenths index the tables; the helpers of
   * measure.ts (finite, clamp01) are written out.
   */
  row(cols: StaticColumns, i: number): number {
    const cores = cols.cores[i]!;
    const pc = cols.perCore[i]!;
    let cpuValue = cores * (pc > 0 ? pc : this.unknownPerCore);
    cpuValue = cpuValue > MAX ? MAX : cpuValue < -MAX ? -MAX : cpuValue;
    const ref = this.cpuReference;
    let v = ref > 0 && cpuValue >= ref ? 1 : cpuValue / ref;
    v = v < 0 ? 0 : v > 1 ? 1 : v === v ? v : 0;
    const cpu = Math.round(10 * (100 * v));
    const l = cols.load1[i]!;
    v = l / (cores * this.loadCapacity);
    v = v < 0 ? 0 : v > 1 ? 1 : v === v ? v : 0;
    const load = l !== l || cores === 0 ? this.loadUnknownTenths : Math.round(10 * (100 * (1 - v)));
    const a = cols.availability[i]!;
    v = a < 0 ? 0 : a > 1 ? 1 : a === a ? a : 0;
    const reliability = a !== a ? this.reliabilityUnknownTenths : Math.round(10 * (100 * v));
    const w = this.w;
    return (
      cents(cpu, this.cpuTable, w.cpu, this.sum) + cents(load, this.loadTable, w.load, this.sum) + cents(reliability, this.reliabilityTable, w.reliability, this.sum)
    );
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
