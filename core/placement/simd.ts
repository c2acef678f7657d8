// The WebAssembly side of a ranking (wasm/rank.wat): the per-row pass, the counting and the order, over
// copies of the table's columns in the module's memory. rank.ts calls these when the engine has
// WebAssembly SIMD (Node 20 does) and keeps its JavaScript loops for when it has not, or when
// WARREN_PLACEMENT_SIMD=0; both give the same result to the bit (rank-simd.test.ts).
//
// The copy of a table's columns is kept between rankings: the next ranking of the same table copies
// only the rows changed since (DeviceTable.takeChanges), all of them when rows were added or removed
// or the kept static scores or availability flags were worked out again (10,000 rows: about 30 µs).
// Tables under 32 rows keep the JavaScript loops. One ranking at a time owns the scratch (totals,
// headroom, counts): a ranking's order is made from it when read before the next ranking, and by the
// JavaScript order otherwise (rank.ts).
import type { DeviceTable } from './table.js';
import { RANK_WASM } from './wasm/rank-wasm.js';

/** Totals 0..10001 and reason counts 0..63, as rank.ts's histograms. */
const SLOTS = 10002 + 64;

interface RankExports {
  memory: WebAssembly.Memory;
  pass(
    n: number, pU: number, pCombo: number, pMem: number, pSto: number, pStatic: number, pCores: number,
    cpuCheck: number, cpus: number, pCR: number, pCN: number, pCRD: number, pCD: number,
    needApp: number, disk: number, storageDen: number, fRam: number, fSto: number, pCents: number, pRoom: number,
  ): number;
  count(n: number, pCents: number, pSlots: number, pRoom: number, pCombo: number, pCI: number, pRank: number): void;
  a1: WebAssembly.Global;
  a2: WebAssembly.Global;
  a3: WebAssembly.Global;
  r1: WebAssembly.Global;
  r2: WebAssembly.Global;
  r3: WebAssembly.Global;
  best: WebAssembly.Global;
  second: WebAssembly.Global;
  order(n: number, pById: number, pCents: number, pSlots: number, minC: number, maxC: number, pRoom: number, pCombo: number, pCI: number, pOrder: number, pGroups: number): number;
  minCents: WebAssembly.Global;
  maxCents: WebAssembly.Global;
  maxReasons: WebAssembly.Global;
  outside: WebAssembly.Global;
}

let instance: RankExports | null | undefined;
let enabled = process.env.WARREN_PLACEMENT_SIMD !== '0';

function load(): RankExports | null {
  if (instance !== undefined) return instance;
  try {
    const bin = atob(RANK_WASM);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    // An engine without SIMD does not validate the module: the JavaScript loops rank instead.
    instance = WebAssembly.validate(bytes) ? (new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as RankExports) : null;
  } catch {
    instance = null;
  }
  return instance;
}

/** The module, whether rankings use it now or not (for the order of a ranking made with it). */
export function simdModule(): RankExports | null {
  return load();
}

/** How many orders the module made (rank-simd.test checks that reading an order after its ranking does). */
export let simdOrders = 0;

/**
 * Tables of fewer rows are ranked by the JavaScript loops: as fast for a few rows, without the module's
 * copies and views (bench/placement-ab at 1 device: 49 us with the module, 42 us without).
 */
const MIN_ROWS = 32;
let minRows = MIN_ROWS;

/** The module, when a ranking of `rows` rows uses it. */
export function simdRanker(rows: number): RankExports | null {
  return enabled && rows >= minRows ? load() : null;
}

/**
 * Rank with the module (when the engine can; from `fromRows` rows up, default 32) or with the
 * JavaScript loops: for tests and benchmarks. Returns whether the module was in use before.
 */
export function useSimd(on: boolean, fromRows = MIN_ROWS): boolean {
  const was = enabled;
  enabled = on;
  minRows = fromRows;
  return was && load() !== null;
}

/** Byte offsets of the regions, for `rows` rows (n + 2, even) and `combos` combinations. */
interface Layout {
  rows: number;
  combos: number;
  u: number;
  combo: number;
  mem: number;
  sto: number;
  stat: number;
  cores: number;
  byId: number;
  rank: number;
  cents: number;
  room: number;
  order: number;
  groups: number;
  slots: number;
  cr: number;
  cn: number;
  crd: number;
  cd: number;
  ci: number;
}

let layout: Layout | null = null;
/** The table whose columns the memory holds, with how many rows. */
let mirrorOf: WeakRef<DeviceTable> | null = null;
let mirrorSize = -1;
/** Rows whose RAM and storage the last ranking replaced (the app's own reservation left out). */
let overridden: number[] = [];
/** The ranking (Ranked.gen) whose totals, headroom and counts the scratch holds; 0: none. */
let owner = 0;

function ensureLayout(ex: RankExports, n: number, combos: number): Layout {
  if (layout !== null && n + 2 <= layout.rows && combos <= layout.combos) return layout;
  const rows = (Math.max(n + 2, layout === null ? 0 : layout.rows * 2, 64) + 1) & ~1;
  const nc = Math.max(combos, layout === null ? 0 : layout.combos * 2, 64);
  let at = 0;
  const take = (bytes: number): number => {
    const p = at;
    at += (bytes + 15) & ~15;
    return p;
  };
  const l: Layout = {
    rows,
    combos: nc,
    mem: take(8 * rows),
    sto: take(8 * rows),
    stat: take(8 * rows),
    cores: take(8 * rows),
    room: take(8 * rows),
    cn: take(8 * nc),
    crd: take(8 * nc),
    u: take(2 * rows),
    combo: take(4 * rows),
    byId: take(4 * rows),
    rank: take(4 * rows),
    cents: take(4 * rows),
    order: take(4 * rows),
    groups: take(4 * rows + 8),
    slots: take(4 * SLOTS),
    cr: take(4 * nc),
    cd: take(4 * nc),
    ci: take(4 * nc),
  };
  const pages = Math.ceil(at / 65536);
  const have = ex.memory.buffer.byteLength / 65536;
  if (pages > have) ex.memory.grow(pages - have);
  layout = l;
  mirrorOf = null;
  owner = 0;
  return l;
}

/** Per-combination figures of one ranking. */
export interface SimdCombos {
  reasons: Uint16Array;
  need: Float64Array;
  ramD: Float64Array;
  db: Int32Array;
  images: Uint32Array;
}

/** What the pass found, besides the totals it wrote into `cents`. */
export interface SimdPass {
  /** The best eligible row and the runner-up (-1: none). */
  best: number;
  second: number;
  /** The three largest figures of RAM available on rows that could take an app, with their rows. */
  top: [number, number, number, number, number, number];
  eligible: number;
  minCents: number;
  maxCents: number;
  maxReasons: number;
  outside: boolean;
}

/**
 * Every row's reasons, scores and total (into `cents`, as rank.ts's pass writes them) and the counts
 * for the order; the scratch is then ranking `gen`'s. `own` gives the RAM and storage available on the
 * rows where the app's own reservation is left out.
 */
export function simdPass(
  ex: RankExports,
  gen: number,
  table: DeviceTable,
  n: number,
  columns: { unavailable: Uint16Array; staticParts: Float64Array; byId: Int32Array },
  combos: SimdCombos,
  own: Map<number, [number, number]> | undefined,
  app: { cpus: number | undefined; memoryNeed: number; diskNeed: number; storageDenominator: number; fRam: number; fStorage: number },
  cents: Int32Array,
): SimdPass {
  const nc = combos.need.length;
  const l = ensureLayout(ex, n, nc);
  const buf = ex.memory.buffer;
  const changes = table.takeChanges();
  if (mirrorOf === null || mirrorOf.deref() !== table || mirrorSize !== n || changes === null) {
    new Uint16Array(buf, l.u, n + 1).set(columns.unavailable.subarray(0, n));
    new Int32Array(buf, l.combo, n + 1).set(table.combo.subarray(0, n));
    new Float64Array(buf, l.mem, n + 1).set(table.memFree.subarray(0, n));
    new Float64Array(buf, l.sto, n + 1).set(table.storageFree.subarray(0, n));
    new Float64Array(buf, l.stat, n + 1).set(columns.staticParts.subarray(0, n));
    new Float64Array(buf, l.cores, n + 1).set(table.cores.subarray(0, n));
    const byId = columns.byId;
    new Int32Array(buf, l.byId, n).set(byId);
    const rank = new Int32Array(buf, l.rank, n);
    for (let r = 0; r < n; r++) rank[byId[r]!] = r;
    // The spare row after the last (the pass takes rows in pairs): combination 0, nothing counted.
    new Uint16Array(buf, l.u, n + 1)[n] = 0;
    new Int32Array(buf, l.combo, n + 1)[n] = 0;
    mirrorOf = new WeakRef(table);
    mirrorSize = n;
  } else if (changes.length > 0 || overridden.length > 0) {
    // The rows changed since the last ranking of this table, and those the last ranking replaced.
    const u = new Uint16Array(buf, l.u, n);
    const combo = new Int32Array(buf, l.combo, n);
    const mem = new Float64Array(buf, l.mem, n);
    const sto = new Float64Array(buf, l.sto, n);
    const stat = new Float64Array(buf, l.stat, n);
    const cores = new Float64Array(buf, l.cores, n);
    const { combo: tCombo, memFree, storageFree, cores: tCores } = table;
    const { unavailable, staticParts } = columns;
    for (const list of [changes, overridden]) {
      for (let k = 0; k < list.length; k++) {
        const i = list[k]!;
        u[i] = unavailable[i]!;
        combo[i] = tCombo[i]!;
        mem[i] = memFree[i]!;
        sto[i] = storageFree[i]!;
        stat[i] = staticParts[i]!;
        cores[i] = tCores[i]!;
      }
    }
  }
  overridden = [];
  if (own !== undefined) {
    const mem = new Float64Array(buf, l.mem, n);
    const sto = new Float64Array(buf, l.sto, n);
    for (const [i, o] of own) {
      mem[i] = o[0];
      sto[i] = o[1];
      overridden.push(i);
    }
  }
  new Int32Array(buf, l.cr, nc).set(combos.reasons);
  new Float64Array(buf, l.cn, nc).set(combos.need);
  new Float64Array(buf, l.crd, nc).set(combos.ramD);
  new Int32Array(buf, l.cd, nc).set(combos.db);
  new Uint32Array(buf, l.ci, nc).set(combos.images);
  const cpus = app.cpus;
  const eligible = ex.pass(
    // Without a CPU limit the cores are not read: the pass loads the static scores' lines in their place.
    n, l.u, l.combo, l.mem, l.sto, l.stat, cpus === undefined ? l.stat : l.cores,
    cpus === undefined ? 0 : 1, cpus ?? 0,
    l.cr, l.cn, l.crd, l.cd,
    app.memoryNeed, app.diskNeed, app.storageDenominator, app.fRam, app.fStorage,
    l.cents, l.room,
  );
  new Int32Array(buf, l.slots, SLOTS).fill(0);
  ex.count(n, l.cents, l.slots, l.room, l.combo, l.ci, l.rank);
  cents.set(new Int32Array(buf, l.cents, n));
  owner = gen;
  return {
    best: ex.best.value as number,
    second: ex.second.value as number,
    top: [ex.a1.value as number, ex.r1.value as number, ex.a2.value as number, ex.r2.value as number, ex.a3.value as number, ex.r3.value as number],
    eligible,
    minCents: ex.minCents.value as number,
    maxCents: ex.maxCents.value as number,
    maxReasons: ex.maxReasons.value as number,
    outside: (ex.outside.value as number) !== 0,
  };
}

/**
 * The order of ranking `gen` (rows best first, see rank.ts), made from the scratch its pass left; null
 * when a later ranking has used the scratch since (or the counts are not usable). Groups of equal
 * totals larger than 64 rows are handed to `sortLarge(order, a, b, room)`.
 */
export function simdOrder(
  ex: RankExports,
  gen: number,
  n: number,
  minCents: number,
  maxCents: number,
  sortLarge: (order: Int32Array, a: number, b: number, room: Float64Array) => void,
): Int32Array | null {
  if (owner !== gen || layout === null) return null;
  const l = layout;
  // The counts become positions: no one's counts any more.
  owner = 0;
  simdOrders++;
  const large = ex.order(n, l.byId, l.cents, l.slots, minCents, maxCents, l.room, l.combo, l.ci, l.order, l.groups);
  const buf = ex.memory.buffer;
  const order = new Int32Array(n);
  order.set(new Int32Array(buf, l.order, n));
  if (large > 0) {
    // Each total's slot holds the end of its group.
    const ends = new Int32Array(buf, l.slots, SLOTS);
    const room = new Float64Array(buf, l.room, n);
    let a = 0;
    for (let c = maxCents; c >= minCents; c--) {
      const b = ends[c]!;
      if (b - a > 64) sortLarge(order, a, b, room);
      a = b;
    }
  }
  return order;
}
