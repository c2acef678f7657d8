// The inventory as columns: one row per device, its figures in typed arrays and its lists (platforms,
// device paths, listening ports, images, database servers) as interned profile ids, so that ranking a
// large fleet is one pass over numbers. A fleet has few distinct lists (most boards of a kind share
// them); each ranking judges each distinct list once, not each device.
//
// The hub can keep one table and update a row whenever a device's figures change (upsert, remove, or
// sync with a whole inventory); DeviceTable.from builds one from snapshots (files, tests). The table
// also keeps each row's DeviceSnapshot, by reference: explaining a candidate (reasons, criteria texts,
// database plans) reads it, only when the candidate is read. Snapshots given to a table are treated as
// immutable values: replace a device with upsert, never modify the object.
import { ageAt, availabilityBits, StaticScorer, staticKey, staleFrom } from './row-scores.js';
import type { Settings } from './settings.js';
import type { DeviceSnapshot } from './types.js';

class Interner<T> {
  readonly ids = new Map<string, number>();
  readonly values: T[] = [];

  /** The id of `key`, adding `make()` as its value the first time. */
  id(key: string, make: () => T): number {
    const id = this.ids.get(key);
    return id !== undefined ? id : this.add(key, make());
  }

  private add(key: string, value: T): number {
    const id = this.values.length;
    this.ids.set(key, id);
    this.values.push(value);
    return id;
  }

  get size(): number {
    return this.values.length;
  }
}

/** A key for a list of strings: each length-prefixed, so that no two lists share one; '' when empty. */
function listKey(xs: readonly string[] | undefined): string {
  if (xs === undefined || xs.length === 0) return '';
  let key = `${xs.length}|`;
  for (let k = 0; k < xs.length; k++) key += `${xs[k]!.length}:${xs[k]}`;
  return key;
}

/** A key for a list of database servers: each string length-prefixed, so that no two lists share one. */
function databasesKey(dbs: DeviceSnapshot['databases']): string {
  let key = '';
  for (let k = 0; k < dbs.length; k++) {
    const x = dbs[k]!;
    key += `${x.engine.length}:${x.engine}${x.version.length}:${x.version}`;
    const ext = x.extensions;
    if (ext === undefined) key += '-';
    else {
      key += `${ext.length}[`;
      for (let e = 0; e < ext.length; e++) key += `${ext[e]!.length}:${ext[e]}`;
    }
  }
  return key;
}

/** The largest installed app by memory, then id (none: id '', memory 0, home -1), and its first row. */
export interface LargestApp {
  id: string;
  memory: number;
  home: number;
}

export type PlatformProfile = Pick<DeviceSnapshot, 'arch' | 'platforms'>;
export type PathsProfile = Pick<DeviceSnapshot, 'devicePaths'>;
export type PortsProfile = Pick<DeviceSnapshot, 'listeningPorts'>;
export type ImagesProfile = Pick<DeviceSnapshot, 'images'>;
export type DatabasesProfile = Pick<DeviceSnapshot, 'databases'>;

const F64 = Float64Array;
/** Changed rows listed for takeChanges before it reports all rows (a copy of a few rows is cheaper than of all). */
const CHANGES_KEPT = 256;
const MAX = Number.MAX_VALUE;

export class DeviceTable {
  /** Number of rows (devices). */
  size = 0;
  private capacity = 0;
  ids: string[] = [];
  names: string[] = [];
  snapshots: DeviceSnapshot[] = [];
  private readonly rowOf = new Map<string, number>();
  online = new Uint8Array(0);
  cordoned = new Uint8Array(0);
  /** Metrics age in seconds; NaN when there is no sample (null) or the row gives its sample time. */
  age = new F64(0);
  /**
   * When the row's newest sample was taken (sampledAtMs), NaN when the row gives its age instead: the
   * age is then worked out at ranking time (ageAt), so that a kept row stays the same while time passes.
   */
  sampledAt = new F64(0);
  /** Rows with a sample time. */
  private sampledRows = 0;
  /** Cores, 0 when unknown or not positive (as the scores count them). */
  cores = new F64(0);
  /** Per-core score; NaN when unknown (null). */
  perCore = new F64(0);
  memAvailable = new F64(0);
  memReserve = new F64(0);
  storageAvailable = new F64(0);
  storageReserve = new F64(0);
  /** NaN when unknown (null). */
  load1 = new F64(0);
  /** NaN when unknown (null). */
  availability = new F64(0);
  /** Sums of the row's reservations (all apps, in list order). */
  reservedMemory = new F64(0);
  reservedStorage = new F64(0);
  /** RAM and storage free for any app: available − reserve − reservations, clamped to finite (as measure.ts). */
  memFree = new F64(0);
  storageFree = new F64(0);
  platform = new Int32Array(0);
  paths = new Int32Array(0);
  ports = new Int32Array(0);
  images = new Int32Array(0);
  databases = new Int32Array(0);
  /**
   * The row's five list ids together (platform, paths, ports, images, databases), interned: a ranking
   * judges each distinct combination once and reads one id per row. comboParts holds 5 ids per combo.
   */
  combo = new Int32Array(0);
  comboParts: number[] = [];
  private readonly combos = new Map<string, number>();
  /** The largest installed app outside a given app (largestApp), per app id; cleared on every change. */
  private largest = new Map<string | undefined, LargestApp>();
  /**
   * The largest installed app of the row (apps and reservations; by memory, then id) and the largest
   * with another id, so that a ranking can leave out the app being placed. '' and 0 when none.
   */
  largestId: string[] = [];
  largestMemory = new F64(0);
  secondId: string[] = [];
  secondMemory = new F64(0);
  readonly platforms = new Interner<PlatformProfile>();
  readonly pathSets = new Interner<PathsProfile>();
  readonly portSets = new Interner<PortsProfile>();
  readonly imageSets = new Interner<ImagesProfile>();
  readonly databaseSets = new Interner<DatabasesProfile>();
  /** App id → rows holding a reservation for it; null until asked after a change. */
  private reservedFor: Map<string, number[]> | null = null;
  /** Rows in device id order; null until asked after a change. */
  private byId: Int32Array | null = null;
  /** Bumped on every change, so that a caller can tell whether the table moved under it. */
  version = 0;
  /**
   * Rows whose columns changed since the last takeChanges() (written or moved into), or null when
   * any may have: rows added or removed, the kept static scores or availability flags worked out
   * again, more than CHANGES_KEPT rows. For the copy of the columns a ranking keeps (simd.ts).
   */
  private changed: number[] | null = null;
  /** A result holds ids, names and snapshots as they were: copy them before the next change. */
  private lent = false;
  /** App ids of the largest-app columns, one string per id (compared by identity when ranking). */
  private readonly appIds = new Map<string, string>();
  /**
   * App-independent parts of a ranking, kept for the settings of the last ranking and recomputed for a
   * row on upsert: the CPU + load + reliability contributions, unrounded (row-scores.ts), valid for
   * `scorer`'s settings; offline / stale / cordoned flags with their count in bits 8+, valid for
   * `freshLimit`.
   */
  private scorer: StaticScorer | null = null;
  private staticParts = new F64(0);
  private freshLimit = NaN;
  private availBits = new Uint16Array(0);
  /**
   * The flags hold for every ranking time in [freshFrom, freshUntil): rows with a sample time were
   * judged at freshFrom, and none of the fresh ones turns stale before freshUntil (a stale one stays
   * stale as time goes on).
   */
  private freshFrom = 0;
  private freshUntil = Infinity;

  static from(devices: readonly DeviceSnapshot[]): DeviceTable {
    const t = new DeviceTable();
    t.grow(devices.length);
    for (let i = 0; i < devices.length; i++) t.upsert(devices[i]!);
    return t;
  }

  /** Make this table hold exactly `devices` (upserting each, removing the rest). */
  sync(devices: readonly DeviceSnapshot[]): void {
    const keep = new Set<string>();
    for (const d of devices) {
      keep.add(d.id);
      this.upsert(d);
    }
    for (const id of [...this.ids.slice(0, this.size)]) if (!keep.has(id)) this.remove(id);
  }

  /** The rows changed since the last call (see `changed`): null when any may have. */
  takeChanges(): readonly number[] | null {
    const c = this.changed;
    this.changed = [];
    return c;
  }

  private noteChange(i: number): void {
    const c = this.changed;
    if (c === null) return;
    if (c.length >= CHANGES_KEPT) this.changed = null;
    else c.push(i);
  }

  row(id: string): number | undefined {
    return this.rowOf.get(id);
  }

  /**
   * The row lists (ids, names, snapshots) and the free RAM and combination columns as they are now,
   * for a result to keep: the table copies them before its next change instead of every ranking
   * copying them.
   */
  borrowRows(): { ids: string[]; names: string[]; snapshots: DeviceSnapshot[]; memFree: Float64Array; combo: Int32Array } {
    this.lent = true;
    return { ids: this.ids, names: this.names, snapshots: this.snapshots, memFree: this.memFree, combo: this.combo };
  }

  private unlend(): void {
    if (!this.lent) return;
    this.lent = false;
    this.ids = this.ids.slice(0, this.size);
    this.names = this.names.slice(0, this.size);
    this.snapshots = this.snapshots.slice(0, this.size);
    this.memFree = this.memFree.slice();
    this.combo = this.combo.slice();
  }

  private appId(id: string): string {
    let s = this.appIds.get(id);
    if (s === undefined) {
      if (this.appIds.size >= 65536) this.appIds.clear();
      this.appIds.set(id, id);
      s = id;
    }
    return s;
  }

  /** Add a device, or replace the row of the device with its id. Unchanged snapshots cost one lookup. */
  upsert(d: DeviceSnapshot): void {
    let i = this.rowOf.get(d.id);
    if (i !== undefined && this.snapshots[i] === d) return;
    this.unlend();
    if (i === undefined) {
      if (this.size === this.capacity) this.grow(Math.max(16, this.capacity * 2));
      i = this.size++;
      this.changed = null;
      this.rowOf.set(d.id, i);
      this.ids[i] = d.id;
      this.byId = null;
    } else if (this.reservationApps(this.snapshots[i]!) !== this.reservationApps(d)) this.reservedFor = null;
    if (d.reservations.length > 0) this.reservedFor = null;
    this.write(i, d);
    this.version++;
    if (this.largest.size > 0) this.updateLargest(i);
    // Interned lists are never dropped while the table lives; start afresh when they outgrow the rows.
    const profiles = this.platforms.size + this.pathSets.size + this.portSets.size + this.imageSets.size + this.databaseSets.size + this.combos.size;
    if (profiles > 5 * this.size + 4096) this.reintern();
  }

  remove(id: string): boolean {
    const i = this.rowOf.get(id);
    if (i === undefined) return false;
    this.unlend();
    this.changed = null;
    const last = this.size - 1;
    if (this.sampledAt[i] === this.sampledAt[i]) this.sampledRows--;
    if (i !== last) this.move(last, i);
    this.sampledAt[last] = NaN;
    this.rowOf.delete(id);
    this.ids.length = last;
    this.names.length = last;
    this.snapshots.length = last;
    this.largestId.length = last;
    this.secondId.length = last;
    this.size = last;
    this.byId = null;
    this.reservedFor = null;
    this.version++;
    if (this.largest.size > 0) this.largest = new Map();
    return true;
  }

  /** Rows holding a reservation for `app` (its own reservations do not count against it). */
  rowsReservedFor(app: string | undefined): readonly number[] | undefined {
    if (app === undefined) return undefined;
    if (this.reservedFor === null) {
      const m = new Map<string, number[]>();
      for (let i = 0; i < this.size; i++) {
        const rs = this.snapshots[i]!.reservations;
        for (let k = 0; k < rs.length; k++) {
          const list = m.get(rs[k]!.app);
          if (list === undefined) m.set(rs[k]!.app, [i]);
          else if (list[list.length - 1] !== i) list.push(i);
        }
      }
      this.reservedFor = m;
    }
    return this.reservedFor.get(app);
  }

  /** Every row's CPU + load + reliability contributions (unrounded) under `s` (kept while the settings stay). */
  staticScores(s: Settings): Float64Array {
    const key = staticKey(s);
    if (this.scorer === null || this.scorer.key !== key) {
      this.changed = null;
      const scorer = new StaticScorer(s, key);
      for (let i = 0; i < this.size; i++) this.staticParts[i] = scorer.row(this, i);
      this.scorer = scorer;
    }
    return this.staticParts;
  }

  /**
   * Every row's offline / stale beyond `limit` / cordoned flags at time `now` (ms), their count in bits
   * 8+: kept while the limit stays and, for rows with a sample time, until one of them turns stale.
   */
  unavailable(limit: number, now: number): Uint16Array {
    if (this.freshLimit === limit && (this.sampledRows === 0 || (now >= this.freshFrom && now < this.freshUntil))) return this.availBits;
    this.changed = null;
    this.freshLimit = limit;
    this.freshFrom = now;
    this.freshUntil = Infinity;
    for (let i = 0; i < this.size; i++) this.judgeFresh(i);
    return this.availBits;
  }

  /** Row i's availability flags at freshFrom under freshLimit; a fresh sampled row bounds freshUntil. */
  private judgeFresh(i: number): void {
    const limit = this.freshLimit;
    const at = this.sampledAt[i]!;
    let age = this.age[i]!;
    if (at === at) {
      age = ageAt(at, this.freshFrom);
      if (age <= limit) {
        const until = staleFrom(at, limit);
        if (until < this.freshUntil) this.freshUntil = until;
      }
    }
    this.availBits[i] = availabilityBits(this.online[i]!, age, this.cordoned[i]!, limit);
  }

  /**
   * The largest installed app (apps and reservations, by memory, then id) on any row, leaving out
   * `app` (the app being placed), and the first row holding it; cached per app id until the next change.
   */
  largestApp(app: string | undefined): LargestApp {
    let l = this.largest.get(app);
    if (l === undefined) {
      let id = '';
      let memory = 0;
      let home = -1;
      for (let i = 0; i < this.size; i++) {
        let lid = this.largestId[i]!;
        let lmem = this.largestMemory[i]!;
        if (lid === app) {
          lid = this.secondId[i]!;
          lmem = this.secondMemory[i]!;
        }
        if (lmem > memory || (lmem === memory && lmem > 0 && lid !== id && lid < id)) {
          id = lid;
          memory = lmem;
          home = i;
        }
      }
      l = { id, memory, home };
      if (this.largest.size >= 64) this.largest.clear();
      this.largest.set(app, l);
    }
    return l;
  }

  /**
   * Row i was written: bring each kept largestApp answer up to date without going over every row. Row
   * i's app may now be the largest (or the same one, on an earlier row); when row i held the largest,
   * which may have shrunk or gone, the answer is worked out again when next asked.
   */
  private updateLargest(i: number): void {
    for (const [app, l] of this.largest) {
      if (l.home === i) {
        this.largest.delete(app);
        continue;
      }
      let lid = this.largestId[i]!;
      let lmem = this.largestMemory[i]!;
      if (lid === app) {
        lid = this.secondId[i]!;
        lmem = this.secondMemory[i]!;
      }
      // As largestApp compares rows in row order: a better figure, or the same app on an earlier row.
      if (lmem > l.memory || (lmem === l.memory && lmem > 0 && lid !== l.id && lid < l.id)) this.largest.set(app, { id: lid, memory: lmem, home: i });
      else if (lmem === l.memory && lmem > 0 && lid === l.id && i < l.home) this.largest.set(app, { id: lid, memory: lmem, home: i });
    }
  }

  /** Rows in device id order (cached until the next change). */
  idOrder(): Int32Array {
    if (this.byId !== null) return this.byId;
    const n = this.size;
    const ids = this.ids;
    let sorted = true;
    for (let i = 1; i < n; i++) {
      if (ids[i - 1]! > ids[i]!) {
        sorted = false;
        break;
      }
    }
    let order: Int32Array;
    if (sorted) {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    } else {
      const list = Array.from({ length: n }, (_, i) => i);
      list.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
      order = Int32Array.from(list);
    }
    this.byId = order;
    return order;
  }

  private reservationApps(d: DeviceSnapshot): string {
    const rs = d.reservations;
    if (rs.length === 0) return '';
    let key = rs[0]!.app;
    for (let k = 1; k < rs.length; k++) key += '\n' + rs[k]!.app;
    return key;
  }

  private write(i: number, d: DeviceSnapshot): void {
    this.noteChange(i);
    this.names[i] = d.name;
    this.snapshots[i] = d;
    this.online[i] = d.online ? 1 : 0;
    this.cordoned[i] = d.cordoned ? 1 : 0;
    const at = d.sampledAtMs;
    if (this.sampledAt[i] === this.sampledAt[i]) this.sampledRows--;
    if (at !== undefined) {
      this.sampledAt[i] = at;
      this.age[i] = NaN;
      this.sampledRows++;
    } else {
      this.sampledAt[i] = NaN;
      this.age[i] = d.metricsAgeSeconds === null ? NaN : d.metricsAgeSeconds;
    }
    this.cores[i] = d.cores > 0 ? d.cores : 0;
    this.perCore[i] = d.cpuScorePerCore === null ? NaN : d.cpuScorePerCore;
    this.memAvailable[i] = d.memory.availableBytes;
    this.memReserve[i] = d.memory.reserveBytes;
    this.storageAvailable[i] = d.storage.availableBytes;
    this.storageReserve[i] = d.storage.reserveBytes ?? 0;
    this.load1[i] = d.load1 === null ? NaN : d.load1;
    this.availability[i] = d.availability7d === null ? NaN : d.availability7d;
    let mem = 0;
    let sto = 0;
    const rs = d.reservations;
    for (let k = 0; k < rs.length; k++) {
      mem += rs[k]!.memoryBytes;
      sto += rs[k]!.storageBytes;
    }
    this.reservedMemory[i] = mem;
    this.reservedStorage[i] = sto;
    let free = d.memory.availableBytes - d.memory.reserveBytes - mem;
    this.memFree[i] = free > MAX ? MAX : free < -MAX ? -MAX : free;
    free = d.storage.availableBytes - (d.storage.reserveBytes ?? 0) - sto;
    this.storageFree[i] = free > MAX ? MAX : free < -MAX ? -MAX : free;
    if (this.scorer !== null) this.staticParts[i] = this.scorer.row(this, i);
    if (this.freshLimit === this.freshLimit) this.judgeFresh(i);
    // Most lists are empty or shared by many devices: an empty one needs no key at all.
    const platforms = d.platforms;
    const pkey = `${d.arch.length}:${d.arch}${listKey(platforms)}`;
    this.platform[i] = this.platforms.id(pkey, () => ({ arch: d.arch, ...(platforms && platforms.length > 0 ? { platforms: [...platforms] } : {}) }));
    const paths = d.devicePaths;
    this.paths[i] = this.pathSets.id(listKey(paths), () => ({ devicePaths: [...paths] }));
    const ports = d.listeningPorts;
    this.ports[i] = this.portSets.id(listKey(ports), () => ({ listeningPorts: [...ports] }));
    const images = d.images;
    this.images[i] = this.imageSets.id(listKey(images), () => ({ images: [...images] }));
    const dbs = d.databases;
    const dkey = dbs.length === 0 ? '' : databasesKey(dbs);
    this.databases[i] = this.databaseSets.id(dkey, () => ({ databases: dbs.map((x) => ({ ...x, ...(x.extensions ? { extensions: [...x.extensions] } : {}) })) }));
    const ckey = `${this.platform[i]},${this.paths[i]},${this.ports[i]},${this.images[i]},${this.databases[i]}`;
    let combo = this.combos.get(ckey);
    if (combo === undefined) {
      combo = this.combos.size;
      this.combos.set(ckey, combo);
      this.comboParts.push(this.platform[i]!, this.paths[i]!, this.ports[i]!, this.images[i]!, this.databases[i]!);
    }
    this.combo[i] = combo;
    // The largest app here (by memory, then id; as rank.ts compares them across rows), and the
    // largest of another id.
    const apps = d.apps;
    let first = '';
    let firstMem = 0;
    let second = '';
    let secondMem = 0;
    if ((apps !== undefined && apps.length > 0) || rs.length > 0) {
      const n = (apps?.length ?? 0) + rs.length;
      const idAt = (k: number): string => (apps !== undefined && k < apps.length ? apps[k]!.id : rs[k - (apps?.length ?? 0)]!.app);
      const memAt = (k: number): number => (apps !== undefined && k < apps.length ? apps[k]!.memoryBytes : rs[k - (apps?.length ?? 0)]!.memoryBytes);
      for (let k = 0; k < n; k++) {
        const id = idAt(k);
        const m = memAt(k);
        if (m > firstMem || (m === firstMem && m > 0 && id < first)) {
          first = id;
          firstMem = m;
        }
      }
      if (firstMem > 0) {
        for (let k = 0; k < n; k++) {
          const id = idAt(k);
          const m = memAt(k);
          if (id !== first && (m > secondMem || (m === secondMem && m > 0 && id < second))) {
            second = id;
            secondMem = m;
          }
        }
      }
    }
    this.largestId[i] = first === '' ? '' : this.appId(first);
    this.largestMemory[i] = firstMem;
    this.secondId[i] = second === '' ? '' : this.appId(second);
    this.secondMemory[i] = secondMem;
  }

  private move(from: number, to: number): void {
    this.noteChange(to);
    const id = this.ids[from]!;
    this.ids[to] = id;
    this.rowOf.set(id, to);
    this.names[to] = this.names[from]!;
    this.snapshots[to] = this.snapshots[from]!;
    this.largestId[to] = this.largestId[from]!;
    this.secondId[to] = this.secondId[from]!;
    for (const col of this.columns()) col[to] = col[from]!;
  }

  private columns(): (Float64Array | Int32Array | Uint16Array | Uint8Array)[] {
    return [
      this.online, this.cordoned, this.age, this.sampledAt, this.cores, this.perCore, this.memAvailable, this.memReserve, this.storageAvailable, this.storageReserve,
      this.load1, this.availability, this.reservedMemory, this.reservedStorage, this.platform, this.paths, this.ports, this.images, this.databases, this.combo,
      this.largestMemory, this.secondMemory, this.memFree, this.storageFree, this.staticParts, this.availBits,
    ];
  }

  private grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const f = (a: Float64Array) => {
      const b = new F64(capacity);
      b.set(a.subarray(0, this.size));
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(capacity);
      b.set(a.subarray(0, this.size));
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(capacity);
      b.set(a.subarray(0, this.size));
      return b;
    };
    this.online = u8(this.online);
    this.cordoned = u8(this.cordoned);
    this.age = f(this.age);
    const at = f(this.sampledAt);
    at.fill(NaN, this.size);
    this.sampledAt = at;
    this.cores = f(this.cores);
    this.perCore = f(this.perCore);
    this.memAvailable = f(this.memAvailable);
    this.memReserve = f(this.memReserve);
    this.storageAvailable = f(this.storageAvailable);
    this.storageReserve = f(this.storageReserve);
    this.load1 = f(this.load1);
    this.availability = f(this.availability);
    this.reservedMemory = f(this.reservedMemory);
    this.reservedStorage = f(this.reservedStorage);
    this.platform = i32(this.platform);
    this.paths = i32(this.paths);
    this.ports = i32(this.ports);
    this.images = i32(this.images);
    this.databases = i32(this.databases);
    this.combo = i32(this.combo);
    this.largestMemory = f(this.largestMemory);
    this.secondMemory = f(this.secondMemory);
    this.memFree = f(this.memFree);
    this.storageFree = f(this.storageFree);
    this.staticParts = f(this.staticParts);
    const u16 = new Uint16Array(capacity);
    u16.set(this.availBits.subarray(0, this.size));
    this.availBits = u16;
    this.capacity = capacity;
  }

  private reintern(): void {
    const rows = this.snapshots.slice(0, this.size);
    (this as { platforms: Interner<PlatformProfile> }).platforms = new Interner();
    (this as { pathSets: Interner<PathsProfile> }).pathSets = new Interner();
    (this as { portSets: Interner<PortsProfile> }).portSets = new Interner();
    (this as { imageSets: Interner<ImagesProfile> }).imageSets = new Interner();
    (this as { databaseSets: Interner<DatabasesProfile> }).databaseSets = new Interner();
    this.combos.clear();
    this.comboParts = [];
    for (let i = 0; i < rows.length; i++) this.write(i, rows[i]!);
  }
}
