import { WarrenError, type ErrorDetail } from '../errors.js';
import { GiB, MiB } from './units.js';
import {
  CRITERIA,
  type CurveOverrides,
  type Curves,
  type DatabaseEngine,
  type PlacementOptions,
  type PlacementRequirements,
  type PlacementResult,
  type Weights,
} from './types.js';

export const DEFAULT_WEIGHTS: Readonly<Weights> = Object.freeze({ ram: 40, storage: 30, cpu: 15, load: 10, reliability: 5 });

export const DEFAULT_CURVES: Readonly<Curves> = Object.freeze({
  ram: Object.freeze({ headroomFactor: 2 }),
  storage: Object.freeze({ headroomFactor: 4, minNeedBytes: GiB }),
  cpu: Object.freeze({ reference: 4, unknownPerCoreScore: 0.5 }),
  load: Object.freeze({ perCoreCapacity: 1, unknownScore: 50 }),
  reliability: Object.freeze({ unknownScore: 50 }),
});

const DEFAULT_WEIGHT_SUM = CRITERIA.reduce((s, c) => s + DEFAULT_WEIGHTS[c], 0);

export const DEFAULT_FRESHNESS_LIMIT_SECONDS = 90;

export const DEFAULT_DEDICATED_MEMORY: Readonly<Record<DatabaseEngine, number>> = Object.freeze({
  postgres: 256 * MiB,
  mariadb: 384 * MiB,
});

export interface Settings {
  weights: Weights;
  /** Sum of the weights: contributions are score·weight/weightSum so that totals stay 0–100. */
  weightSum: number;
  curves: Curves;
  freshnessLimitSeconds: number;
  /** The ranking's time, ms since the epoch (ages of devices that give their sample time count to it). */
  now: number;
  dedicatedMemory: Record<DatabaseEngine, number>;
  /** The shared server an install creates on a device that has none of the engine. */
  newPool: Record<DatabaseEngine, { memoryBytes: number; version?: string; extensions?: string[] }>;
  /** weight / weightSum per criterion, in CRITERIA order (measure.ts factors(), set on first use). */
  factors?: Float64Array;
}

/** Global options, then the app's own overrides, over the defaults; every bad value is reported with its path. */
export function resolveSettings(app: PlacementRequirements, options: PlacementOptions): Settings {
  const details: ErrorDetail[] = [];
  // Without overrides (the common case) the frozen defaults themselves: a result echoes them, and
  // their description is worked out once (describeCurves).
  const sameWeights = options.weights === undefined && app.weights === undefined;
  const weights: Weights = sameWeights ? (DEFAULT_WEIGHTS as Weights) : { ...DEFAULT_WEIGHTS };
  if (!sameWeights) for (const [source, w] of [
    ['/options/weights', options.weights],
    ['/app/weights', app.weights],
  ] as const) {
    if (!w) continue;
    for (const [k, v] of Object.entries(w)) {
      if (!(CRITERIA as readonly string[]).includes(k)) {
        details.push({ path: `${source}/${k}`, message: `unknown criterion; use one of ${CRITERIA.join(', ')}` });
      } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        details.push({ path: `${source}/${k}`, message: 'must be a finite number >= 0' });
      } else weights[k as keyof Weights] = v;
    }
  }
  const weightSum = sameWeights ? DEFAULT_WEIGHT_SUM : CRITERIA.reduce((s, c) => s + weights[c], 0);
  if (weightSum <= 0 && details.length === 0) details.push({ path: '/weights', message: 'at least one weight must be above 0' });

  // A copy of the defaults, key order kept (the result's curves echo it); written out, as
  // structuredClone cost most of this function.
  const d = DEFAULT_CURVES;
  const sameCurves = options.curves === undefined && app.curves === undefined;
  const curves: Curves = sameCurves
    ? (d as Curves)
    : { ram: { ...d.ram }, storage: { ...d.storage }, cpu: { ...d.cpu }, load: { ...d.load }, reliability: { ...d.reliability } };
  if (!sameCurves) for (const [source, c] of [
    ['/options/curves', options.curves],
    ['/app/curves', app.curves],
  ] as const) {
    if (c) mergeCurves(curves, c, source, details);
  }

  const freshnessLimitSeconds = options.freshnessLimitSeconds ?? DEFAULT_FRESHNESS_LIMIT_SECONDS;
  if (!(freshnessLimitSeconds > 0)) details.push({ path: '/options/freshnessLimitSeconds', message: 'must be above 0' });
  const now = options.now ?? Date.now();
  if (!Number.isFinite(now)) details.push({ path: '/options/now', message: 'must be a finite time in ms since the epoch' });

  const dedicatedMemory = { ...DEFAULT_DEDICATED_MEMORY, ...options.dedicatedMemoryBytes };
  for (const [k, v] of Object.entries(dedicatedMemory)) {
    if (!(v >= 0)) details.push({ path: `/options/dedicatedMemoryBytes/${k}`, message: 'must be a number >= 0' });
  }

  const newPool = {} as Settings['newPool'];
  for (const engine of Object.keys(DEFAULT_DEDICATED_MEMORY) as DatabaseEngine[]) {
    const o = options.newPoolServer?.[engine] ?? {};
    const memoryBytes = o.memoryBytes ?? dedicatedMemory[engine];
    if (!(memoryBytes >= 0)) details.push({ path: `/options/newPoolServer/${engine}/memoryBytes`, message: 'must be a number >= 0' });
    newPool[engine] = { memoryBytes, ...(o.version !== undefined ? { version: o.version } : {}), ...(o.extensions !== undefined ? { extensions: o.extensions } : {}) };
  }

  if (details.length > 0) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `Invalid placement settings: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, {
      hint: 'Weights are numbers >= 0 (not all zero); curve parameters are positive numbers.',
      details,
    });
  }
  return { weights, weightSum, curves, freshnessLimitSeconds, now, dedicatedMemory, newPool };
}

// Factors and references divide or scale a score, so they must be above 0; the scores given to unknown
// figures are percentages.
const POSITIVE_PARAMS = new Set(['headroomFactor', 'reference', 'perCoreCapacity']);
const PERCENT_PARAMS = new Set(['unknownScore']);

function mergeCurves(into: Curves, over: CurveOverrides, source: string, details: ErrorDetail[]): void {
  for (const [criterion, params] of Object.entries(over)) {
    if (!(CRITERIA as readonly string[]).includes(criterion)) {
      details.push({ path: `${source}/${criterion}`, message: `unknown criterion; use one of ${CRITERIA.join(', ')}` });
      continue;
    }
    const target = into[criterion as keyof Curves] as unknown as Record<string, number>;
    for (const [k, v] of Object.entries(params ?? {})) {
      const path = `${source}/${criterion}/${k}`;
      if (!(k in target)) details.push({ path, message: `unknown parameter; use one of ${Object.keys(target).join(', ')}` });
      else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) details.push({ path, message: 'must be a finite number >= 0' });
      else if (v === 0 && POSITIVE_PARAMS.has(k)) details.push({ path, message: 'must be above 0' });
      else if (v > 100 && PERCENT_PARAMS.has(k)) details.push({ path, message: 'must be at most 100' });
      else target[k] = v;
    }
  }
}

const described = new WeakMap<Curves, PlacementResult['curves']>();

/** The curves with their formulas written out with the actual parameters (frozen; kept for the frozen defaults). */
export function describeCurves(c: Curves): PlacementResult['curves'] {
  let out = described.get(c);
  if (out === undefined) {
    out = deepFreeze(writeCurves(c));
    if (Object.isFrozen(c)) described.set(c, out);
  }
  return out;
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) Object.freeze(v);
  return Object.freeze(o);
}

function writeCurves(c: Curves): PlacementResult['curves'] {
  return {
    ram: { ...c.ram, formula: `100·min(1, (available − need)/(${c.ram.headroomFactor}·need))` },
    storage: {
      ...c.storage,
      formula: `100·min(1, (available − need)/(${c.storage.headroomFactor}·max(need, ${c.storage.minNeedBytes} B)))`,
    },
    cpu: {
      ...c.cpu,
      formula: `100·min(1, cores·cpuScorePerCore/${c.cpu.reference}); unknown cpuScorePerCore counts as ${c.cpu.unknownPerCoreScore}`,
    },
    load: {
      ...c.load,
      formula: `100·(1 − min(1, load1/(cores·${c.load.perCoreCapacity}))); unknown load scores ${c.load.unknownScore}`,
    },
    reliability: { ...c.reliability, formula: `100·availability7d; unknown availability scores ${c.reliability.unknownScore}` },
  };
}
