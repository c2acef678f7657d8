// Words for a measured device: every failed check as a reason with its numbers and thresholds, the
// criteria with their values and notes, and how each database need would be met. Texts are built only
// for reasons that exist; those that repeat across devices come from prepareApp or a per-ranking cache.
import {
  ARCH,
  bytesText,
  CORDONED,
  CPU_CORES,
  DATABASE,
  DEVICE_PATH,
  finite,
  hasPath,
  hasPort,
  METRICS_STALE,
  OFFLINE,
  PORT,
  poolEngine,
  poolHasExtensions,
  poolVersionOk,
  RAM,
  sampled,
  STORAGE,
  VIA_DEDICATED,
  VIA_NEW_POOL,
  VIA_POOL,
  type Measure,
  type PreparedApp,
  type PreparedNeed,
} from './measure.js';
import { describeDeviceArch } from './platform.js';
import type { Settings } from './settings.js';
import type { Candidate, CriterionResult, DatabasePlan, DeviceSnapshot, Reason } from './types.js';
import { formatAge, formatBytes, shortfallText } from './units.js';

function deductions(reserve: number, reserved: number, d: DeviceSnapshot, app: PreparedApp): string {
  let out = reserve > 0 ? `; after a ${bytesText(app, reserve)} device reserve` : '';
  if (reserved > 0) {
    let who = '';
    for (const r of d.reservations) if (r.app !== app.id) who = who ? `${who}, ${r.app}` : r.app;
    out += `${out ? ' and ' : '; after '}${bytesText(app, reserved)} reserved for ${who}`;
  }
  return out;
}

function whyNoPool(d: DeviceSnapshot, p: PreparedNeed): string {
  const { need } = p;
  if (need.dedicated) return 'the app asks for one';
  let why = `no ${need.engine} pool on the device`;
  for (const pool of d.databases) {
    if (poolEngine(pool.engine) !== need.engine) continue;
    if (!poolVersionOk(p, pool.version)) why = `the ${need.engine} ${pool.version} pool does not satisfy ${need.versions}`;
    else if (!poolHasExtensions(need, pool)) {
      const missing = (need.extensions ?? []).filter((x) => !(pool.extensions ?? []).includes(x));
      why = `the ${need.engine} ${pool.version} pool lacks ${missing.join(', ')}`;
    }
  }
  return why;
}

function poolDetail(p: PreparedNeed, version: string): string {
  let text = p.poolDetails.get(version);
  if (text === undefined) {
    text = `${p.need.engine} ${version} pool`;
    if (p.poolDetails.size < 4096) p.poolDetails.set(version, text);
  }
  return text;
}

function databasePlans(d: DeviceSnapshot, app: PreparedApp, s: Settings, m: Measure): DatabasePlan[] {
  const out = new Array<DatabasePlan>(app.databases.length);
  let newEngines = 0;
  for (let i = 0; i < app.databases.length; i++) {
    const p = app.databases[i]!;
    const { ref, engine } = p.need;
    const via = m.via[i]!;
    if (via === VIA_POOL) {
      out[i] = { ref, engine, via: 'pool', detail: poolDetail(p, d.databases[m.pool[i]!]!.version), memoryBytes: 0 };
      continue;
    }
    if (via === VIA_DEDICATED) {
      out[i] = { ref, engine, via: 'dedicated', detail: `${p.label} needs a dedicated server (${whyNoPool(d, p)})`, memoryBytes: p.dedicatedMemory };
      continue;
    }
    // A new shared server: its memory counts once, on the first need of the engine.
    const bit = engine === 'postgres' ? 1 : 2;
    const first = (newEngines & bit) === 0;
    newEngines |= bit;
    const shared = first ? s.newPool[engine].memoryBytes : 0;
    out[i] = {
      ref,
      engine,
      via: via === VIA_NEW_POOL ? 'pool' : 'dedicated',
      newServer: true,
      detail: p.newPoolDetails[first ? 0 : 1],
      memoryBytes: via === VIA_NEW_POOL ? shared : shared + p.dedicatedMemory,
    };
  }
  return out;
}

function reasonsFor(d: DeviceSnapshot, app: PreparedApp, s: Settings, m: Measure, databases: DatabasePlan[]): Reason[] {
  const reasons: Reason[] = [];
  const f = m.flags;
  if (f & OFFLINE) reasons.push({ code: 'OFFLINE', message: 'Offline: the device is not reachable' });
  if (f & METRICS_STALE) {
    reasons.push({
      code: 'METRICS_STALE',
      message:
        d.metricsAgeSeconds === null
          ? `Metrics: no sample yet (limit ${app.limitText})`
          : `Metrics: last sample ${formatAge(d.metricsAgeSeconds)} ago, older than the ${app.limitText} limit`,
    });
  }
  if (f & CORDONED) reasons.push({ code: 'CORDONED', message: 'Cordoned: the device accepts no new apps' });
  if (f & ARCH) {
    const arch = describeDeviceArch(d.arch);
    const offered = d.platforms && d.platforms.length > 0 ? [arch, ...d.platforms.map(describeDeviceArch)].join(', ') : arch;
    reasons.push({ code: 'ARCH', message: `Architecture: the device runs ${offered}; the app's images offer ${app.platformList}` });
  }
  if (f & CPU_CORES) reasons.push({ code: 'CPU_CORES', message: `CPU: the app is limited to ${app.cpus} CPUs, the device has ${d.cores} cores` });
  if (f & (DEVICE_PATH | PORT)) {
    for (const p of app.requiredPaths) {
      if (!hasPath(d, p)) reasons.push({ code: 'DEVICE_PATH', message: `Device path ${p} is missing` });
    }
    for (const port of app.ports) {
      if (hasPort(d, port)) reasons.push({ code: 'PORT', message: `Port ${port} is already listening on the device` });
    }
  }
  const available = f & (RAM | DATABASE) ? formatBytes(Math.max(0, m.memoryAvailable)) : '';
  if (f & RAM) {
    reasons.push({
      code: 'RAM',
      message: `RAM: needs ${app.memoryNeedText}, ${available} available (${sampled(d, app)}${shortfallText(app.memoryNeed, m.memoryAvailable)}${deductions(d.memory.reserveBytes, m.reservedMemory, d, app)})`,
    });
  }
  if (f & DATABASE) {
    const what: string[] = [];
    let onlyDedicated = true;
    for (let i = 0; i < databases.length; i++) {
      const p = databases[i]!;
      if (p.memoryBytes === 0) continue;
      if (p.newServer) onlyDedicated = false;
      what.push(p.via === 'pool' ? `${app.databases[i]!.label} needs a ${p.detail}` : p.detail);
    }
    reasons.push({
      code: 'DATABASE',
      message:
        `Database: ${what.join('; ')}; ` +
        `${onlyDedicated ? (what.length > 1 ? 'dedicated servers need' : 'a dedicated server needs') : 'the database servers it brings need'} ${bytesText(app, m.dedicatedMemory)}, ` +
        `so ${bytesText(app, m.memoryNeed)} with the app, ${available} available (${sampled(d, app)})`,
    });
  }
  if (f & STORAGE) {
    reasons.push({
      code: 'STORAGE',
      message: `Storage: needs ${app.diskNeedText}, ${formatBytes(Math.max(0, m.storageAvailable))} available (${sampled(d, app)}${shortfallText(app.diskNeed, m.storageAvailable)}${deductions(m.storageReserve, m.reservedStorage, d, app)})`,
    });
  }
  return reasons;
}

/** The explained candidate for a device already measured into `m`. */
export function explain(d: DeviceSnapshot, app: PreparedApp, s: Settings, m: Measure): Candidate {
  const databases = app.databases.length > 0 ? databasePlans(d, app, s, m) : [];
  const reasons = m.flags === 0 ? [] : reasonsFor(d, app, s, m, databases);
  const notes: string[] = [];
  for (let i = 0; i < app.optionalPaths.length; i++) {
    const p = app.optionalPaths[i]!;
    if (!hasPath(d, p)) notes.push(`optional device path ${p} is missing`);
  }
  const w = s.weights;
  const memoryAvailable = m.memoryAvailable;
  const storageAvailable = m.storageAvailable;
  const eligible = m.flags === 0;
  const ram: CriterionResult = { value: memoryAvailable > 0 ? memoryAvailable : 0, score: m.ram, weight: w.ram, contribution: m.ramContribution, need: m.memoryNeed };
  const storage: CriterionResult = {
    value: storageAvailable > 0 ? storageAvailable : 0,
    score: m.storage,
    weight: w.storage,
    contribution: m.storageContribution,
    need: app.diskNeed,
  };
  const cpu: CriterionResult = m.cpuAssumed
    ? { value: m.cpuValue, score: m.cpu, weight: w.cpu, contribution: m.cpuContribution, note: app.cpuNote }
    : { value: m.cpuValue, score: m.cpu, weight: w.cpu, contribution: m.cpuContribution };
  const load1 = d.load1;
  const load: CriterionResult =
    load1 === null
      ? { value: load1, score: m.load, weight: w.load, contribution: m.loadContribution, note: app.loadNote }
      : m.loadUnknownCores
        ? { value: load1, score: m.load, weight: w.load, contribution: m.loadContribution, note: app.coresNote }
        : { value: load1, score: m.load, weight: w.load, contribution: m.loadContribution };
  const availability = d.availability7d;
  const reliability: CriterionResult =
    availability === null
      ? { value: availability, score: m.reliability, weight: w.reliability, contribution: m.reliabilityContribution, note: app.reliabilityNote }
      : { value: availability, score: m.reliability, weight: w.reliability, contribution: m.reliabilityContribution };
  return {
    device: d.id,
    name: d.name,
    eligible,
    total: eligible ? m.total : null,
    criteria: { ram, storage, cpu, load, reliability },
    reasons,
    headroomBytes: finite(memoryAvailable - m.memoryNeed),
    imagesPresent: m.imagesPresent,
    databases,
    notes,
  };
}

/** The tie-break stated in a result: which of the specified keys (RAM headroom, images present, id) decided between the two best. */
export function describeTieBreak(a: string, b: string, tied: number, at: number, headroom: Float64Array, images: Uint32Array, ia: number, ib: number): string {
  const lead = `${tied} devices tie at ${at.toFixed(2)}`;
  if (headroom[ia] !== headroom[ib]) {
    return `${lead}; RAM headroom: ${a} keeps ${formatBytes(headroom[ia]!)} free after the app, ${b} ${formatBytes(headroom[ib]!)}`;
  }
  if (images[ia] !== images[ib]) {
    return `${lead} with equal RAM headroom; image present: ${a} already has ${images[ia]} of the app's images, ${b} ${images[ib]}`;
  }
  return `${lead} with equal RAM headroom and images present; device id: ${a} sorts before ${b}`;
}
