// Snapshot files and requirements files come from people and other programs: validate them against a
// JSON Schema and report every error with its path, before ranking ever sees them.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import semver from 'semver';
import { WarrenError, type ErrorDetail } from '../errors.js';
import { isKnownArch } from './platform.js';
import { CRITERIA, type PlacementRequirements, type Snapshot } from './types.js';

const bytes = { type: 'number', minimum: 0 } as const;
const strings = { type: 'array', items: { type: 'string' }, default: [] } as const;

const deviceSchema = {
  type: 'object',
  required: ['id', 'name', 'online', 'metricsAgeSeconds', 'arch', 'cores', 'memory', 'storage'],
  properties: {
    id: { type: 'string', minLength: 1 },
    name: { type: 'string' },
    online: { type: 'boolean' },
    metricsAgeSeconds: { type: ['number', 'null'], minimum: 0 },
    cordoned: { type: 'boolean', default: false },
    arch: { type: 'string', minLength: 1 },
    platforms: strings,
    // 0 when the source does not know (the CPU scores 0 and the load is neutral).
    cores: { type: 'number', minimum: 0 },
    cpuScorePerCore: { type: ['number', 'null'], minimum: 0, default: null },
    memory: {
      type: 'object',
      required: ['availableBytes'],
      properties: { totalBytes: bytes, availableBytes: bytes, reserveBytes: { ...bytes, default: 0 } },
    },
    storage: {
      type: 'object',
      required: ['availableBytes'],
      properties: { availableBytes: bytes, reserveBytes: { ...bytes, default: 0 } },
    },
    load1: { type: ['number', 'null'], minimum: 0, default: null },
    availability7d: { type: ['number', 'null'], minimum: 0, maximum: 1, default: null },
    devicePaths: strings,
    listeningPorts: { type: 'array', items: { type: ['string', 'integer'] }, default: [] },
    images: strings,
    reservations: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        // Both figures are required: a reservation that defaulted to 0 would hold nothing (issue #5's field list).
        required: ['app', 'memoryBytes', 'storageBytes'],
        properties: { app: { type: 'string' }, memoryBytes: bytes, storageBytes: bytes },
      },
    },
    databases: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['engine', 'version'],
        properties: { engine: { type: 'string' }, version: { type: 'string' }, extensions: { type: 'array', items: { type: 'string' } } },
      },
    },
    apps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string' }, memoryBytes: { ...bytes, default: 0 }, storageBytes: { ...bytes, default: 0 } },
      },
    },
  },
} as const;

const snapshotSchema = {
  type: 'object',
  required: ['devices'],
  properties: { devices: { type: 'array', items: deviceSchema }, takenAt: { type: 'string' } },
} as const;

const weightsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(CRITERIA.map((c) => [c, { type: 'number', minimum: 0 }])),
};

const requirementsSchema = {
  type: 'object',
  required: ['memoryBytes'],
  properties: {
    app: { type: 'string' },
    memoryBytes: bytes,
    observedMemoryBytes: bytes,
    diskBytes: { ...bytes, default: 0 },
    architectures: strings,
    devicePaths: {
      type: 'array',
      default: [],
      items: {
        anyOf: [
          { type: 'string' },
          { type: 'object', required: ['path'], properties: { path: { type: 'string' }, optional: { type: 'boolean' } } },
        ],
      },
    },
    ports: { type: 'array', default: [], items: { type: ['string', 'integer'] } },
    databases: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        required: ['ref', 'engine'],
        properties: {
          ref: { type: 'string' },
          engine: { enum: ['postgres', 'mariadb'] },
          versions: { type: 'string' },
          extensions: { type: 'array', items: { type: 'string' } },
          dedicated: { type: 'boolean' },
          dedicatedMemoryBytes: bytes,
        },
      },
    },
    images: strings,
    cpus: { type: 'number', exclusiveMinimum: 0 },
    weights: weightsSchema,
    curves: { type: 'object' },
  },
};

let ajv: Ajv | undefined;
const compiled = new Map<object, ValidateFunction>();

function validator(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    ajv ??= new Ajv({ allErrors: true, useDefaults: true, allowUnionTypes: true, strict: true });
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function toDetails(errors: ErrorObject[] | null | undefined, root: string): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  for (const e of errors ?? []) {
    // anyOf repeats each branch's complaint; the summary line from anyOf itself is enough.
    if (e.schemaPath.includes('/anyOf/')) continue;
    if (e.keyword === 'required') {
      out.push({ path: `${root}${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`, message: 'is required' });
    } else out.push({ path: `${root}${e.instancePath}` || '/', message: e.message ?? e.keyword });
  }
  return out;
}

const PORT = /^(\d{1,5})(\/(tcp|udp))?$/i;

function checkPort(p: unknown, path: string, details: ErrorDetail[]): void {
  const m = PORT.exec(String(p));
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= 65535)) details.push({ path, message: `"${String(p)}" is not a port like 53/udp or 8080/tcp` });
}

// `unknown` is what the hub writes for a device not probed yet: it ranks (and fails the architecture
// check), where a misspelt name is an error in the file.
function checkArch(a: string, path: string, details: ErrorDetail[]): void {
  if (a !== 'unknown' && !isKnownArch(a)) {
    details.push({ path, message: `"${a}" is not a known architecture; use amd64, arm64, arm/v7, arm/v6, 386, ppc64le, s390x, riscv64 (or unknown)` });
  }
}

function fail(what: string, details: ErrorDetail[], hint: string): never {
  const shown = details.slice(0, 5).map((d) => `${d.path}: ${d.message}`).join('; ');
  const more = details.length > 5 ? ` (and ${details.length - 5} more)` : '';
  throw new WarrenError('WARREN_ERR_INVALID_INPUT', `Invalid ${what}: ${shown}${more}`, { hint, details });
}

/**
 * JSON numbers beyond a double's range (`1e400`) parse as Infinity, which JSON cannot write back and the
 * schema would only call "not a number"; name them with their paths instead.
 */
function nonFinite(value: unknown, path: string, out: ErrorDetail[]): void {
  if (out.length >= 20) return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.push({ path: path || '/', message: `is out of range for a number (it reads as ${String(value)})` });
  } else if (Array.isArray(value)) value.forEach((v, i) => nonFinite(v, `${path}/${i}`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) nonFinite(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, out);
  }
}

/** Validate a parsed snapshot file; fills documented defaults (empty lists, no reserve, unknown figures as null). */
export function parseSnapshot(json: unknown): Snapshot {
  const data = structuredClone(json);
  const validate = validator(snapshotSchema);
  const details: ErrorDetail[] = [];
  nonFinite(data, '', details);
  if (!validate(data)) {
    const flagged = new Set(details.map((d) => d.path));
    details.push(...toDetails(validate.errors, '').filter((d) => !flagged.has(d.path)));
  }
  // The checks the schema cannot express run even when it found errors, so that every error is reported
  // at once; each looks only at values of the right type.
  const devices = (data as { devices?: unknown })?.devices;
  if (Array.isArray(devices)) {
    const ids = new Map<string, number>();
    devices.forEach((raw, i) => {
      if (raw === null || typeof raw !== 'object') return;
      const d = raw as { id?: unknown; arch?: unknown; platforms?: unknown; listeningPorts?: unknown };
      if (typeof d.id === 'string') {
        const first = ids.get(d.id);
        if (first !== undefined) details.push({ path: `/devices/${i}/id`, message: `duplicate id "${d.id}" (also /devices/${first}/id)` });
        else ids.set(d.id, i);
      }
      if (typeof d.arch === 'string' && d.arch !== '') checkArch(d.arch, `/devices/${i}/arch`, details);
      if (Array.isArray(d.platforms)) d.platforms.forEach((p, j) => typeof p === 'string' && checkArch(p, `/devices/${i}/platforms/${j}`, details));
      if (Array.isArray(d.listeningPorts)) {
        d.listeningPorts.forEach((p, j) => (typeof p === 'string' || typeof p === 'number') && checkPort(p, `/devices/${i}/listeningPorts/${j}`, details));
        if (details.length === 0) d.listeningPorts = d.listeningPorts.map(String);
      }
    });
  }
  if (details.length > 0) {
    fail('snapshot', details, 'A snapshot is { "devices": [ ... ] } as written by `warren devices snapshot`; fix the fields named above.');
  }
  return data as Snapshot;
}

/** Validate a parsed requirements file (PlacementRequirements); device paths may be plain strings. */
export function parseRequirements(json: unknown): PlacementRequirements {
  const data = structuredClone(json) as Record<string, unknown>;
  const validate = validator(requirementsSchema);
  const details = validate(data) ? [] : toDetails(validate.errors, '');
  if (details.length === 0) {
    const r = data as unknown as PlacementRequirements & { devicePaths: (string | { path: string; optional?: boolean })[]; ports: (string | number)[] };
    r.devicePaths = r.devicePaths.map((p) => (typeof p === 'string' ? { path: p } : p));
    r.ports.forEach((p, i) => checkPort(p, `/ports/${i}`, details));
    (r.architectures ?? []).forEach((a, i) => isKnownArch(a) || details.push({ path: `/architectures/${i}`, message: `"${a}" is not a known architecture` }));
    r.ports = r.ports.map(String);
    (r.databases ?? []).forEach((db, i) => {
      if (db.versions !== undefined && semver.validRange(db.versions) === null) {
        details.push({ path: `/databases/${i}/versions`, message: `"${db.versions}" is not a semver range` });
      }
    });
  }
  if (details.length > 0) {
    fail('placement requirements', details, 'Requirements are { "memoryBytes": ..., "diskBytes": ..., "architectures": [...], ... }; fix the fields named above.');
  }
  return data as unknown as PlacementRequirements;
}
