// Words for a measured device: every failed check as a reason with its numbers and thresholds, the
// criteria with their values and notes, and how each database need would be met.
import {
  ARCH,
  CORDONED,
  CPU_CORES,
  DATABASE,
  dedicatedMemoryFor,
  hasPath,
  hasPort,
  METRICS_STALE,
  OFFLINE,
  poolEngine,
  poolFor,
  poolHasExtensions,
  poolVersionOk,
  RAM,
  STORAGE,
  type Measure,
  type PreparedApp,
  type PreparedNeed,
} from './measure.js';
import { normalizePlatform } from './platform.js';
import type { Settings } from './settings.js';
import type { Candidate, CriterionResult, DatabasePlan, DeviceSnapshot, Reason } from './types.js';
import { formatAge, formatBytes } from './units.js';

function sampled(d: DeviceSnapshot): string {
  return d.metricsAgeSeconds === null ? 'never sampled' : `sampled ${formatAge(d.metricsAgeSeconds)} ago`;
}

function deductions(reserve: number, reserved: number, d: DeviceSnapshot, app: PreparedApp): string {
  const parts: string[] = [];
  if (reserve > 0) parts.push(`a ${formatBytes(reserve)} device reserve`);
  if (reserved > 0) {
    const who = d.reservations.filter((r) => r.app !== app.id).map((r) => r.app);
    parts.push(`${formatBytes(reserved)} reserved for ${who.join(', ')}`);
  }
  return parts.length > 0 ? `; after ${parts.join(' and ')}` : '';
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

function databasePlans(d: DeviceSnapshot, app: PreparedApp, s: Settings): DatabasePlan[] {
  return app.databases.map((p) => {
    const i = poolFor(d, p);
    if (i >= 0) {
      const pool = d.databases[i]!;
      return { ref: p.need.ref, engine: p.need.engine, via: 'pool', detail: `${p.need.engine} ${pool.version} pool`, memoryBytes: 0 };
    }
    return {
      ref: p.need.ref,
      engine: p.need.engine,
      via: 'dedicated',
      detail: `${p.label} needs a dedicated server (${whyNoPool(d, p)})`,
      memoryBytes: dedicatedMemoryFor(p.need, s),
    };
  });
}

function reasonsFor(d: DeviceSnapshot, app: PreparedApp, s: Settings, m: Measure, databases: DatabasePlan[]): Reason[] {
  const reasons: Reason[] = [];
  const f = m.flags;
  if (f === 0) return reasons;
  if (f & OFFLINE) reasons.push({ code: 'OFFLINE', message: 'Offline: the device is not reachable' });
  if (f & METRICS_STALE) {
    reasons.push({
      code: 'METRICS_STALE',
      message:
        d.metricsAgeSeconds === null
          ? `Metrics: no sample yet (limit ${formatAge(s.freshnessLimitSeconds)})`
          : `Metrics: last sample ${formatAge(d.metricsAgeSeconds)} ago, older than the ${formatAge(s.freshnessLimitSeconds)} limit`,
    });
  }
  if (f & CORDONED) reasons.push({ code: 'CORDONED', message: 'Cordoned: the device accepts no new apps' });
  if (f & ARCH) {
    const arch = normalizePlatform(d.arch);
    const offered = d.platforms && d.platforms.length > 0 ? [arch, ...d.platforms.map(normalizePlatform)].join(', ') : arch;
    reasons.push({ code: 'ARCH', message: `Architecture: the device runs ${offered}; the app's images offer ${app.platformList}` });
  }
  if (f & CPU_CORES) reasons.push({ code: 'CPU_CORES', message: `CPU: the app is limited to ${app.cpus} CPUs, the device has ${d.cores} cores` });
  for (const p of app.requiredPaths) {
    if (!hasPath(d, p)) reasons.push({ code: 'DEVICE_PATH', message: `Device path ${p} is missing` });
  }
  for (const port of app.ports) {
    if (hasPort(d, port)) reasons.push({ code: 'PORT', message: `Port ${port} is already listening on the device` });
  }
  const available = formatBytes(Math.max(0, m.memoryAvailable));
  if (f & RAM) {
    reasons.push({
      code: 'RAM',
      message: `RAM: needs ${formatBytes(app.memoryNeed)}, ${available} available (${sampled(d)}${deductions(d.memory.reserveBytes, m.reservedMemory, d, app)})`,
    });
  }
  if (f & DATABASE) {
    const dedicated = databases.filter((p) => p.via === 'dedicated');
    reasons.push({
      code: 'DATABASE',
      message:
        `Database: ${dedicated.map((p) => p.detail).join('; ')}; ` +
        `${dedicated.length > 1 ? 'dedicated servers need' : 'a dedicated server needs'} ${formatBytes(m.dedicatedMemory)}, ` +
        `so ${formatBytes(m.memoryNeed)} with the app, ${available} available (${sampled(d)})`,
    });
  }
  if (f & STORAGE) {
    reasons.push({
      code: 'STORAGE',
      message: `Storage: needs ${formatBytes(app.diskNeed)}, ${formatBytes(Math.max(0, m.storageAvailable))} available (${sampled(d)}${deductions(m.storageReserve, m.reservedStorage, d, app)})`,
    });
  }
  return reasons;
}

function criterion(value: number | null, score: number, weight: number, contribution: number, note?: string): CriterionResult {
  const out: CriterionResult = { value, score, weight, contribution };
  if (note !== undefined) out.note = note;
  return out;
}

/** The explained candidate for a device already measured into `m`. */
export function explain(d: DeviceSnapshot, app: PreparedApp, s: Settings, m: Measure): Candidate {
  const databases = app.databases.length > 0 ? databasePlans(d, app, s) : [];
  const reasons = reasonsFor(d, app, s, m, databases);
  const notes: string[] = [];
  for (const p of app.optionalPaths) if (!hasPath(d, p)) notes.push(`optional device path ${p} is missing`);
  const w = s.weights;
  const c = s.curves;
  const ram = criterion(Math.max(0, m.memoryAvailable), m.ram, w.ram, m.ramContribution);
  ram.need = m.memoryNeed;
  const storage = criterion(Math.max(0, m.storageAvailable), m.storage, w.storage, m.storageContribution);
  storage.need = app.diskNeed;
  const eligible = m.flags === 0;
  return {
    device: d.id,
    name: d.name,
    eligible,
    total: eligible ? m.total : null,
    criteria: {
      ram,
      storage,
      cpu: criterion(m.cpuValue, m.cpu, w.cpu, m.cpuContribution, m.cpuAssumed ? `per-core score unknown; counted as ${c.cpu.unknownPerCoreScore}` : undefined),
      load: criterion(d.load1, m.load, w.load, m.loadContribution, d.load1 === null ? `load unknown; neutral ${c.load.unknownScore}` : undefined),
      reliability: criterion(
        d.availability7d,
        m.reliability,
        w.reliability,
        m.reliabilityContribution,
        d.availability7d === null ? `availability unknown (under an hour of history); neutral ${c.reliability.unknownScore}` : undefined,
      ),
    },
    reasons,
    headroomBytes: m.memoryAvailable - m.memoryNeed,
    imagesPresent: m.imagesPresent,
    databases,
    notes,
  };
}
