// Ranking over the columnar inventory (table.ts). The decision (every check and the five scores of
// every device, the recommendation, the runner-up and tie-break, the warnings) is one pass over typed
// arrays. What does not depend on the app is kept by the table between rankings (row-scores.ts): the
// CPU + load + reliability contributions in hundredths for the last weights and curves, the offline /
// stale / cordoned flags for the last freshness limit, free RAM and storage, the largest installed app
// per placed app id. Per ranking remain each distinct combination of lists (platforms, device paths,
// ports, images, database servers), judged once; per row the RAM and storage checks and scores (for
// eligible rows only) and the sum, in integer hundredths.
// The rest of the result is complete but built when read: the full order (a counting sort over the
// histograms the pass counted; placementOrder gives it as row indexes) and the candidate list, made on
// first access of `candidates`, one small candidate per device, whose criteria, reasons, database
// plans and notes are worked out from the device's snapshot by measure/explain (the same code as the
// object path in reference.ts) the first time they are read; JSON.stringify gives the full shape.
import { describeTieBreak, explain } from './explain.js';
import {
  hasPath,
  hasPort,
  factors,
  Measure,
  measure,
  planDatabases,
  prepareApp,
  runsPlatform,
  type PreparedApp,
} from './measure.js';
import { normalizeImageRef } from './platform.js';
import { describeCurves, resolveSettings, type Settings } from './settings.js';
import { suggestFixes } from './suggest.js';
import { ageAt } from './row-scores.js';
import { simdModule, simdOrder, simdPass, simdRanker } from './simd.js';
import { DeviceTable } from './table.js';
import type {
  Candidate,
  Criterion,
  CriterionResult,
  DatabasePlan,
  DeviceSnapshot,
  PlacementOptions,
  PlacementRequirements,
  PlacementResult,
  PlacementWarning,
  Reason,
} from './types.js';
import { formatBytes } from './units.js';

/** A candidate plus the figures the suggestions need. */
export interface Evaluated {
  candidate: Candidate;
  device: DeviceSnapshot;
  /** RAM available to this app after reservations and the reserve (may be negative). */
  memoryAvailable: number;
  storageAvailable: number;
  /** App memory plus any database servers it brings onto this device. */
  memoryNeed: number;
  storageNeed: number;
}

/**
 * Histogram sizes of the order's counting sort: totals in hundredths 0–10000 (one more for a float
 * error) and reason counts 0–63. A figure outside (not expected)
 * makes the order take the general sort.
 */
const TOTAL_BUCKETS = 10002;
const REASON_BUCKETS = 64;
const MAX = Number.MAX_VALUE;

/**
 * Rank every device for one app. Pure and deterministic: the same inputs give the same result, a
 * device's scores depend only on that device and the app, and the input order does not matter.
 * `devices` is a list of snapshots (a table is built from it) or a DeviceTable the caller keeps.
 * Device ids must be unique (parseSnapshot checks files; the hub's ids are keys; a table keys rows by
 * id).
 *
 * The result's `candidates` are built when first read and explain themselves when read (see the file
 * comment); they describe the devices as they were when ranked, even if a kept table changes later.
 */
export function rankDevices(app: PlacementRequirements, devices: readonly DeviceSnapshot[] | DeviceTable, options: PlacementOptions = {}): PlacementResult {
  return rankTable(app, devices instanceof DeviceTable ? devices : DeviceTable.from(devices), options);
}

/** rankDevices over a kept table. */
export function rankTable(app: PlacementRequirements, table: DeviceTable, options: PlacementOptions = {}): PlacementResult {
  const settings = resolveSettings(app, options);
  const prepared = prepareApp(app, settings);
  const n = table.size;
  const s = new Ranked(table, prepared, settings);
  const { cents } = s;

  // Each distinct list, judged once.
  const platformRuns = judge(table.platforms.values, prepared.platforms === null ? () => 1 : (p) => (runsPlatform(p, prepared) ? 1 : 0));
  const required = prepared.requiredPaths;
  const pathsMissing = judge(table.pathSets.values, (p) => {
    let k = 0;
    for (let i = 0; i < required.length; i++) if (!hasPath(p, required[i]!)) k++;
    return k;
  });
  const wantedPorts = prepared.ports;
  const portsTaken = judge(table.portSets.values, (p) => {
    let k = 0;
    for (let i = 0; i < wantedPorts.length; i++) if (hasPort(p, wantedPorts[i]!)) k++;
    return k;
  });
  const imagesFound = judge(table.imageSets.values, (p) => {
    if (prepared.images.size === 0) return 0;
    let k = 0;
    for (let i = 0; i < p.images.length; i++) if (prepared.images.has(normalizeImageRef(p.images[i]!))) k++;
    return k;
  });
  const scratch = new Measure();
  const dbMemory = new Float64Array(table.databaseSets.size);
  if (prepared.databases.length > 0) {
    const sets = table.databaseSets.values;
    for (let k = 0; k < sets.length; k++) dbMemory[k] = planDatabases(sets[k]!, prepared, settings, scratch);
  }
  // Rows where the app's own reservation must be left out of the sums.
  const own = table.rowsReservedFor(prepared.id);
  const ownMemory = own ? new Map<number, [number, number]>() : undefined;
  if (own) {
    for (const i of own) {
      let mem = 0;
      let sto = 0;
      for (const r of table.snapshots[i]!.reservations) {
        if (r.app === prepared.id) continue;
        mem += r.memoryBytes;
        sto += r.storageBytes;
      }
      // RAM and storage available to the app on this row, clamped finite (as measure.ts).
      const memAvail = table.memAvailable[i]! - table.memReserve[i]! - mem;
      const stoAvail = table.storageAvailable[i]! - table.storageReserve[i]! - sto;
      ownMemory!.set(i, [memAvail > MAX ? MAX : memAvail < -MAX ? -MAX : memAvail, stoAvail > MAX ? MAX : stoAvail < -MAX ? -MAX : stoAvail]);
    }
  }

  // Each distinct combination of the five lists: its reason count (architecture, device paths, ports),
  // images present and the memory of the database servers it would bring.
  const parts = table.comboParts;
  const combos = parts.length / 5;
  const comboReasons = new Uint16Array(combos);
  const comboImages = new Uint32Array(combos);
  const comboDedicated = new Float64Array(combos);
  for (let k = 0, p = 0; k < combos; k++, p += 5) {
    const reasons = (platformRuns[parts[p]!] === 0 ? 1 : 0) + pathsMissing[parts[p + 1]!]! + portsTaken[parts[p + 2]!]!;
    comboReasons[k] = Math.min(reasons, 0xffff);
    comboImages[k] = imagesFound[parts[p + 3]!]!;
    comboDedicated[k] = dbMemory.length > 0 ? dbMemory[parts[p + 4]!]! : 0;
  }
  s.comboImages = comboImages;
  s.own = ownMemory;
  const judged = { comboReasons, comboImages, comboDedicated, ownMemory };
  const ex = simdRanker(n);
  const pass = ex !== null ? scoreRowsSimd(ex, table, n, prepared, judged, s) : scoreRows(table, n, prepared, judged, s);
  const { best, second } = pass;
  s.minCents = pass.minCents;
  s.maxCents = pass.maxCents;
  s.maxReasons = pass.maxReasons;
  s.eligibleCount = pass.eligible;
  const ids = s.ids;

  const warnings: PlacementWarning[] = [];
  let suggestions: PlacementResult['suggestions'] = [];
  let tieBreak: string | null = null;
  if (best >= 0) {
    const warning = largestAppWarning(ids, best, s.headroomOf(best), pass);
    if (warning) warnings.push(warning);
    // The runner-up is the next in the order (the best eligible row after `best`); a tie is an equal total.
    if (second >= 0 && cents[second] === cents[best]) {
      let tied = 0;
      for (let i = 0; i < n; i++) if (cents[i] === cents[best]) tied++;
      const headroom = Float64Array.of(s.headroomOf(best), s.headroomOf(second));
      tieBreak = describeTieBreak(ids[best]!, ids[second]!, tied, cents[best]! / 100, headroom, Uint32Array.of(s.imagesOf(best), s.imagesOf(second)), 0, 1);
    }
  } else if (n === 0) {
    warnings.push({ code: 'NO_DEVICES', message: 'There are no devices to rank: the inventory (or snapshot) is empty.' });
  } else {
    const candidates = s.candidates();
    const mm = new Measure();
    const evaluated = new Array<Evaluated>(n);
    const order = s.sorted();
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const d = s.snapshot(i);
      measure(d, prepared, settings, mm);
      evaluated[k] = { candidate: candidates[k]!, device: d, memoryAvailable: mm.memoryAvailable, storageAvailable: mm.storageAvailable, memoryNeed: mm.memoryNeed, storageNeed: prepared.diskNeed };
    }
    suggestions = suggestFixes(evaluated, prepared.id, prepared.ports);
    if (suggestions.length === 0) {
      warnings.push({
        code: 'NO_FIX',
        message: "No device qualifies, and no simple change (stopping apps, uncordoning, freeing a port) would make one fit; see each device's reasons.",
      });
    }
  }

  const result = {
    recommended: best >= 0 ? ids[best]! : null,
    weights: settings.weights,
    curves: describeCurves(settings.curves),
    freshnessLimitSeconds: settings.freshnessLimitSeconds,
    tieBreak,
  } as PlacementResult;
  // An own, enumerable accessor in its place in the key order: JSON.stringify, spreading and deep
  // comparisons all see the list; it is built on first read.
  Object.defineProperty(result, 'candidates', {
    get: () => s.candidates(),
    set: (v: Candidate[]) => Object.defineProperty(result, 'candidates', { value: v, writable: true, enumerable: true, configurable: true }),
    enumerable: true,
    configurable: true,
  });
  result.suggestions = suggestions;
  result.warnings = warnings;
  rankings.set(result, s);
  return result;
}

const rankings = new WeakMap<PlacementResult, Ranked>();

/** A result's order as indexes: what reading the ordered list needs, without a candidate object per device. */
export interface PlacementOrder {
  /** Rows best first: eligible by total, RAM headroom, images present, id; then disqualified by fewest reasons, id. */
  readonly rows: Int32Array;
  /** Device id of each row (as ranked). */
  readonly ids: readonly string[];
  /** The first `eligible` rows of the order are the eligible devices. */
  readonly eligible: number;
  /** Total in hundredths of each row (meaningful for eligible rows). */
  readonly cents: Int32Array;
}

/**
 * The order of a result of rankDevices / rankTable (sorted on first use, shared with its candidate
 * list): candidates[k] is the device of row rows[k]. For callers that read the order of a large fleet
 * without the candidate objects.
 */
export function placementOrder(result: PlacementResult): PlacementOrder {
  const s = rankings.get(result);
  if (s === undefined) throw new Error('placementOrder: not a result of rankDevices or rankTable');
  return { rows: s.sorted(), ids: s.ids, eligible: s.eligibleCount, cents: s.cents };
}

interface Judged {
  comboReasons: Uint16Array;
  comboImages: Uint32Array;
  comboDedicated: Float64Array;
  ownMemory: Map<number, [number, number]> | undefined;
}

/**
 * Every check and score of every row: the hot loop, kept in a function of its own so that the engine
 * optimises it as a whole (not only by on-stack replacement inside a long function).
 */
function scoreRows(
  table: DeviceTable,
  n: number,
  prepared: PreparedApp,
  judged: Judged,
  s: Ranked,
): Pass {
  // Number.MAX_VALUE, and the histogram size, as function constants (a module binding is a context load).
  const MAX = 1.7976931348623157e308;
  const totalBuckets = TOTAL_BUCKETS;
  const reasonBuckets = REASON_BUCKETS;
  const settings = s.settings;
  const { comboReasons, comboImages, comboDedicated, ownMemory } = judged;
  s.claimScratch();
  const { cents, totalCounts, reasonCounts, room } = s;
  let counted = true;
  // The three largest figures of RAM available on devices that could take an app at all, with their
  // rows, for the largest-app warning (which leaves out at most two rows: the app's home and the best).
  let a1 = -Infinity;
  let a2 = -Infinity;
  let a3 = -Infinity;
  let r1 = -1;
  let r2 = -1;
  let r3 = -1;
  let second = -1;
  let secondCents = -Infinity;
  const cpus = prepared.cpus;
  const memoryNeedApp = prepared.memoryNeed;
  const diskNeed = prepared.diskNeed;
  const c = settings.curves;
  const ramFactor = c.ram.headroomFactor;
  const storageDenominator = c.storage.headroomFactor * Math.max(diskNeed, c.storage.minNeedBytes);
  const weightFactors = factors(settings);
  const fRamScore = weightFactors[0]!;
  const fStorageScore = weightFactors[1]!;
  // The app-independent parts, kept by the table for these settings: CPU + load + reliability
  // contributions, and the offline / stale / cordoned flags with their count.
  const staticParts = table.staticScores(settings);
  const unavailable = table.unavailable(settings.freshnessLimitSeconds, settings.now);
  const { cores: coresCol, memFree, storageFree } = table;
  const combo = table.combo;
  const { need: comboNeed, ramD: comboRamD, db: comboDb } = comboNeeds(memoryNeedApp, ramFactor, comboDedicated);
  s.comboNeed = comboNeed;
  let minCents = Infinity;
  let maxCents = -Infinity;
  let maxReasons = 0;
  let best = -1;
  let eligible = 0;
  for (let i = 0; i < n; i++) {
    const u = unavailable[i]!;
    let memAvail = memFree[i]!;
    let stoAvail = storageFree[i]!;
    if (ownMemory !== undefined) {
      const o = ownMemory.get(i);
      if (o !== undefined) {
        memAvail = o[0];
        stoAvail = o[1];
      }
    }
    const k = combo[i]!;
    const memoryNeed = comboNeed[k]!;
    // The row's reasons: each check adds 0 or 1 without a branch, as which checks fail is random from
    // row to row (a mispredicted branch costs more than the check). !(a >= b) is a reason, as in
    // measure.ts (a NaN figure too). The flags themselves are not needed: a row is eligible when it has
    // no reason, and measure.ts works them out again for a candidate that is read.
    let reasons =
      (u >> 8) +
      comboReasons[k]! +
      (((memAvail >= memoryNeedApp) as unknown as number) ^ 1) +
      (((stoAvail >= diskNeed) as unknown as number) ^ 1) +
      (comboDb[k]! & (((memAvail >= memoryNeed) as unknown as number) ^ 1));
    if (cpus !== undefined) reasons += ((coresCol[i]! >= cpus) as unknown as number) ^ 1;
    if ((u & 0xff) === 0 && memAvail > a3) {
      if (memAvail > a1) {
        a3 = a2;
        r3 = r2;
        a2 = a1;
        r2 = r1;
        a1 = memAvail;
        r1 = i;
      } else if (memAvail > a2) {
        a3 = a2;
        r3 = r2;
        a2 = memAvail;
        r2 = i;
      } else {
        a3 = memAvail;
        r3 = i;
      }
    }
    if (reasons === 0) {
      // Only eligible rows have a total (a disqualified one is null, and ordered by its reasons).
      // The scores and the total as measure.ts works them out (the same doubles, added in the same
      // order), the total in whole hundredths.
      // The quotients are always worked out: clamped, they are the ones measure.ts gets (which divides
      // only between 0 and 1; x/d >= 1 when x >= d, as division rounds monotonically), and a branch
      // around the division went either way at random. A -0 in place of 0 adds up to the same total.
      const ramValue = memAvail > 0 ? memAvail : 0;
      const ramD = comboRamD[k]!;
      let x = ramValue - memoryNeed;
      let v = x / ramD;
      v = v < 0 ? 0 : v > 1 ? 1 : v === v ? v : 0;
      const ram = memoryNeed > 0 ? 100 * v : 100;
      const storageValue = stoAvail > 0 ? stoAvail : 0;
      x = storageValue - diskNeed;
      v = x / storageDenominator;
      v = v < 0 ? 0 : v > 1 ? 1 : v === v ? v : 0;
      const storage = 100 * v;
      const x100 = 100 * (ram * fRamScore + storage * fStorageScore + staticParts[i]!);
      // Math.round(x100) without its branch, which went either way at random (on the total's fraction):
      // floor(x + 0.5) is the same integer for every x below 2^52 (a total is at most 10,000) but
      // 0.5 − 2^-54, for which x + 0.5 rounds up to 1 (rank.test.ts checks the two alike).
      const cc = Math.floor(x100 + 0.5) - (x100 === 0.49999999999999994 ? 1 : 0);
      cents[i] = cc;
      let h = memAvail - memoryNeed;
      h = h > MAX ? MAX : h < -MAX ? -MAX : h;
      room[i] = h;
      eligible++;
      if (cc >= 0 && cc < totalBuckets) totalCounts[cc]!++;
      else counted = false;
      if (cc < minCents) minCents = cc;
      if (cc > maxCents) maxCents = cc;
      // Most rows total less than the runner-up: one comparison, no call.
      if (cc >= secondCents) {
        if (best < 0 || s.before(i, best)) {
          second = best;
          best = i;
        } else if (second < 0 || s.before(i, second)) second = i;
        secondCents = second < 0 ? -Infinity : cents[second]!;
      }
    } else {
      cents[i] = -1 - reasons;
      if (reasons > maxReasons) maxReasons = reasons;
      if (reasons < reasonBuckets) reasonCounts[reasons]!++;
      else counted = false;
    }
  }
  s.counted = counted;

  const largest = table.largestApp(prepared.id);
  return { best, second, eligible, minCents, maxCents, maxReasons, largestId: largest.id, largestMemory: largest.memory, largestHome: largest.home, top: [a1, r1, a2, r2, a3, r3] };
}

/**
 * scoreRows with the WebAssembly pass (simd.ts): the same figures, written to the same places, but for
 * the order's scratch, which stays in the module's memory (Ranked.simd). The module also finds the best,
 * the runner-up and the largest free RAM.
 */
function scoreRowsSimd(ex: NonNullable<ReturnType<typeof simdRanker>>, table: DeviceTable, n: number, prepared: PreparedApp, judged: Judged, s: Ranked): Pass {
  const settings = s.settings;
  const { comboReasons, comboImages, comboDedicated, ownMemory } = judged;
  const memoryNeedApp = prepared.memoryNeed;
  const diskNeed = prepared.diskNeed;
  const c = settings.curves;
  const { need: comboNeed, ramD: comboRamD, db: comboDb } = comboNeeds(memoryNeedApp, c.ram.headroomFactor, comboDedicated);
  s.comboNeed = comboNeed;
  s.simd = true;
  const weightFactors = factors(settings);
  const unavailable = table.unavailable(settings.freshnessLimitSeconds, settings.now);
  const staticParts = table.staticScores(settings);
  const cents = s.cents;
  const found = simdPass(
    ex,
    s.gen,
    table,
    n,
    { unavailable, staticParts, byId: s.byId },
    { reasons: comboReasons, need: comboNeed, ramD: comboRamD, db: comboDb, images: comboImages },
    ownMemory,
    {
      cpus: prepared.cpus,
      memoryNeed: memoryNeedApp,
      diskNeed,
      storageDenominator: c.storage.headroomFactor * Math.max(diskNeed, c.storage.minNeedBytes),
      fRam: weightFactors[0]!,
      fStorage: weightFactors[1]!,
    },
    cents,
  );
  s.counted = !found.outside && found.maxReasons < REASON_BUCKETS;
  const { best, second, top } = found;
  const largest = table.largestApp(prepared.id);
  const any = found.eligible > 0;
  return {
    best,
    second,
    eligible: found.eligible,
    minCents: any ? found.minCents : Infinity,
    maxCents: any ? found.maxCents : -Infinity,
    maxReasons: found.maxReasons,
    largestId: largest.id,
    largestMemory: largest.memory,
    largestHome: largest.home,
    top,
  };
}

/**
 * Per combination: the memory need (the app plus the database servers it would bring), clamped finite
 * as measure.ts does; the RAM score's denominator; whether it brings a database server (0/1).
 */
function comboNeeds(memoryNeedApp: number, ramFactor: number, comboDedicated: Float64Array) {
  const combos = comboDedicated.length;
  const need = new Float64Array(combos);
  const ramD = new Float64Array(combos);
  const db = new Int32Array(combos);
  for (let k = 0; k < combos; k++) {
    let x = memoryNeedApp + comboDedicated[k]!;
    x = x > MAX ? MAX : x < -MAX ? -MAX : x;
    need[k] = x;
    ramD[k] = ramFactor * x;
    db[k] = comboDedicated[k]! > 0 ? 1 : 0;
  }
  return { need, ramD, db };
}

interface Pass {
  best: number;
  /** The runner-up among eligible rows, or -1. */
  second: number;
  /** How many rows are eligible. */
  eligible: number;
  minCents: number;
  maxCents: number;
  maxReasons: number;
  largestId: string;
  largestMemory: number;
  largestHome: number;
  /** [figure, row] × 3: the largest RAM available on devices that could take an app, best first (row -1: none). */
  top: [number, number, number, number, number, number];
}

function judge<T>(values: readonly T[], fn: (v: T) => number): Int32Array {
  const out = new Int32Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = fn(values[k]!);
  return out;
}

/**
 * The histograms of the order's counting sort, counted by the latest ranking's pass (see Ranked).
 * scratchGen numbers the rankings; histGen is the ranking whose counts the histograms hold (0: none
 * yet, all zero; -1: used, to be cleared).
 */
let scratchGen = 0;
let histGen = 0;
/** Both histograms in one array (totals, then reason counts), so that the order can index either without a branch. */
const SCRATCH_SLOTS = new Int32Array(TOTAL_BUCKETS + REASON_BUCKETS);
const SCRATCH_TOTALS = SCRATCH_SLOTS.subarray(0, TOTAL_BUCKETS);
const SCRATCH_REASONS = SCRATCH_SLOTS.subarray(TOTAL_BUCKETS);
/**
 * RAM headroom of each eligible row of the latest ranking (roomGen), written by its pass for the
 * order's tie groups; grown to the largest table ranked. A ranking whose order is read after a later
 * ranking works its own out again (Ranked.sorted).
 */
let SCRATCH_ROOM = new Float64Array(0);
let roomGen = 0;

/** The figures of one ranking, and its candidates, built and explained when read. */
class Ranked {
  /**
   * Totals in hundredths of eligible rows (>= 0); a disqualified row holds -1 − its reason count.
   * The total is cents/100 (measure.ts rounds the exact weighted sum once, to hundredths), so sorting
   * by cents is sorting by total.
   */
  readonly cents: Int32Array;
  /**
   * Rows per total in hundredths (eligible rows) and per reason count (the others) for the counting
   * sort of the order: counted by the pass into the module's histograms, valid while histGen === gen;
   * otherwise the order counts them again from the totals. RAM headroom and images present are not
   * kept per row: headroomOf / imagesOf work them out from the table's free RAM and combination columns
   * as ranked (the table copies them before its next change) and the combinations' figures, for the
   * few rows that need them (ties in the order, the candidates read); the pass writes two columns
   * (120 kB for 10,000 rows) fewer.
   */
  readonly totalCounts: Int32Array;
  readonly reasonCounts: Int32Array;
  /** Headroom of eligible rows (the module's scratch, valid while roomGen === gen). */
  readonly room: Float64Array;
  readonly gen: number;
  readonly memFree: Float64Array;
  readonly combo: Int32Array;
  comboNeed = new Float64Array(0);
  comboImages = new Uint32Array(0);
  own: Map<number, [number, number]> | undefined = undefined;
  /** False when a total or reason count falls outside the histograms. */
  counted = true;
  /** Ranked by the WebAssembly pass (simd.ts): the order's scratch is in the module's memory. */
  simd = false;
  minCents = 0;
  maxCents = -1;
  maxReasons = 0;
  eligibleCount = 0;
  /** Rows in id order when ranked (the table replaces, never changes, this array). */
  readonly byId: Int32Array;
  /** The rows' ids, names and snapshots as they were when ranked. */
  readonly ids: string[];
  readonly names: string[];
  readonly snapshots: DeviceSnapshot[];
  private order: Int32Array | undefined;
  private list: Candidate[] | undefined;
  private explained: (Candidate | undefined)[] | undefined;
  private measure: Measure | undefined;

  constructor(
    table: DeviceTable,
    readonly app: PreparedApp,
    readonly settings: Settings,
  ) {
    const n = table.size;
    // The totals are handed out (placementOrder): their own array.
    this.cents = new Int32Array(n);
    this.gen = ++scratchGen;
    if (SCRATCH_ROOM.length < n) SCRATCH_ROOM = new Float64Array(Math.max(n, SCRATCH_ROOM.length * 2));
    this.room = SCRATCH_ROOM;
    this.totalCounts = SCRATCH_TOTALS;
    this.reasonCounts = SCRATCH_REASONS;
    this.byId = table.idOrder();
    // A kept table may change after this ranking: the rows as they are now. The table copies these
    // lists before its next change (copy on write), so holding them costs nothing here.
    const rows = table.borrowRows();
    this.ids = rows.ids;
    this.names = rows.names;
    this.snapshots = rows.snapshots;
    this.memFree = rows.memFree;
    this.combo = rows.combo;
  }

  /** The JavaScript pass (scoreRows) counts into the module's histograms and headroom: now this ranking's. */
  claimScratch(): void {
    if (histGen !== 0) {
      SCRATCH_SLOTS.fill(0);
    }
    histGen = this.gen;
    roomGen = this.gen;
  }

  /** RAM left on row i after this app (and the database servers it would bring), clamped finite. */
  headroomOf(i: number): number {
    const o = this.own === undefined ? undefined : this.own.get(i);
    const room = (o === undefined ? this.memFree[i]! : o[0]) - this.comboNeed[this.combo[i]!]!;
    return room > MAX ? MAX : room < -MAX ? -MAX : room;
  }

  /** How many of the app's images row i has. */
  imagesOf(i: number): number {
    return this.comboImages[this.combo[i]!]!;
  }

  /** Does eligible row i come before eligible row j: higher total, RAM headroom, images present, then lower id. */
  before(i: number, j: number): boolean {
    const cents = this.cents;
    if (cents[i] !== cents[j]) return cents[i]! > cents[j]!;
    const hi = this.headroomOf(i);
    const hj = this.headroomOf(j);
    if (hi !== hj) return hi > hj;
    const mi = this.imagesOf(i);
    const mj = this.imagesOf(j);
    if (mi !== mj) return mi > mj;
    return this.ids[i]! < this.ids[j]!;
  }

  /** The full order, best first (sorted on first use). */
  sorted(): Int32Array {
    if (this.order !== undefined) return this.order;
    const n = this.cents.length;
    if (this.simd && this.counted) {
      // From the WebAssembly pass's scratch, unless a later ranking has used it.
      const ex = simdModule();
      const any = this.eligibleCount > 0;
      const order =
        ex === null
          ? null
          : simdOrder(ex, this.gen, n, any ? this.minCents : 1, any ? this.maxCents : 0, (o, a, b, room) => sortGroup(o, a, b, room, this.comboImages, this.combo));
      if (order !== null) {
        this.order = order;
        return order;
      }
    }
    // The tie groups read each eligible row's headroom.
    this.ensureRoom();
    if (this.counted) {
      if (histGen !== this.gen) {
        // The histograms were counted over by a later ranking or used: count them again.
        if (histGen !== 0) {
          SCRATCH_SLOTS.fill(0);
        }
        const cents = this.cents;
        for (let i = 0; i < n; i++) {
          const c = cents[i]!;
          if (c >= 0) SCRATCH_TOTALS[c]!++;
          else SCRATCH_REASONS[-1 - c]!++;
        }
      }
      // countedOrder turns the counts into positions: they are no one's counts any more.
      histGen = -1;
      this.order = countedOrder(n, this.cents, this.minCents, this.maxCents, SCRATCH_SLOTS, this, this.byId);
    } else this.order = sortOrder(n, this.cents, this.minCents, this.maxCents, this.maxReasons, this, this.byId);
    return this.order;
  }

  /** The headroom of every eligible row in `room`, unless this ranking's pass left it there. */
  private ensureRoom(): void {
    if (roomGen === this.gen) return;
    const cents = this.cents;
    const room = this.room;
    for (let i = 0; i < cents.length; i++) if (cents[i]! >= 0) room[i] = this.headroomOf(i);
    roomGen = this.gen;
  }

  candidates(): Candidate[] {
    if (this.list !== undefined) return this.list;
    const list = lazyCandidates(this, this.sorted());
    this.list = list;
    return list;
  }

  /**
   * Row i's snapshot as measure.ts and explain.ts read it: a device that gives its sample time gets the
   * metrics age it had at the ranking's time.
   */
  snapshot(i: number): DeviceSnapshot {
    const d = this.snapshots[i]!;
    return d.sampledAtMs === undefined ? d : { ...d, metricsAgeSeconds: ageAt(d.sampledAtMs, this.settings.now) };
  }

  /** The explained candidate of row i: measure and explain its snapshot, once. */
  explain(i: number): Candidate {
    if (this.explained === undefined) this.explained = new Array(this.cents.length);
    let c = this.explained[i];
    if (c === undefined) {
      const m = (this.measure ??= new Measure());
      const d = this.snapshot(i);
      measure(d, this.app, this.settings, m);
      c = explain(d, this.app, this.settings, m);
      this.explained[i] = c;
    }
    return c;
  }
}

/**
 * One small candidate per row, in order. A function of its own that ends with the loop: a store after
 * a loop that runs on on-stack-replaced code has no type feedback and threw the caller's optimised
 * code away on every call.
 */
function lazyCandidates(ranked: Ranked, order: Int32Array): Candidate[] {
  const n = order.length;
  const list = new Array<Candidate>(n);
  for (let k = 0; k < n; k++) list[k] = new LazyCandidate(ranked, order[k]!);
  return list;
}

/**
 * One device of a result. The figures the decision used are fields; criteria, reasons, database plans
 * and notes are worked out the first time one is read (all four at once, from the device's snapshot).
 */
class LazyCandidate implements Candidate {
  readonly device: string;
  readonly name: string;
  readonly eligible: boolean;
  readonly total: number | null;
  readonly headroomBytes: number;
  readonly imagesPresent: number;
  readonly #ranked: Ranked;
  readonly #row: number;

  constructor(ranked: Ranked, row: number) {
    this.device = ranked.ids[row]!;
    this.name = ranked.names[row]!;
    const c = ranked.cents[row]!;
    const eligible = c >= 0;
    this.eligible = eligible;
    this.total = eligible ? c / 100 : null;
    this.headroomBytes = ranked.headroomOf(row);
    this.imagesPresent = ranked.imagesOf(row);
    this.#ranked = ranked;
    this.#row = row;
  }

  get criteria(): Record<Criterion, CriterionResult> {
    return this.#ranked.explain(this.#row).criteria;
  }

  get reasons(): Reason[] {
    return this.#ranked.explain(this.#row).reasons;
  }

  get databases(): DatabasePlan[] {
    return this.#ranked.explain(this.#row).databases;
  }

  get notes(): string[] {
    return this.#ranked.explain(this.#row).notes;
  }

  /** The full candidate, in the field order of the JSON shape. */
  toJSON(): Candidate {
    return this.#ranked.explain(this.#row);
  }
}

/**
 * Best first: eligible by total, RAM headroom, images present, id; then disqualified by fewest reasons,
 * then id. A total order, so the result does not depend on the input order. Rows are taken in id
 * order (the table keeps it) and spread by a stable counting sort over the total in hundredths and the
 * reason count; only groups of equal totals are sorted further, by headroom and images (stably,
 * keeping id order).
 */
function sortOrder(
  n: number,
  cents: Int32Array,
  minCents: number,
  maxCents: number,
  maxReasons: number,
  ranked: Ranked,
  byId: Int32Array,
): Int32Array {
  const key = new Int32Array(n);
  // Bucket keys: eligible 0..span-1 (highest total first), disqualified span + reasons.
  const span = maxCents >= minCents ? maxCents - minCents + 1 : 0;
  const buckets = span + maxReasons + 1;
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) {
    const c = cents[i]!;
    const k = c >= 0 ? maxCents - c : span - 1 - c;
    key[i] = k;
    start[k + 1]!++;
  }
  for (let k = 0; k < buckets; k++) start[k + 1]! += start[k]!;
  const order = new Int32Array(n);
  const next = start.slice(0, buckets);
  for (let r = 0; r < n; r++) {
    const i = byId[r]!;
    order[next[key[i]!]!++] = i;
  }
  // Equal totals: headroom, then images present; the stable sort keeps id order after that.
  for (let k = 0; k < span; k++) {
    const a = start[k]!;
    const b = start[k + 1]!;
    if (b - a >= 2) sortGroup(order, a, b, ranked.room, ranked.comboImages, ranked.combo);
  }
  return order;
}

/**
 * The same order as sortOrder, from the histograms the pass counted: one pass over the rows in id
 * order places each in its group (highest total first, then disqualified by fewest reasons), and only
 * groups of equal totals are sorted further, by headroom and images (stably, keeping id order). The
 * histograms become the groups' next free positions (they are not read again).
 */
function countedOrder(
  n: number,
  cents: Int32Array,
  minCents: number,
  maxCents: number,
  slots: Int32Array,
  ranked: Ranked,
  byId: Int32Array,
): Int32Array {
  // slots: rows per total in hundredths (0..TOTAL_BUCKETS-1), then per reason count. Only totals
  // minCents..maxCents were counted (none when no row is eligible).
  let pos = 0;
  for (let c = maxCents; c >= minCents; c--) {
    const k = slots[c]!;
    slots[c] = pos;
    pos += k;
  }
  const totalBuckets = TOTAL_BUCKETS;
  const end = totalBuckets + REASON_BUCKETS;
  for (let r = totalBuckets; r < end; r++) {
    const k = slots[r]!;
    slots[r] = pos;
    pos += k;
  }
  const order = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = byId[r]!;
    const c = cents[i]!;
    // A total c >= 0 is slot c; a disqualified row's -1 − reasons is slot TOTAL_BUCKETS + reasons:
    // m is 0 or −1, and c ^ −1 = −1 − c. Without a branch: eligible and disqualified rows interleave
    // at random, and a branch here was mispredicted for a good share of them.
    const m = c >> 31;
    order[slots[(c ^ m) + (m & totalBuckets)]!++] = i;
  }
  // Each total's counter now holds the end of its group; its group starts where the higher total's ends.
  // Pairs (the most common tie) are settled here; larger groups are sorted by sortGroup.
  const room = ranked.room;
  const comboImages = ranked.comboImages;
  const combo = ranked.combo;
  let a = 0;
  for (let c = maxCents; c >= minCents; c--) {
    const b = slots[c]!;
    const len = b - a;
    if (len === 2) {
      const i = order[a]!;
      const j = order[a + 1]!;
      const hi = room[i]!;
      const hj = room[j]!;
      if (hj > hi || (hj === hi && comboImages[combo[j]!]! > comboImages[combo[i]!]!)) {
        order[a] = j;
        order[a + 1] = i;
      }
    } else if (len > 2) sortGroup(order, a, b, room, comboImages, combo);
    a = b;
  }
  return order;
}

/** Headroom, images present and row of each member of a small group being sorted. */
const GROUP_ROOM = new Float64Array(64);
const GROUP_IMAGES = new Uint32Array(64);
const GROUP_ROWS = new Int32Array(64);

/**
 * Sort order[a..b) by headroom (roomOf, by row), then images present (comboImages of the row's
 * combination), descending, keeping the order of equals.
 */
function sortGroup(order: Int32Array, a: number, b: number, roomOf: Float64Array, comboImages: Uint32Array, combo: Int32Array): void {
  const len = b - a;
  if (len <= 64) {
    // Insertion sort over the members' figures, read once each: groups are small; moving only past
    // strictly worse entries keeps it stable.
    const room = GROUP_ROOM;
    const images = GROUP_IMAGES;
    const rows = GROUP_ROWS;
    for (let x = 0; x < len; x++) {
      const i = order[a + x]!;
      const h = roomOf[i]!;
      const m = comboImages[combo[i]!]!;
      let y = x - 1;
      while (y >= 0 && (room[y]! < h || (room[y] === h && images[y]! < m))) {
        room[y + 1] = room[y]!;
        images[y + 1] = images[y]!;
        rows[y + 1] = rows[y]!;
        y--;
      }
      room[y + 1] = h;
      images[y + 1] = m;
      rows[y + 1] = i;
    }
    for (let x = 0; x < len; x++) order[a + x] = rows[x]!;
    return;
  }
  const group = Array.from(order.subarray(a, b));
  group.sort((i, j) => (roomOf[i] !== roomOf[j] ? roomOf[j]! - roomOf[i]! : comboImages[combo[j]!]! - comboImages[combo[i]!]!));
  order.set(group, a);
}

/**
 * After the app lands on the recommended device, can some other device still take the largest
 * installed app (by memory) if its own device fails? Warn when this placement takes the last such
 * room; a lab that never had it (a single device) is not warned on every placement.
 */
function largestAppWarning(ids: readonly string[], best: number, bestHeadroom: number, pass: Pass): PlacementWarning | undefined {
  const { largestId, largestMemory, largestHome: home, top } = pass;
  if (home < 0) return undefined;
  // Before: some device other than the app's home has the room. After: the same, with the best
  // device's room reduced to its headroom after this app.
  let before = false;
  let after = best !== home && bestHeadroom >= largestMemory;
  for (let k = 0; k < 6; k += 2) {
    const row = top[k + 1]!;
    if (row < 0 || row === home) continue;
    if (top[k]! >= largestMemory) {
      before = true;
      if (row !== best) after = true;
    }
  }
  if (after || !before) return undefined;
  return {
    code: 'LARGEST_APP_HOMELESS',
    message:
      `Placing on ${ids[best]!} leaves no other device able to host ${largestId} ` +
      `(${formatBytes(largestMemory)}, the largest installed app, now on ${ids[home]!}) if its device fails.`,
  };
}
