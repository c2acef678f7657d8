// The numeric core of placement: every check and score for one device, written into a reused Measure
// without allocating. Everything that depends only on the app and the settings (normalised platforms,
// ports and images, formatted needs, notes) is worked out once per ranking in prepareApp, so the loop
// over the devices is plain arithmetic and a few lookups. explain.ts turns the same Measure into words;
// both read the checks from here so they cannot disagree.
import { versionSatisfies } from '../pooling/names.js';
import { normalizeDeviceArch, normalizeImageRef, normalizePlatform, normalizePort, runsImagePlatform } from './platform.js';
import type { Settings } from './settings.js';
import type { DatabaseEngine, DatabaseNeed, DeviceSnapshot, PlacementRequirements } from './types.js';
import { formatAge, formatBytes } from './units.js';

export const OFFLINE = 1 << 0;
export const METRICS_STALE = 1 << 1;
export const CORDONED = 1 << 2;
export const ARCH = 1 << 3;
export const CPU_CORES = 1 << 4;
export const DEVICE_PATH = 1 << 5;
export const PORT = 1 << 6;
export const RAM = 1 << 7;
export const DATABASE = 1 << 8;
export const STORAGE = 1 << 9;

/** How a database need is met on one device. */
export const VIA_POOL = 0;
/** No server of the engine on the device yet: install creates the shared one. */
export const VIA_NEW_POOL = 1;
export const VIA_DEDICATED = 2;
/** A new shared server is created first, then turns out not to fit, so a dedicated one too. */
export const VIA_NEW_POOL_THEN_DEDICATED = 3;

export interface PreparedNeed {
  need: DatabaseNeed;
  label: string;
  /** Pool version → satisfies the range, for this ranking only. */
  versions: Map<string, boolean>;
  /** Pool version → the plan's detail text, for this ranking only. */
  poolDetails: Map<string, string>;
  dedicatedMemory: number;
  /** Why a new shared server would not do (its known version or extensions), or undefined. */
  newPoolMisfit: string | undefined;
  /** Plan details for a new shared server: [the first need of its engine, a later one]. */
  newPoolDetails: [string, string];
}

export interface PreparedApp {
  id: string | undefined;
  memoryNeed: number;
  memoryNeedText: string;
  diskNeed: number;
  diskNeedText: string;
  /** Normalised image platforms; null: the app runs anywhere. */
  platforms: string[] | null;
  platformList: string;
  /** Raw device platform spelling → does it run one of the app's platforms; for this ranking only. */
  archRuns: Map<string, boolean>;
  requiredPaths: string[];
  optionalPaths: string[];
  ports: string[];
  databases: PreparedNeed[];
  /** Engines the app needs a shared server of, as bits (postgres 1, mariadb 2). */
  engines: number;
  images: Set<string>;
  cpus: number | undefined;
  /** The texts of notes that do not depend on the device. */
  cpuNote: string;
  loadNote: string;
  coresNote: string;
  reliabilityNote: string;
  /** Metrics age in seconds → `sampled 12 s ago`, for this ranking only. */
  sampled: Map<number, string>;
  /** The freshness limit as messages say it. */
  limitText: string;
  /** Byte counts that recur across devices (reserves, needs) → their text, for this ranking only. */
  bytesTexts: Map<number, string>;
}

const ENGINE_BIT: Record<DatabaseEngine, number> = { postgres: 1, mariadb: 2 };

export function prepareApp(app: PlacementRequirements, s: Settings): PreparedApp {
  const platforms = app.architectures && app.architectures.length > 0 ? [...new Set(app.architectures.map(normalizePlatform))].sort() : null;
  const paths = app.devicePaths ?? [];
  const memoryNeed = Math.max(app.memoryBytes, app.observedMemoryBytes ?? 0);
  const c = s.curves;
  let engines = 0;
  const databases = (app.databases ?? []).map((need): PreparedNeed => {
    if (!need.dedicated) engines |= ENGINE_BIT[need.engine];
    const p: PreparedNeed = {
      need,
      label: databaseLabel(need),
      versions: new Map(),
      poolDetails: new Map(),
      dedicatedMemory: need.dedicatedMemoryBytes ?? s.dedicatedMemory[need.engine],
      newPoolMisfit: undefined,
      newPoolDetails: ['', ''],
    };
    const planned = s.newPool[need.engine];
    if (planned.version !== undefined && !poolVersionOk(p, planned.version)) {
      p.newPoolMisfit = `a new shared ${need.engine} server would run ${planned.version}, which does not satisfy ${need.versions}`;
    } else if (planned.extensions !== undefined && !poolHasExtensions(need, planned)) {
      const missing = (need.extensions ?? []).filter((x) => !planned.extensions!.includes(x));
      p.newPoolMisfit = `a new shared ${need.engine} server would lack ${missing.join(', ')}`;
    }
    const shared = formatBytes(planned.memoryBytes);
    p.newPoolDetails = p.newPoolMisfit === undefined
      ? [
          `new shared ${need.engine} server (none on the device yet; installing creates it, ${shared} counted in the RAM need)`,
          `new shared ${need.engine} server (none on the device yet; installing creates it)`,
        ]
      : [
          `${p.label} needs a dedicated server (${p.newPoolMisfit}; installing creates that shared server and a dedicated one)`,
          `${p.label} needs a dedicated server (${p.newPoolMisfit}; installing creates a dedicated one)`,
        ];
    return p;
  });
  return {
    id: app.app,
    memoryNeed,
    memoryNeedText: formatBytes(memoryNeed),
    diskNeed: app.diskBytes,
    diskNeedText: formatBytes(app.diskBytes),
    platforms,
    platformList: platforms ? platforms.join(', ') : '',
    archRuns: new Map(),
    requiredPaths: paths.filter((p) => !p.optional).map((p) => p.path),
    optionalPaths: paths.filter((p) => p.optional).map((p) => p.path),
    ports: [...new Set((app.ports ?? []).map(normalizePort))],
    databases,
    engines,
    images: new Set((app.images ?? []).map(normalizeImageRef)),
    cpus: app.cpus,
    cpuNote: `per-core score unknown; counted as ${c.cpu.unknownPerCoreScore}`,
    loadNote: `load unknown; neutral ${c.load.unknownScore}`,
    coresNote: `core count unknown (0); neutral ${c.load.unknownScore}`,
    reliabilityNote: `availability unknown (under an hour of history); neutral ${c.reliability.unknownScore}`,
    sampled: new Map(),
    limitText: formatAge(s.freshnessLimitSeconds),
    bytesTexts: new Map(),
  };
}

function databaseLabel(n: DatabaseNeed): string {
  const parts: string[] = [n.engine];
  if (n.versions) parts.push(n.versions);
  if (n.extensions && n.extensions.length > 0) parts.push(`with ${n.extensions.join(', ')}`);
  return `${n.ref} (${parts.join(' ')})`;
}

/** `sampled 12 s ago` or `never sampled`. */
export function sampled(d: DeviceSnapshot, app: PreparedApp): string {
  const age = d.metricsAgeSeconds;
  if (age === null) return 'never sampled';
  let text = app.sampled.get(age);
  if (text === undefined) {
    text = `sampled ${formatAge(age)} ago`;
    if (app.sampled.size < 4096) app.sampled.set(age, text);
  }
  return text;
}

/** formatBytes for figures that repeat from device to device (a reserve, a need), remembered per ranking. */
export function bytesText(app: PreparedApp, n: number): string {
  let text = app.bytesTexts.get(n);
  if (text === undefined) {
    text = formatBytes(n);
    if (app.bytesTexts.size < 1024) app.bytesTexts.set(n, text);
  }
  return text;
}

export class Measure {
  /** Bits of the failed checks. */
  flags = 0;
  /** How many reasons the failed checks give (each missing path and taken port is one). */
  reasonCount = 0;
  reservedMemory = 0;
  reservedStorage = 0;
  /** RAM left for the app after reservations and the reserve (may be negative). */
  memoryAvailable = 0;
  storageReserve = 0;
  storageAvailable = 0;
  /** Memory of database servers this app brings onto the device (dedicated ones, a new shared one). */
  dedicatedMemory = 0;
  /** App memory plus those database servers. */
  memoryNeed = 0;
  /** VIA_* per database need, in the app's order (reused; only the first app.databases.length count). */
  via: number[] = [];
  /** Index of the pool used per need (VIA_POOL), else -1. */
  pool: number[] = [];
  cpuValue = 0;
  cpuAssumed = false;
  loadUnknownCores = false;
  ram = 0;
  storage = 0;
  cpu = 0;
  load = 0;
  reliability = 0;
  ramContribution = 0;
  storageContribution = 0;
  cpuContribution = 0;
  loadContribution = 0;
  reliabilityContribution = 0;
  total = 0;
  imagesPresent = 0;
}

/** Sums and products of huge (valid) figures can overflow; JSON has no Infinity, so stay finite. */
export const finite = (x: number): number => (x > Number.MAX_VALUE ? Number.MAX_VALUE : x < -Number.MAX_VALUE ? -Number.MAX_VALUE : x);
export const round2 = (x: number): number => Math.round(x * 100) / 100;
export const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x === x ? x : 0);

/**
 * weight / Σweights of RAM, storage, CPU, load and reliability: a contribution is score × factor, so a
 * total is Σ score·weight/Σweights (worked out once per settings, the same doubles on every path).
 */
export function factors(s: Settings): Float64Array {
  let f = s.factors;
  if (f === undefined) {
    const w = s.weights;
    const sum = s.weightSum;
    f = Float64Array.of(w.ram / sum, w.storage / sum, w.cpu / sum, w.load / sum, w.reliability / sum);
    s.factors = f;
  }
  return f;
}

const PARTS = new Float64Array(5);
const SHARES = new Int32Array(5);

/**
 * The five contributions shown, in hundredths that add up to the total exactly (the largest remainder
 * method: each part rounded down, then the cents the total has left given to the parts with the
 * largest fractions, ties to the earlier criterion); each is within 0.01 of its exact value.
 */
function apportion(total: number, a: number, b: number, c: number, d: number, e: number, m: Measure): void {
  PARTS[0] = 100 * a;
  PARTS[1] = 100 * b;
  PARTS[2] = 100 * c;
  PARTS[3] = 100 * d;
  PARTS[4] = 100 * e;
  let left = total;
  for (let i = 0; i < 5; i++) {
    SHARES[i] = Math.floor(PARTS[i]!);
    left -= SHARES[i]!;
  }
  // 0 <= left < 5 (a float error can only move it by one); give or take a cent at a time.
  for (let guard = 0; left !== 0 && guard < 10; guard++) {
    let k = -1;
    let best = 0;
    for (let i = 0; i < 5; i++) {
      const frac = PARTS[i]! - SHARES[i]!;
      if (left > 0 ? k < 0 || frac > best : SHARES[i]! > 0 && (k < 0 || frac < best)) {
        k = i;
        best = frac;
      }
    }
    if (k < 0) break;
    const step = left > 0 ? 1 : -1;
    SHARES[k] = SHARES[k]! + step;
    // A part given a cent has none of its fraction left to compete with.
    PARTS[k] = PARTS[k]! + (left > 0 ? -1 : 1);
    left -= step;
  }
  m.ramContribution = SHARES[0]! / 100;
  m.storageContribution = SHARES[1]! / 100;
  m.cpuContribution = SHARES[2]! / 100;
  m.loadContribution = SHARES[3]! / 100;
  m.reliabilityContribution = SHARES[4]! / 100;
}

function archRuns(raw: string, app: PreparedApp): boolean {
  let ok = app.archRuns.get(raw);
  if (ok === undefined) {
    const device = normalizeDeviceArch(raw);
    ok = false;
    for (const p of app.platforms!) {
      if (runsImagePlatform(device, p)) {
        ok = true;
        break;
      }
    }
    if (app.archRuns.size < 4096) app.archRuns.set(raw, ok);
  }
  return ok;
}

export function runsPlatform(d: Pick<DeviceSnapshot, 'arch' | 'platforms'>, app: PreparedApp): boolean {
  if (archRuns(d.arch, app)) return true;
  const extra = d.platforms;
  if (extra) for (let i = 0; i < extra.length; i++) if (archRuns(extra[i]!, app)) return true;
  return false;
}

/** A path is there when listed, or when something below it is (`/dev/dri/renderD128` means `/dev/dri` exists). */
export function hasPath(d: Pick<DeviceSnapshot, 'devicePaths'>, path: string): boolean {
  const list = d.devicePaths;
  for (let i = 0; i < list.length; i++) {
    const p = list[i]!;
    if (p === path || (p.length > path.length && p.startsWith(path) && p.charCodeAt(path.length) === 47)) return true;
  }
  return false;
}

export function hasPort(d: Pick<DeviceSnapshot, 'listeningPorts'>, port: string): boolean {
  const list = d.listeningPorts;
  for (let i = 0; i < list.length; i++) {
    const l = list[i]!;
    if (l === port || normalizePort(l) === port) return true;
  }
  return false;
}

const ENGINES: Record<string, DatabaseEngine> = { postgres: 'postgres', postgresql: 'postgres', mariadb: 'mariadb', mysql: 'mariadb' };

export function poolEngine(raw: string): DatabaseEngine | undefined {
  return ENGINES[raw] ?? ENGINES[raw.toLowerCase()];
}

export function poolVersionOk(p: PreparedNeed, version: string): boolean {
  const range = p.need.versions;
  if (!range) return true;
  let ok = p.versions.get(version);
  if (ok === undefined) {
    ok = satisfiesRemembered(version, range);
    if (p.versions.size < 4096) p.versions.set(version, ok);
  }
  return ok;
}

/**
 * pooling's versionSatisfies (the version coerced: `10.11.6-MariaDB` is 10.11.6), remembered across
 * rankings (a pure function of two strings; a lab has a handful of each): semver parses the range and
 * coerces the version each time, and took more time than the rest of a ranking's setup.
 */
const satisfied = new Map<string, boolean>();
function satisfiesRemembered(version: string, range: string): boolean {
  const key = `${range.length}:${range}${version}`;
  let ok = satisfied.get(key);
  if (ok === undefined) {
    ok = versionSatisfies(version, range);
    if (satisfied.size >= 4096) satisfied.clear();
    satisfied.set(key, ok);
  }
  return ok;
}

export function poolHasExtensions(need: DatabaseNeed, pool: { extensions?: string[] }): boolean {
  if (!need.extensions) return true;
  for (const x of need.extensions) if (!pool.extensions || !pool.extensions.includes(x)) return false;
  return true;
}

/** Index of the first pool on the device that meets the need, or -1. */
export function poolFor(d: Pick<DeviceSnapshot, 'databases'>, p: PreparedNeed): number {
  if (p.need.dedicated) return -1;
  const pools = d.databases;
  for (let i = 0; i < pools.length; i++) {
    const pool = pools[i]!;
    if (poolEngine(pool.engine) === p.need.engine && poolVersionOk(p, pool.version) && poolHasExtensions(p.need, pool)) return i;
  }
  return -1;
}

function hasEngine(d: Pick<DeviceSnapshot, 'databases'>, engine: DatabaseEngine): boolean {
  const pools = d.databases;
  for (let i = 0; i < pools.length; i++) if (poolEngine(pools[i]!.engine) === engine) return true;
  return false;
}

/**
 * How each database need of the app is met on a device with these pools (VIA_* into m.via, the pool
 * used into m.pool); returns the memory of the database servers the app brings onto the device.
 */
export function planDatabases(d: Pick<DeviceSnapshot, 'databases'>, app: PreparedApp, s: Settings, m: Measure): number {
  let dedicatedMemory = 0;
  const needs = app.databases;
  let newEngines = 0;
  for (let i = 0; i < needs.length; i++) {
    const p = needs[i]!;
    const k = poolFor(d, p);
    m.pool[i] = k;
    if (k >= 0) {
      m.via[i] = VIA_POOL;
      continue;
    }
    if (p.need.dedicated || hasEngine(d, p.need.engine)) {
      m.via[i] = VIA_DEDICATED;
      dedicatedMemory += p.dedicatedMemory;
      continue;
    }
    // No server of the engine yet: installing creates the device's shared one (once per engine).
    const bit = ENGINE_BIT[p.need.engine];
    if ((newEngines & bit) === 0) {
      newEngines |= bit;
      dedicatedMemory += s.newPool[p.need.engine].memoryBytes;
    }
    if (p.newPoolMisfit === undefined) m.via[i] = VIA_NEW_POOL;
    else {
      m.via[i] = VIA_NEW_POOL_THEN_DEDICATED;
      dedicatedMemory += p.dedicatedMemory;
    }
  }
  return dedicatedMemory;
}

/**
 * Every check and score of device `d` for the app, into `m`. Scores are worked out for disqualified
 * devices too, so that they show how they would have scored.
 */
export function measure(d: DeviceSnapshot, app: PreparedApp, s: Settings, m: Measure): void {
  let flags = 0;
  let reasons = 0;
  if (!d.online) {
    flags |= OFFLINE;
    reasons++;
  }
  const age = d.metricsAgeSeconds;
  if (age === null || !(age <= s.freshnessLimitSeconds)) {
    flags |= METRICS_STALE;
    reasons++;
  }
  if (d.cordoned) {
    flags |= CORDONED;
    reasons++;
  }
  const cores = d.cores > 0 ? d.cores : 0;
  if (app.cpus !== undefined && cores < app.cpus) {
    flags |= CPU_CORES;
    reasons++;
  }
  let reservedMemory = 0;
  let reservedStorage = 0;
  const rs = d.reservations;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i]!;
    if (r.app === app.id) continue;
    reservedMemory += r.memoryBytes;
    reservedStorage += r.storageBytes;
  }
  const memoryAvailable = finite(d.memory.availableBytes - d.memory.reserveBytes - reservedMemory);
  const storageReserve = d.storage.reserveBytes ?? 0;
  const storageAvailable = finite(d.storage.availableBytes - storageReserve - reservedStorage);
  if (!(memoryAvailable >= app.memoryNeed)) {
    flags |= RAM;
    reasons++;
  }
  if (!(storageAvailable >= app.diskNeed)) {
    flags |= STORAGE;
    reasons++;
  }
  if (app.platforms !== null && !runsPlatform(d, app)) {
    flags |= ARCH;
    reasons++;
  }
  for (let i = 0; i < app.requiredPaths.length; i++) {
    if (!hasPath(d, app.requiredPaths[i]!)) {
      flags |= DEVICE_PATH;
      reasons++;
    }
  }
  for (let i = 0; i < app.ports.length; i++) {
    if (hasPort(d, app.ports[i]!)) {
      flags |= PORT;
      reasons++;
    }
  }
  const dedicatedMemory = app.databases.length > 0 ? planDatabases(d, app, s, m) : 0;
  const memoryNeed = finite(app.memoryNeed + dedicatedMemory);
  if (dedicatedMemory > 0 && !(memoryAvailable >= memoryNeed)) {
    flags |= DATABASE;
    reasons++;
  }

  const c = s.curves;
  const ramValue = memoryAvailable > 0 ? memoryAvailable : 0;
  const ram = memoryNeed > 0 ? 100 * clamp01((ramValue - memoryNeed) / (c.ram.headroomFactor * memoryNeed)) : 100;
  const storageValue = storageAvailable > 0 ? storageAvailable : 0;
  const storage = 100 * clamp01((storageValue - app.diskNeed) / (c.storage.headroomFactor * Math.max(app.diskNeed, c.storage.minNeedBytes)));
  const perCore = d.cpuScorePerCore;
  const cpuAssumed = perCore === null || !(perCore > 0);
  const cpuValue = finite(cores * (cpuAssumed ? c.cpu.unknownPerCoreScore : perCore));
  const cpu = 100 * clamp01(cpuValue / c.cpu.reference);
  const load1 = d.load1;
  const loadUnknownCores = load1 !== null && cores === 0;
  const load = load1 === null || cores === 0 ? c.load.unknownScore : 100 * (1 - clamp01(load1 / (cores * c.load.perCoreCapacity)));
  const reliability = d.availability7d === null ? c.reliability.unknownScore : 100 * clamp01(d.availability7d);

  // The total is the exact weighted sum, rounded once to hundredths (rank.ts's pass and row-scores.ts
  // add the same five products in the same order, so both paths give the same total to the bit).
  const f = factors(s);
  const ramPart = ram * f[0]!;
  const storagePart = storage * f[1]!;
  const cpuPart = cpu * f[2]!;
  const loadPart = load * f[3]!;
  const reliabilityPart = reliability * f[4]!;
  const total = Math.round(100 * (ramPart + storagePart + (cpuPart + loadPart + reliabilityPart)));
  apportion(total, ramPart, storagePart, cpuPart, loadPart, reliabilityPart, m);
  m.total = total / 100;

  let imagesPresent = 0;
  if (app.images.size > 0) {
    const list = d.images;
    for (let i = 0; i < list.length; i++) if (app.images.has(normalizeImageRef(list[i]!))) imagesPresent++;
  }

  m.flags = flags;
  m.reasonCount = reasons;
  m.reservedMemory = reservedMemory;
  m.reservedStorage = reservedStorage;
  m.memoryAvailable = memoryAvailable;
  m.storageReserve = storageReserve;
  m.storageAvailable = storageAvailable;
  m.dedicatedMemory = dedicatedMemory;
  m.memoryNeed = memoryNeed;
  m.cpuValue = cpuValue;
  m.cpuAssumed = cpuAssumed;
  m.loadUnknownCores = loadUnknownCores;
  m.ram = round2(ram);
  m.storage = round2(storage);
  m.cpu = round2(cpu);
  m.load = round2(load);
  m.reliability = round2(reliability);
  m.imagesPresent = imagesPresent;
}
