// The numeric core of placement: every check and score for one device, written into a reused Measure
// without allocating, so that deciding over a large fleet costs little more than reading the devices.
// explain.ts turns the same Measure into words; both read the checks from here so they cannot disagree.
import semver from 'semver';
import { normalizeImageRef, normalizePlatform, normalizePort } from './platform.js';
import type { Settings } from './settings.js';
import type { DatabaseEngine, DatabaseNeed, DeviceSnapshot, PlacementRequirements } from './types.js';

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

export interface PreparedNeed {
  need: DatabaseNeed;
  label: string;
  /** Pool version → satisfies the range, for this ranking only. */
  versions: Map<string, boolean>;
}

export interface PreparedApp {
  id: string | undefined;
  memoryNeed: number;
  diskNeed: number;
  /** null: the app runs anywhere. */
  platforms: Set<string> | null;
  platformList: string;
  requiredPaths: string[];
  optionalPaths: string[];
  ports: string[];
  databases: PreparedNeed[];
  images: Set<string>;
  cpus: number | undefined;
}

export function prepareApp(app: PlacementRequirements): PreparedApp {
  const platforms = app.architectures && app.architectures.length > 0 ? new Set(app.architectures.map(normalizePlatform)) : null;
  const paths = app.devicePaths ?? [];
  return {
    id: app.app,
    memoryNeed: Math.max(app.memoryBytes, app.observedMemoryBytes ?? 0),
    diskNeed: app.diskBytes,
    platforms,
    platformList: platforms ? [...platforms].sort().join(', ') : '',
    requiredPaths: paths.filter((p) => !p.optional).map((p) => p.path),
    optionalPaths: paths.filter((p) => p.optional).map((p) => p.path),
    ports: (app.ports ?? []).map(normalizePort),
    databases: (app.databases ?? []).map((need) => ({ need, label: databaseLabel(need), versions: new Map() })),
    images: new Set((app.images ?? []).map(normalizeImageRef)),
    cpus: app.cpus,
  };
}

function databaseLabel(n: DatabaseNeed): string {
  const parts: string[] = [n.engine];
  if (n.versions) parts.push(n.versions);
  if (n.extensions && n.extensions.length > 0) parts.push(`with ${n.extensions.join(', ')}`);
  return `${n.ref} (${parts.join(' ')})`;
}

export class Measure {
  /** Bits of the failed checks; when deciding, only those up to the first failure. */
  flags = 0;
  /** How many reasons the failed checks give (each missing path and taken port is one). */
  reasonCount = 0;
  reservedMemory = 0;
  reservedStorage = 0;
  /** RAM left for the app after reservations and the reserve (may be negative); set when deciding too, unless offline, stale or cordoned. */
  memoryAvailable = 0;
  storageReserve = 0;
  storageAvailable = 0;
  dedicatedMemory = 0;
  /** App memory plus dedicated database servers. */
  memoryNeed = 0;
  cpuValue = 0;
  cpuAssumed = false;
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

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

export function runsPlatform(d: DeviceSnapshot, platforms: Set<string>): boolean {
  if (platforms.has(normalizePlatform(d.arch))) return true;
  if (d.platforms) for (const p of d.platforms) if (platforms.has(normalizePlatform(p))) return true;
  return false;
}

/** A path is there when listed, or when something below it is (`/dev/dri/renderD128` means `/dev/dri` exists). */
export function hasPath(d: DeviceSnapshot, path: string): boolean {
  for (const p of d.devicePaths) if (p === path || (p.length > path.length && p.startsWith(path) && p[path.length] === '/')) return true;
  return false;
}

export function hasPort(d: DeviceSnapshot, port: string): boolean {
  for (const l of d.listeningPorts) if (l === port || normalizePort(l) === port) return true;
  return false;
}

const ENGINES: Record<string, DatabaseEngine> = { postgres: 'postgres', postgresql: 'postgres', mariadb: 'mariadb' };

export function poolEngine(raw: string): DatabaseEngine | undefined {
  return ENGINES[raw] ?? ENGINES[raw.toLowerCase()];
}

export function poolVersionOk(p: PreparedNeed, version: string): boolean {
  const range = p.need.versions;
  if (!range) return true;
  let ok = p.versions.get(version);
  if (ok === undefined) {
    const v = semver.coerce(version);
    ok = v !== null && semver.satisfies(v, range);
    p.versions.set(version, ok);
  }
  return ok;
}

export function poolHasExtensions(need: DatabaseNeed, pool: { extensions?: string[] }): boolean {
  if (!need.extensions) return true;
  for (const x of need.extensions) if (!pool.extensions || !pool.extensions.includes(x)) return false;
  return true;
}

/** Index of the first pool on the device that meets the need, or -1. */
export function poolFor(d: DeviceSnapshot, p: PreparedNeed): number {
  if (p.need.dedicated) return -1;
  const pools = d.databases;
  for (let i = 0; i < pools.length; i++) {
    const pool = pools[i]!;
    if (poolEngine(pool.engine) === p.need.engine && poolVersionOk(p, pool.version) && poolHasExtensions(p.need, pool)) return i;
  }
  return -1;
}

export function dedicatedMemoryFor(need: DatabaseNeed, s: Settings): number {
  return need.dedicatedMemoryBytes ?? s.dedicatedMemory[need.engine];
}

/**
 * Every check and score of device `d` for the app, into `m`. With `decide`, stop at the first failed
 * check: a disqualified device's scores and other reasons do not change the decision, and are worked
 * out again in full when the explanation is read.
 */
export function measure(d: DeviceSnapshot, app: PreparedApp, s: Settings, m: Measure, decide = false): void {
  let flags = 0;
  let reasons = 0;
  if (!d.online) {
    flags |= OFFLINE;
    reasons++;
  }
  if (d.metricsAgeSeconds === null || d.metricsAgeSeconds > s.freshnessLimitSeconds) {
    flags |= METRICS_STALE;
    reasons++;
  }
  if (d.cordoned) {
    flags |= CORDONED;
    reasons++;
  }
  if (decide && flags !== 0) {
    m.flags = flags;
    return;
  }
  if (app.cpus !== undefined && d.cores < app.cpus) {
    flags |= CPU_CORES;
    reasons++;
  }
  let reservedMemory = 0;
  let reservedStorage = 0;
  for (const r of d.reservations) {
    if (r.app === app.id) continue;
    reservedMemory += r.memoryBytes;
    reservedStorage += r.storageBytes;
  }
  const memoryAvailable = d.memory.availableBytes - d.memory.reserveBytes - reservedMemory;
  const storageReserve = d.storage.reserveBytes ?? 0;
  const storageAvailable = d.storage.availableBytes - storageReserve - reservedStorage;
  if (memoryAvailable < app.memoryNeed) {
    flags |= RAM;
    reasons++;
  }
  if (storageAvailable < app.diskNeed) {
    flags |= STORAGE;
    reasons++;
  }
  m.memoryAvailable = memoryAvailable;
  if (decide && flags !== 0) {
    m.flags = flags;
    return;
  }
  if (app.platforms && !runsPlatform(d, app.platforms)) {
    flags |= ARCH;
    reasons++;
  }
  for (const p of app.requiredPaths) {
    if (!hasPath(d, p)) {
      flags |= DEVICE_PATH;
      reasons++;
    }
  }
  for (const p of app.ports) {
    if (hasPort(d, p)) {
      flags |= PORT;
      reasons++;
    }
  }
  let dedicatedMemory = 0;
  for (const p of app.databases) if (poolFor(d, p) < 0) dedicatedMemory += dedicatedMemoryFor(p.need, s);
  const memoryNeed = app.memoryNeed + dedicatedMemory;
  if (dedicatedMemory > 0 && memoryAvailable < memoryNeed) {
    flags |= DATABASE;
    reasons++;
  }
  if (decide && flags !== 0) {
    m.flags = flags;
    return;
  }

  const c = s.curves;
  const ramValue = memoryAvailable > 0 ? memoryAvailable : 0;
  const ram = round1(memoryNeed > 0 ? 100 * clamp01((ramValue - memoryNeed) / (c.ram.headroomFactor * memoryNeed)) : 100);
  const storageValue = storageAvailable > 0 ? storageAvailable : 0;
  const storage = round1(100 * clamp01((storageValue - app.diskNeed) / (c.storage.headroomFactor * Math.max(app.diskNeed, c.storage.minNeedBytes))));
  const perCore = d.cpuScorePerCore;
  const cpuAssumed = perCore === null || !(perCore > 0);
  const cpuValue = d.cores * (cpuAssumed ? c.cpu.unknownPerCoreScore : perCore!);
  const cpu = round1(100 * Math.min(1, cpuValue / c.cpu.reference));
  const load = round1(d.load1 === null ? c.load.unknownScore : 100 * (1 - Math.min(1, d.load1 / (d.cores * c.load.perCoreCapacity))));
  const reliability = round1(d.availability7d === null ? c.reliability.unknownScore : 100 * clamp01(d.availability7d));

  const w = s.weights;
  const sum = s.weightSum;
  m.ramContribution = round2((ram * w.ram) / sum);
  m.storageContribution = round2((storage * w.storage) / sum);
  m.cpuContribution = round2((cpu * w.cpu) / sum);
  m.loadContribution = round2((load * w.load) / sum);
  m.reliabilityContribution = round2((reliability * w.reliability) / sum);
  m.total = round2(m.ramContribution + m.storageContribution + m.cpuContribution + m.loadContribution + m.reliabilityContribution);

  let imagesPresent = 0;
  if (app.images.size > 0) for (const ref of d.images) if (app.images.has(normalizeImageRef(ref))) imagesPresent++;

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
  m.ram = ram;
  m.storage = storage;
  m.cpu = cpu;
  m.load = load;
  m.reliability = reliability;
  m.imagesPresent = imagesPresent;
}
