// Ranking over the columnar inventory (table.ts). The decision (every check, the five scores, the
// order, the recommendation, the tie-break, the warnings) is one pass over typed arrays plus a counting
// sort; each distinct list (platforms, device paths, ports, images, database servers) is judged once.
// The explanation is complete but built when read: `candidates` is made on first access, one small
// candidate per device whose criteria, reasons, database plans and notes are worked out from the
// device's snapshot by measure/explain (the same code as the object path in reference.ts) the first
// time they are read, and JSON.stringify gives the full shape.
import { explain } from './explain.js';
import {
  ARCH,
  clamp01,
  CORDONED,
  CPU_CORES,
  DATABASE,
  DEVICE_PATH,
  finite,
  hasPath,
  hasPort,
  Measure,
  measure,
  METRICS_STALE,
  OFFLINE,
  planDatabases,
  PORT,
  prepareApp,
  RAM,
  round1,
  round2,
  runsPlatform,
  STORAGE,
  type PreparedApp,
} from './measure.js';
import { normalizeImageRef } from './platform.js';
import { describeCurves, resolveSettings, type Settings } from './settings.js';
import { suggestFixes } from './suggest.js';
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

const UNAVAILABLE = OFFLINE | METRICS_STALE | CORDONED;

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
  const { flags, reasonCount, cents, headroom, images, total, memoryAvailable } = s;

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
      ownMemory!.set(i, [mem, sto]);
    }
  }

  const limit = settings.freshnessLimitSeconds;
  const cpus = prepared.cpus;
  const memoryNeedApp = prepared.memoryNeed;
  const diskNeed = prepared.diskNeed;
  const c = settings.curves;
  const ramFactor = c.ram.headroomFactor;
  const storageDenominator = c.storage.headroomFactor * Math.max(diskNeed, c.storage.minNeedBytes);
  const unknownPerCore = c.cpu.unknownPerCoreScore;
  const cpuReference = c.cpu.reference;
  const loadCapacity = c.load.perCoreCapacity;
  const loadUnknown = c.load.unknownScore;
  const reliabilityUnknown = c.reliability.unknownScore;
  const w = settings.weights;
  const sum = settings.weightSum;
  const { online, cordoned, age, cores: coresCol, perCore: perCoreCol, memAvailable, memReserve, storageAvailable, storageReserve, load1: loadCol, availability } = table;
  const { reservedMemory, reservedStorage, platform, paths, ports, images: imageCol, databases } = table;
  const ids = table.ids;
  // RAM available on devices that could take an app at all, for the largest-app warning.
  const available = new Float64Array(n);
  let largestId = '';
  let largestMemory = 0;
  let largestHome = -1;
  let minCents = Infinity;
  let maxCents = -Infinity;
  let maxReasons = 0;
  let best = -1;
  for (let i = 0; i < n; i++) {
    let f = 0;
    let reasons = 0;
    if (online[i] === 0) {
      f |= OFFLINE;
      reasons++;
    }
    if (!(age[i]! <= limit)) {
      f |= METRICS_STALE;
      reasons++;
    }
    if (cordoned[i] !== 0) {
      f |= CORDONED;
      reasons++;
    }
    const cores = coresCol[i]!;
    if (cpus !== undefined && cores < cpus) {
      f |= CPU_CORES;
      reasons++;
    }
    let resMem = reservedMemory[i]!;
    let resSto = reservedStorage[i]!;
    if (ownMemory !== undefined) {
      const o = ownMemory.get(i);
      if (o !== undefined) {
        resMem = o[0];
        resSto = o[1];
      }
    }
    const memAvail = finite(memAvailable[i]! - memReserve[i]! - resMem);
    const stoAvail = finite(storageAvailable[i]! - storageReserve[i]! - resSto);
    if (!(memAvail >= memoryNeedApp)) {
      f |= RAM;
      reasons++;
    }
    if (!(stoAvail >= diskNeed)) {
      f |= STORAGE;
      reasons++;
    }
    if (platformRuns[platform[i]!] === 0) {
      f |= ARCH;
      reasons++;
    }
    const missing = pathsMissing[paths[i]!]!;
    if (missing > 0) {
      f |= DEVICE_PATH;
      reasons += missing;
    }
    const taken = portsTaken[ports[i]!]!;
    if (taken > 0) {
      f |= PORT;
      reasons += taken;
    }
    const dedicated = dbMemory.length > 0 ? dbMemory[databases[i]!]! : 0;
    const memoryNeed = finite(memoryNeedApp + dedicated);
    if (dedicated > 0 && !(memAvail >= memoryNeed)) {
      f |= DATABASE;
      reasons++;
    }
    const ramValue = memAvail > 0 ? memAvail : 0;
    const ram = round1(memoryNeed > 0 ? 100 * clamp01((ramValue - memoryNeed) / (ramFactor * memoryNeed)) : 100);
    const storageValue = stoAvail > 0 ? stoAvail : 0;
    const storage = round1(100 * clamp01((storageValue - diskNeed) / storageDenominator));
    const pc = perCoreCol[i]!;
    const cpuValue = finite(cores * (pc > 0 ? pc : unknownPerCore));
    const cpu = round1(100 * clamp01(cpuValue / cpuReference));
    const l = loadCol[i]!;
    const load = round1(l !== l || cores === 0 ? loadUnknown : 100 * (1 - clamp01(l / (cores * loadCapacity))));
    const a = availability[i]!;
    const reliability = round1(a !== a ? reliabilityUnknown : 100 * clamp01(a));
    const t = round2(round2((ram * w.ram) / sum) + round2((storage * w.storage) / sum) + round2((cpu * w.cpu) / sum) + round2((load * w.load) / sum) + round2((reliability * w.reliability) / sum));
    flags[i] = f;
    reasonCount[i] = reasons;
    total[i] = t;
    memoryAvailable[i] = memAvail;
    headroom[i] = finite(memAvail - memoryNeed);
    available[i] = (f & UNAVAILABLE) === 0 ? memAvail : NaN;
    const img = imagesFound[imageCol[i]!]!;
    images[i] = img;
    let lid = table.largestId[i]!;
    let lmem = table.largestMemory[i]!;
    if (lid === prepared.id) {
      lid = table.secondId[i]!;
      lmem = table.secondMemory[i]!;
    }
    if (lmem > largestMemory || (lmem === largestMemory && lmem > 0 && lid < largestId)) {
      largestId = lid;
      largestMemory = lmem;
      largestHome = i;
    }
    if (f === 0) {
      const cc = Math.round(t * 100);
      cents[i] = cc;
      if (cc < minCents) minCents = cc;
      if (cc > maxCents) maxCents = cc;
      if (best < 0 || before(i, best, cents, headroom, images, ids)) best = i;
    } else if (reasons > maxReasons) maxReasons = reasons;
  }

  const order = sortOrder(n, flags, cents, minCents, maxCents, reasonCount, maxReasons, headroom, images, table.idOrder());
  s.order = order;

  const warnings: PlacementWarning[] = [];
  let suggestions: PlacementResult['suggestions'] = [];
  let tieBreak: string | null = null;
  if (best >= 0) {
    const warning = largestAppWarning(ids, best, headroom[best]!, available, largestId, largestMemory, largestHome);
    if (warning) warnings.push(warning);
    // The runner-up is the next in the order; a tie is an equal total.
    const second = n > 1 && flags[order[1]!] === 0 ? order[1]! : -1;
    if (second >= 0 && cents[second] === cents[best]) {
      let tied = 0;
      for (let i = 0; i < n; i++) if (flags[i] === 0 && cents[i] === cents[best]) tied++;
      tieBreak = describeTieBreak(ids[best]!, ids[second]!, tied, total[best]!, headroom, images, best, second);
    }
  } else if (n === 0) {
    warnings.push({ code: 'NO_DEVICES', message: 'There are no devices to rank: the inventory (or snapshot) is empty.' });
  } else {
    const candidates = s.candidates();
    const mm = new Measure();
    const evaluated = new Array<Evaluated>(n);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const d = s.snapshots[i]!;
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
  return result;
}

function judge<T>(values: readonly T[], fn: (v: T) => number): Int32Array {
  const out = new Int32Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = fn(values[k]!);
  return out;
}

/** The figures of one ranking, and its candidates, built and explained when read. */
class Ranked {
  readonly flags: Uint16Array;
  readonly reasonCount: Uint32Array;
  readonly cents: Int32Array;
  readonly total: Float64Array;
  readonly headroom: Float64Array;
  readonly memoryAvailable: Float64Array;
  readonly images: Uint32Array;
  /** The rows' ids, names and snapshots as they were when ranked. */
  readonly ids: string[];
  readonly names: string[];
  readonly snapshots: DeviceSnapshot[];
  order: Int32Array = new Int32Array(0);
  private list: Candidate[] | undefined;
  private explained: (Candidate | undefined)[] | undefined;
  private measure: Measure | undefined;

  constructor(
    table: DeviceTable,
    readonly app: PreparedApp,
    readonly settings: Settings,
  ) {
    const n = table.size;
    this.flags = new Uint16Array(n);
    this.reasonCount = new Uint32Array(n);
    this.cents = new Int32Array(n);
    this.total = new Float64Array(n);
    this.headroom = new Float64Array(n);
    this.memoryAvailable = new Float64Array(n);
    this.images = new Uint32Array(n);
    // A kept table may change after this ranking: hold on to what the candidates describe.
    this.ids = table.ids.slice(0, n);
    this.names = table.names.slice(0, n);
    this.snapshots = table.snapshots.slice(0, n);
  }

  candidates(): Candidate[] {
    if (this.list !== undefined) return this.list;
    const n = this.order.length;
    const list = new Array<Candidate>(n);
    for (let k = 0; k < n; k++) list[k] = new LazyCandidate(this, this.order[k]!);
    this.list = list;
    return list;
  }

  /** The explained candidate of row i: measure and explain its snapshot, once. */
  explain(i: number): Candidate {
    if (this.explained === undefined) this.explained = new Array(this.flags.length);
    let c = this.explained[i];
    if (c === undefined) {
      const m = (this.measure ??= new Measure());
      const d = this.snapshots[i]!;
      measure(d, this.app, this.settings, m);
      c = explain(d, this.app, this.settings, m);
      this.explained[i] = c;
    }
    return c;
  }
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
    const eligible = ranked.flags[row] === 0;
    this.eligible = eligible;
    this.total = eligible ? ranked.total[row]! : null;
    this.headroomBytes = ranked.headroom[row]!;
    this.imagesPresent = ranked.images[row]!;
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

/** Does eligible device i come before eligible device j: higher total, RAM headroom, images present, then lower id. */
function before(i: number, j: number, cents: Int32Array, headroom: Float64Array, images: Uint32Array, ids: readonly string[]): boolean {
  if (cents[i] !== cents[j]) return cents[i]! > cents[j]!;
  if (headroom[i] !== headroom[j]) return headroom[i]! > headroom[j]!;
  if (images[i] !== images[j]) return images[i]! > images[j]!;
  return ids[i]! < ids[j]!;
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
  flags: Uint16Array,
  cents: Int32Array,
  minCents: number,
  maxCents: number,
  reasonCount: Uint32Array,
  maxReasons: number,
  headroom: Float64Array,
  images: Uint32Array,
  byId: Int32Array,
): Int32Array {
  // Bucket keys: eligible 0..span-1 (highest total first), disqualified span + reasons.
  const span = maxCents >= minCents ? maxCents - minCents + 1 : 0;
  const buckets = span + maxReasons + 1;
  const key = new Int32Array(n);
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) {
    const k = flags[i] === 0 ? maxCents - cents[i]! : span + reasonCount[i]!;
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
    if (b - a < 2) continue;
    if (b - a <= 32) {
      // Insertion sort: groups are small; moving only past strictly worse entries keeps it stable.
      for (let x = a + 1; x < b; x++) {
        const i = order[x]!;
        let y = x - 1;
        while (y >= a && worse(order[y]!, i, headroom, images)) {
          order[y + 1] = order[y]!;
          y--;
        }
        order[y + 1] = i;
      }
      continue;
    }
    const group = Array.from(order.subarray(a, b));
    group.sort((i, j) => (headroom[i] !== headroom[j] ? headroom[j]! - headroom[i]! : images[j]! - images[i]!));
    order.set(group, a);
  }
  return order;
}

/** Within equal totals: does j have less RAM headroom, or equal headroom and fewer images, than i? */
function worse(j: number, i: number, headroom: Float64Array, images: Uint32Array): boolean {
  return headroom[j]! < headroom[i]! || (headroom[j] === headroom[i] && images[j]! < images[i]!);
}

function describeTieBreak(a: string, b: string, tied: number, at: number, headroom: Float64Array, images: Uint32Array, ia: number, ib: number): string {
  const lead = `${tied} devices tie at ${at.toFixed(2)}`;
  if (headroom[ia] !== headroom[ib]) {
    return `${lead}; RAM headroom: ${a} keeps ${formatBytes(headroom[ia]!)} free after the app, ${b} ${formatBytes(headroom[ib]!)}`;
  }
  if (images[ia] !== images[ib]) {
    return `${lead} with equal RAM headroom; image present: ${a} already has ${images[ia]} of the app's images, ${b} ${images[ib]}`;
  }
  return `${lead} with equal RAM headroom and images present; device id: ${a} sorts before ${b}`;
}

/**
 * After the app lands on the recommended device, can some other device still take the largest
 * installed app (by memory) if its own device fails? Warn when this placement takes the last such
 * room; a lab that never had it (a single device) is not warned on every placement.
 */
function largestAppWarning(
  ids: readonly string[],
  best: number,
  bestHeadroom: number,
  available: Float64Array,
  largestId: string,
  largestMemory: number,
  home: number,
): PlacementWarning | undefined {
  if (home < 0) return undefined;
  let before = false;
  let after = false;
  for (let i = 0; i < available.length; i++) {
    // NaN (unavailable devices) compares false.
    if (i === home) continue;
    if (available[i]! >= largestMemory) before = true;
    if ((i === best ? bestHeadroom : available[i]!) >= largestMemory) after = true;
  }
  if (after || !before) return undefined;
  return {
    code: 'LARGEST_APP_HOMELESS',
    message:
      `Placing on ${ids[best]!} leaves no other device able to host ${largestId} ` +
      `(${formatBytes(largestMemory)}, the largest installed app, now on ${ids[home]!}) if its device fails.`,
  };
}
