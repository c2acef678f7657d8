import semver from 'semver';
import { WarrenError } from '../errors.js';
import { normalizeImageRef, normalizePlatform, normalizePort } from './platform.js';
import { describeCurves, resolveSettings, type Settings } from './settings.js';
import type {
  Candidate,
  CriterionResult,
  DatabaseEngine,
  DatabaseNeed,
  DatabasePlan,
  DeviceSnapshot,
  PlacementOptions,
  PlacementRequirements,
  PlacementResult,
  PlacementWarning,
  Reason,
} from './types.js';
import { formatAge, formatBytes } from './units.js';
import { installedApps, suggestFixes } from './suggest.js';

interface PreparedApp {
  id: string | undefined;
  memoryNeed: number;
  diskNeed: number;
  /** null: the app runs anywhere. */
  platforms: Set<string> | null;
  platformList: string;
  requiredPaths: string[];
  optionalPaths: string[];
  ports: string[];
  databases: { need: DatabaseNeed; label: string }[];
  images: Set<string>;
  cpus: number | undefined;
}

/** A candidate plus the figures the suggestions and warnings need. */
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

/**
 * Rank every device for one app. Pure and deterministic: the same inputs give the same result, a
 * device's scores depend only on that device and the app, and the input order does not matter.
 */
export function rankDevices(
  app: PlacementRequirements,
  devices: readonly DeviceSnapshot[],
  options: PlacementOptions = {},
): PlacementResult {
  const settings = resolveSettings(app, options);
  const prepared = prepareApp(app);
  const seen = new Set<string>();
  const versionCache = new Map<string, boolean>();
  const evaluated: Evaluated[] = new Array(devices.length);
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    if (seen.has(d.id)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `Device id "${d.id}" appears twice`, {
        details: [{ path: `/devices/${i}/id`, message: 'duplicate device id' }],
        hint: 'Every device in a snapshot needs its own id.',
      });
    }
    seen.add(d.id);
    evaluated[i] = evaluate(d, prepared, settings, versionCache);
  }
  evaluated.sort(compare);

  const candidates = evaluated.map((e) => e.candidate);
  const best = candidates[0]?.eligible ? candidates[0] : undefined;
  const warnings: PlacementWarning[] = [];
  let suggestions: PlacementResult['suggestions'] = [];
  if (best) {
    const w = largestAppWarning(evaluated[0]!, evaluated, prepared.id, settings);
    if (w) warnings.push(w);
  } else if (evaluated.length > 0) {
    suggestions = suggestFixes(evaluated, prepared.id, prepared.ports);
    if (suggestions.length === 0) {
      warnings.push({
        code: 'NO_FIX',
        message: 'No device qualifies, and no simple change (stopping apps, uncordoning, freeing a port) would make one fit; see each device\'s reasons.',
      });
    }
  }
  return {
    recommended: best ? best.device : null,
    weights: settings.weights,
    curves: describeCurves(settings.curves),
    freshnessLimitSeconds: settings.freshnessLimitSeconds,
    tieBreak: best ? describeTieBreak(candidates) : null,
    candidates,
    suggestions,
    warnings,
  };
}

function prepareApp(app: PlacementRequirements): PreparedApp {
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
    databases: (app.databases ?? []).map((need) => ({ need, label: databaseLabel(need) })),
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

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

function sampled(d: DeviceSnapshot): string {
  return d.metricsAgeSeconds === null ? 'never sampled' : `sampled ${formatAge(d.metricsAgeSeconds)} ago`;
}

function evaluate(d: DeviceSnapshot, app: PreparedApp, s: Settings, versionCache: Map<string, boolean>): Evaluated {
  const reasons: Reason[] = [];
  const notes: string[] = [];

  if (!d.online) {
    reasons.push({ code: 'OFFLINE', message: 'Offline: the device is not reachable' });
  }
  if (d.metricsAgeSeconds === null) {
    reasons.push({ code: 'METRICS_STALE', message: `Metrics: no sample yet (limit ${formatAge(s.freshnessLimitSeconds)})` });
  } else if (d.metricsAgeSeconds > s.freshnessLimitSeconds) {
    reasons.push({
      code: 'METRICS_STALE',
      message: `Metrics: last sample ${formatAge(d.metricsAgeSeconds)} ago, older than the ${formatAge(s.freshnessLimitSeconds)} limit`,
    });
  }
  if (d.cordoned) reasons.push({ code: 'CORDONED', message: 'Cordoned: the device accepts no new apps' });

  if (app.platforms) {
    const arch = normalizePlatform(d.arch);
    let runs = app.platforms.has(arch);
    if (!runs && d.platforms) for (const p of d.platforms) if (app.platforms.has(normalizePlatform(p))) runs = true;
    if (!runs) {
      const offered = d.platforms && d.platforms.length > 0 ? [arch, ...d.platforms.map(normalizePlatform)].join(', ') : arch;
      reasons.push({ code: 'ARCH', message: `Architecture: the device runs ${offered}; the app's images offer ${app.platformList}` });
    }
  }
  if (app.cpus !== undefined && d.cores < app.cpus) {
    reasons.push({ code: 'CPU_CORES', message: `CPU: the app is limited to ${app.cpus} CPUs, the device has ${d.cores} cores` });
  }
  for (const p of app.requiredPaths) {
    if (!d.devicePaths.includes(p)) reasons.push({ code: 'DEVICE_PATH', message: `Device path ${p} is missing` });
  }
  for (const p of app.optionalPaths) {
    if (!d.devicePaths.includes(p)) notes.push(`optional device path ${p} is missing`);
  }
  for (const port of app.ports) {
    if (hasPort(d.listeningPorts, port)) reasons.push({ code: 'PORT', message: `Port ${port} is already listening on the device` });
  }

  let reservedMemory = 0;
  let reservedStorage = 0;
  const reservedFor: string[] = [];
  for (const r of d.reservations) {
    if (r.app === app.id) continue;
    reservedMemory += r.memoryBytes;
    reservedStorage += r.storageBytes;
    reservedFor.push(r.app);
  }
  const memoryAvailable = d.memory.availableBytes - d.memory.reserveBytes - reservedMemory;
  const storageReserve = d.storage.reserveBytes ?? 0;
  const storageAvailable = d.storage.availableBytes - storageReserve - reservedStorage;

  const databases = app.databases.length > 0 ? planDatabases(d, app, s, versionCache) : NO_DATABASES;
  let dedicatedMemory = 0;
  for (const p of databases) dedicatedMemory += p.memoryBytes;
  const memoryNeed = app.memoryNeed + dedicatedMemory;

  if (memoryAvailable < app.memoryNeed) {
    reasons.push({
      code: 'RAM',
      message: `RAM: needs ${formatBytes(app.memoryNeed)}, ${formatBytes(Math.max(0, memoryAvailable))} available (${sampled(d)}${deductions(d.memory.reserveBytes, reservedMemory, reservedFor)})`,
    });
  }
  if (dedicatedMemory > 0 && memoryAvailable < memoryNeed) {
    const dedicated = databases.filter((p) => p.via === 'dedicated');
    reasons.push({
      code: 'DATABASE',
      message:
        `Database: ${dedicated.map((p) => `${p.detail}`).join('; ')}; ` +
        `${dedicated.length > 1 ? 'dedicated servers need' : 'a dedicated server needs'} ${formatBytes(dedicatedMemory)}, so ${formatBytes(memoryNeed)} with the app, ` +
        `${formatBytes(Math.max(0, memoryAvailable))} available (${sampled(d)})`,
    });
  }
  if (storageAvailable < app.diskNeed) {
    reasons.push({
      code: 'STORAGE',
      message: `Storage: needs ${formatBytes(app.diskNeed)}, ${formatBytes(Math.max(0, storageAvailable))} available (${sampled(d)}${deductions(storageReserve, reservedStorage, reservedFor)})`,
    });
  }

  const c = s.curves;
  const ramValue = Math.max(0, memoryAvailable);
  const ramScore = memoryNeed > 0 ? 100 * clamp01((ramValue - memoryNeed) / (c.ram.headroomFactor * memoryNeed)) : 100;
  const storageValue = Math.max(0, storageAvailable);
  const storageScore =
    100 * clamp01((storageValue - app.diskNeed) / (c.storage.headroomFactor * Math.max(app.diskNeed, c.storage.minNeedBytes)));

  let cpuNote: string | undefined;
  let perCore = d.cpuScorePerCore;
  if (perCore === null || !(perCore > 0)) {
    perCore = c.cpu.unknownPerCoreScore;
    cpuNote = `per-core score unknown; counted as ${perCore}`;
  }
  const cpuValue = d.cores * perCore;
  const cpuScore = 100 * Math.min(1, cpuValue / c.cpu.reference);

  let loadScore: number;
  let loadNote: string | undefined;
  if (d.load1 === null) {
    loadScore = c.load.unknownScore;
    loadNote = `load unknown; neutral ${loadScore}`;
  } else loadScore = 100 * (1 - Math.min(1, d.load1 / (d.cores * c.load.perCoreCapacity)));

  let reliabilityScore: number;
  let reliabilityNote: string | undefined;
  if (d.availability7d === null) {
    reliabilityScore = c.reliability.unknownScore;
    reliabilityNote = `availability unknown (under an hour of history); neutral ${reliabilityScore}`;
  } else reliabilityScore = 100 * clamp01(d.availability7d);

  const w = s.weights;
  const ram = criterion(ramValue, ramScore, w.ram, s.weightSum, undefined);
  ram.need = memoryNeed;
  const storage = criterion(storageValue, storageScore, w.storage, s.weightSum, undefined);
  storage.need = app.diskNeed;
  const cpu = criterion(cpuValue, cpuScore, w.cpu, s.weightSum, cpuNote);
  const load = criterion(d.load1, loadScore, w.load, s.weightSum, loadNote);
  const reliability = criterion(d.availability7d, reliabilityScore, w.reliability, s.weightSum, reliabilityNote);
  const eligible = reasons.length === 0;

  let imagesPresent = 0;
  if (app.images.size > 0) for (const ref of d.images) if (app.images.has(normalizeImageRef(ref))) imagesPresent++;

  const candidate: Candidate = {
    device: d.id,
    name: d.name,
    eligible,
    total: eligible ? round2(ram.contribution + storage.contribution + cpu.contribution + load.contribution + reliability.contribution) : null,
    criteria: { ram, storage, cpu, load, reliability },
    reasons,
    headroomBytes: memoryAvailable - memoryNeed,
    imagesPresent,
    databases,
    notes,
  };
  return { candidate, device: d, memoryAvailable, storageAvailable, memoryNeed, storageNeed: app.diskNeed };
}

const NO_DATABASES: DatabasePlan[] = [];

function criterion(value: number | null, rawScore: number, weight: number, weightSum: number, note: string | undefined): CriterionResult {
  const score = round1(rawScore);
  const out: CriterionResult = { value, score, weight, contribution: round2((score * weight) / weightSum) };
  if (note !== undefined) out.note = note;
  return out;
}

function hasPort(listening: readonly string[], port: string): boolean {
  for (const l of listening) if (l === port || normalizePort(l) === port) return true;
  return false;
}

function deductions(reserve: number, reserved: number, reservedFor: string[]): string {
  const parts: string[] = [];
  if (reserve > 0) parts.push(`a ${formatBytes(reserve)} device reserve`);
  if (reserved > 0) parts.push(`${formatBytes(reserved)} reserved for ${reservedFor.join(', ')}`);
  return parts.length > 0 ? `; after ${parts.join(' and ')}` : '';
}

const ENGINE_ALIASES: Record<string, DatabaseEngine> = { postgres: 'postgres', postgresql: 'postgres', mariadb: 'mariadb' };

function planDatabases(d: DeviceSnapshot, app: PreparedApp, s: Settings, versionCache: Map<string, boolean>): DatabasePlan[] {
  return app.databases.map(({ need, label }) => {
    const dedicated = (why: string): DatabasePlan => ({
      ref: need.ref,
      engine: need.engine,
      via: 'dedicated',
      detail: `${label} needs a dedicated server (${why})`,
      memoryBytes: need.dedicatedMemoryBytes ?? s.dedicatedMemory[need.engine],
    });
    if (need.dedicated) return dedicated('the app asks for one');
    let why = `no ${need.engine} pool on the device`;
    for (const pool of d.databases) {
      if (ENGINE_ALIASES[pool.engine.toLowerCase()] !== need.engine) continue;
      if (need.versions && !versionSatisfies(pool.version, need.versions, versionCache)) {
        why = `the ${need.engine} ${pool.version} pool does not satisfy ${need.versions}`;
        continue;
      }
      const missing = (need.extensions ?? []).filter((x) => !(pool.extensions ?? []).includes(x));
      if (missing.length > 0) {
        why = `the ${need.engine} ${pool.version} pool lacks ${missing.join(', ')}`;
        continue;
      }
      return { ref: need.ref, engine: need.engine, via: 'pool', detail: `${need.engine} ${pool.version} pool`, memoryBytes: 0 };
    }
    return dedicated(why);
  });
}

function versionSatisfies(version: string, range: string, cache: Map<string, boolean>): boolean {
  const key = `${range}\u0000${version}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    const v = semver.coerce(version);
    hit = v !== null && semver.satisfies(v, range);
    cache.set(key, hit);
  }
  return hit;
}

/** Eligible first by total, then RAM headroom, then images present, then id; disqualified by fewest reasons, then id. */
function compare(x: Evaluated, y: Evaluated): number {
  const a = x.candidate;
  const b = y.candidate;
  if (a.eligible !== b.eligible) return a.eligible ? -1 : 1;
  if (a.eligible) {
    if (a.total !== b.total) return b.total! - a.total!;
    if (a.headroomBytes !== b.headroomBytes) return b.headroomBytes - a.headroomBytes;
    if (a.imagesPresent !== b.imagesPresent) return b.imagesPresent - a.imagesPresent;
  } else if (a.reasons.length !== b.reasons.length) return a.reasons.length - b.reasons.length;
  return a.device < b.device ? -1 : a.device > b.device ? 1 : 0;
}

function describeTieBreak(sorted: readonly Candidate[]): string | null {
  const [a, b] = sorted;
  if (!a || !b || !b.eligible || a.total !== b.total) return null;
  let tied = 1;
  while (tied < sorted.length && sorted[tied]!.eligible && sorted[tied]!.total === a.total) tied++;
  const lead = `${tied} devices tie at ${a.total!.toFixed(2)}`;
  if (a.headroomBytes !== b.headroomBytes) {
    return `${lead}; RAM headroom: ${a.device} keeps ${formatBytes(a.headroomBytes)} free after the app, ${b.device} ${formatBytes(b.headroomBytes)}`;
  }
  if (a.imagesPresent !== b.imagesPresent) {
    return `${lead} with equal RAM headroom; image present: ${a.device} already has ${a.imagesPresent} of the app's images, ${b.device} ${b.imagesPresent}`;
  }
  return `${lead} with equal RAM headroom and images present; device id: ${a.device} sorts before ${b.device}`;
}

/**
 * After the app lands on the recommended device, can some other device still take the largest
 * installed app (by memory) if its own device fails? Warn when this placement takes the last such
 * room; a lab that never had it (a single device) is not warned on every placement.
 */
function largestAppWarning(best: Evaluated, all: readonly Evaluated[], placing: string | undefined, s: Settings): PlacementWarning | undefined {
  let largest: { id: string; memoryBytes: number; device: string } | undefined;
  for (const e of all) {
    for (const a of installedApps(e.device, placing)) {
      if (!largest || a.memoryBytes > largest.memoryBytes || (a.memoryBytes === largest.memoryBytes && a.id < largest.id)) {
        largest = { id: a.id, memoryBytes: a.memoryBytes, device: e.device.id };
      }
    }
  }
  if (!largest || largest.memoryBytes <= 0) return undefined;
  let before = false;
  let after = false;
  for (const e of all) {
    const d = e.device;
    if (d.id === largest.device || !d.online || d.cordoned || d.metricsAgeSeconds === null || d.metricsAgeSeconds > s.freshnessLimitSeconds) continue;
    if (e.memoryAvailable >= largest.memoryBytes) before = true;
    const left = e === best ? e.memoryAvailable - e.memoryNeed : e.memoryAvailable;
    if (left >= largest.memoryBytes) after = true;
  }
  if (after || !before) return undefined;
  return {
    code: 'LARGEST_APP_HOMELESS',
    message:
      `Placing on ${best.device.id} leaves no other device able to host ${largest.id} ` +
      `(${formatBytes(largest.memoryBytes)}, the largest installed app, now on ${largest.device}) if its device fails.`,
  };
}
