// Manifest + choices → the StackSpec a ContainerHost deploys, plus what placement needs to know.
// Pure: randomness for secrets comes from node:crypto, nothing else leaves the process.
import { randomBytes, randomInt } from 'node:crypto';
import { WarrenError, type ErrorDetail } from '../errors.js';
import type { DatabaseCredentials } from '../providers/database-pool.js';
import type { NetworkSpec, ServiceSpec, StackSpec, VolumeSpec } from '../providers/compose.js';
import {
  badValue,
  parseCommand,
  parseDependsOn,
  parseDevice,
  parseHealthcheck,
  parseKeyValues,
  parseList,
  parsePort,
  parseResources,
  parseRestart,
  parseSeconds,
  parseSize,
  parseVolume,
} from './compose-forms.js';
import { interpolate } from './interpolate.js';
import { checkInputValue, databaseVariablePrefix } from './loader.js';
import type { AppManifest, Architecture, DatabaseNeed, DevicePathNeed, InputSpec, PortNeed, SecretSpec } from './types.js';
import { parseBytes } from './units.js';

export type InputValue = string | number | boolean;

export interface PooledDatabase extends DatabaseCredentials {
  /** An existing engine network the app's services join to reach the pool's server. */
  network?: string;
}

export interface ResolveOptions {
  inputs?: Record<string, unknown>;
  /** Every secret the manifest declares, as returned by {@link generateSecrets}. */
  secrets?: Record<string, string>;
  /** Credentials per database ref met by a pool or a dedicated server; other refs use their sidecar. */
  databases?: Record<string, PooledDatabase>;
  /** Compose project name; the app id by default. */
  project?: string;
  /** Image reference prefix → replacement, e.g. `{"docker.io/library/postgres": "mirror.lan/postgres"}`. */
  imageRewrites?: Record<string, string>;
  /** Device paths missing on the target device: optional ones are left out, required ones fail. */
  absentDevices?: string[];
}

const PROJECT_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const DEFAULT_SERVICE_MEMORY = 256 * 1024 ** 2;

function inputError(details: ErrorDetail[]): WarrenError {
  return new WarrenError('WARREN_ERR_INVALID_INPUT', details.length === 1 ? `${details[0]!.path}: ${details[0]!.message}` : `${details.length} problems with the app's inputs`, {
    details,
    hint: 'fix each listed input and try again',
  });
}

function coerce(spec: InputSpec, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if ((spec.type === 'number' || spec.type === 'integer') && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (spec.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/**
 * Checks user inputs against the manifest and returns the effective values (defaults filled in,
 * strings from a CLI or form coerced to numbers and booleans). Throws WARREN_ERR_INVALID_INPUT with
 * one detail per problem, each at `/inputs/<NAME>`.
 */
export function validateInputs(manifest: AppManifest, inputs: Record<string, unknown> = {}): Record<string, InputValue> {
  const details: ErrorDetail[] = [];
  const values: Record<string, InputValue> = {};
  for (const name of Object.keys(inputs)) {
    if (!manifest.inputs[name]) details.push({ path: `/inputs/${name}`, message: `${manifest.id} has no input named ${name}` });
  }
  for (const [name, spec] of Object.entries(manifest.inputs)) {
    const path = `/inputs/${name}`;
    const given = inputs[name];
    if (given === undefined || given === null || given === '') {
      if (spec.default !== undefined) values[name] = spec.default;
      else if (spec.required) details.push({ path, message: `${spec.title ?? name} is required` });
      continue;
    }
    const value = coerce(spec, given);
    const problems = checkInputValue(spec, value);
    for (const message of problems) details.push({ path, message });
    if (!problems.length) values[name] = value as InputValue;
  }
  if (details.length) throw inputError(details);
  return values;
}

const ALPHABETS: Record<string, string> = {
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  alpha: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  lower: 'abcdefghijklmnopqrstuvwxyz0123456789',
  numeric: '0123456789',
  hex: '0123456789abcdef',
};

export function generateSecret(spec: SecretSpec): string {
  if (spec.charset === 'base64') return randomBytes(spec.length).toString('base64');
  if (spec.charset === 'base64url') return randomBytes(spec.length).toString('base64url');
  const alphabet = ALPHABETS[spec.charset]!;
  let out = '';
  for (let i = 0; i < spec.length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Keeps every existing secret (so that an update never changes a password) and generates the missing ones. */
export function generateSecrets(manifest: AppManifest, existing: Record<string, string> = {}): Record<string, string> {
  const out = { ...existing };
  for (const [name, spec] of Object.entries(manifest.secrets)) if (!out[name]) out[name] = generateSecret(spec);
  return out;
}

/** Normalised `docker.io/library/postgres:16` form, for matching rewrites written either way. */
export function canonicalImage(ref: string): string {
  const first = ref.split('/')[0]!;
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}

export function rewriteImage(image: string, rewrites: Record<string, string> = {}): string {
  const candidates = [image, canonicalImage(image)];
  let best: { from: string; to: string; subject: string } | undefined;
  for (const subject of candidates) {
    for (const [from, to] of Object.entries(rewrites)) {
      const next = subject[from.length];
      const boundary = next === undefined || next === ':' || next === '@' || next === '/';
      if (subject.startsWith(from) && boundary && (!best || from.length > best.from.length)) best = { from, to, subject };
    }
  }
  return best ? best.to + best.subject.slice(best.from.length) : image;
}

function interpolateTree(node: unknown, lookup: (name: string) => string | undefined, path: string): unknown {
  if (typeof node === 'string') return interpolate(node, lookup, path);
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, lookup, `${path}/${i}`));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k.startsWith('x-') ? v : interpolateTree(v, lookup, `${path}/${k}`);
    return out;
  }
  return node;
}

const SIDECAR_CREDENTIALS = {
  postgres: {
    port: 5432,
    scheme: 'postgres',
    user: ['POSTGRES_USER', 'POSTGRESQL_USERNAME'],
    password: ['POSTGRES_PASSWORD', 'POSTGRESQL_PASSWORD'],
    database: ['POSTGRES_DB', 'POSTGRESQL_DATABASE'],
    rootPassword: [] as string[],
  },
  mariadb: {
    port: 3306,
    scheme: 'mysql',
    user: ['MARIADB_USER', 'MYSQL_USER'],
    password: ['MARIADB_PASSWORD', 'MYSQL_PASSWORD'],
    database: ['MARIADB_DATABASE', 'MYSQL_DATABASE'],
    rootPassword: ['MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD'],
  },
};

export function databaseUrl(c: Omit<DatabaseCredentials, 'url'>): string {
  const scheme = c.engine === 'postgres' ? 'postgres' : 'mysql';
  return `${scheme}://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/${encodeURIComponent(c.database)}`;
}

/** The credentials a bundled database service is started with, read from its own environment. */
function sidecarCredentials(need: DatabaseNeed, service: string, env: Record<string, string>): DatabaseCredentials {
  const keys = SIDECAR_CREDENTIALS[need.engine];
  const pick = (names: string[]): string | undefined => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  let user = pick(keys.user);
  let password = pick(keys.password) ?? '';
  if (!user) {
    user = need.engine === 'postgres' ? 'postgres' : 'root';
    if (need.engine === 'mariadb') password = pick(keys.rootPassword) ?? '';
  }
  const database = pick(keys.database) ?? (need.engine === 'postgres' ? user : '');
  const base = { engine: need.engine, host: service, port: keys.port, database, user, password };
  return { ...base, url: databaseUrl(base) };
}

function databaseVariables(ref: string, c: DatabaseCredentials): Record<string, string> {
  const p = databaseVariablePrefix(ref);
  return {
    [`${p}HOST`]: c.host,
    [`${p}PORT`]: String(c.port),
    [`${p}NAME`]: c.database,
    [`${p}USER`]: c.user,
    [`${p}PASSWORD`]: c.password,
    [`${p}URL`]: c.url,
  };
}

function volumeSources(svc: Record<string, unknown>): string[] {
  return ((svc.volumes as unknown[] | undefined) ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0]! : String((v as { source?: string }).source ?? '')));
}

function sidecarFor(manifest: AppManifest, ref: string): string | undefined {
  return Object.entries(manifest.sidecars).find(([, r]) => r === ref)?.[0];
}

/** Sidecar services made unnecessary by the given pooled refs. */
function droppedSidecars(manifest: AppManifest, pooledRefs: Iterable<string>): Set<string> {
  const pooled = new Set(pooledRefs);
  return new Set(Object.entries(manifest.sidecars).filter(([, ref]) => pooled.has(ref)).map(([s]) => s));
}

/**
 * Resolves a manifest into the StackSpec to deploy: inputs checked, secrets and database variables
 * interpolated, short syntax expanded, sidecars dropped where a pool meets their need, images rewritten.
 */
export function resolveStack(manifest: AppManifest, opts: ResolveOptions = {}): StackSpec {
  const project = opts.project ?? manifest.id;
  if (!PROJECT_PATTERN.test(project)) throw inputError([{ path: '/project', message: 'must be lowercase letters, digits, "-" or "_"' }]);
  const inputValues = validateInputs(manifest, opts.inputs);
  const secrets = opts.secrets ?? {};
  const missingSecrets = Object.keys(manifest.secrets).filter((n) => !secrets[n]);
  if (missingSecrets.length) {
    throw inputError(missingSecrets.map((n) => ({ path: `/secrets/${n}`, message: 'has no value: generate the secrets first (generateSecrets)' })));
  }
  const pooledGiven = opts.databases ?? {};
  const refs = manifest.requires.databases.map((d) => d.ref);
  const unknownRefs = Object.keys(pooledGiven).filter((r) => !refs.includes(r));
  if (unknownRefs.length) throw inputError(unknownRefs.map((r) => ({ path: `/databases/${r}`, message: `${manifest.id} declares no database "${r}"` })));
  const unmet = manifest.requires.databases.filter((d) => !pooledGiven[d.ref] && !sidecarFor(manifest, d.ref));
  if (unmet.length) {
    throw new WarrenError('WARREN_ERR_DATABASE', `${manifest.id} needs a ${unmet.map((d) => `${d.engine} database "${d.ref}"`).join(' and ')}`, {
      details: unmet.map((d) => ({ path: `/databases/${d.ref}`, message: 'no pool or dedicated server credentials given, and the app bundles no database' })),
      hint: 'provision the database (pool or dedicated server) before resolving the stack',
    });
  }

  const vars: Record<string, string> = { WARREN_APP_ID: manifest.id, WARREN_PROJECT: project };
  for (const [name, spec] of Object.entries(manifest.inputs)) vars[name] = inputValues[name] !== undefined ? String(inputValues[name]) : spec.default !== undefined ? String(spec.default) : '';
  for (const name of Object.keys(manifest.secrets)) vars[name] = secrets[name]!;
  const baseLookup = (name: string): string | undefined => vars[name];

  const credentials = new Map<string, DatabaseCredentials>();
  for (const need of manifest.requires.databases) {
    const pooled = pooledGiven[need.ref];
    if (pooled) {
      credentials.set(need.ref, pooled);
      continue;
    }
    const service = sidecarFor(manifest, need.ref)!;
    const path = `/services/${service}/environment`;
    const env = parseKeyValues(interpolateTree(manifest.document.services[service]!.environment, baseLookup, path), baseLookup);
    credentials.set(need.ref, sidecarCredentials(need, service, env));
  }
  for (const [ref, c] of credentials) Object.assign(vars, databaseVariables(ref, c));
  const mainRef = refs.includes('main') ? 'main' : refs[0];
  if (mainRef) vars.DATABASE_URL = credentials.get(mainRef)!.url;
  const lookup = (name: string): string | undefined => vars[name];

  const dropped = droppedSidecars(manifest, Object.keys(pooledGiven));
  const absent = new Set(opts.absentDevices ?? []);
  const optionalDevices = new Set(manifest.requires.devices.filter((d) => d.optional).map((d) => d.path));
  const doc = manifest.document;
  const declaredNetworks = doc.networks ?? {};
  const services: Record<string, ServiceSpec> = {};
  const volumesUsed = new Set<string>();
  const anonymousVolumes = new Set<string>();
  const networksUsed = new Set<string>();
  const poolNetworks = new Map<string, string>();
  for (const [ref, p] of Object.entries(pooledGiven)) if (p.network) poolNetworks.set(`warren_db_${ref}`, p.network);

  for (const [name, raw] of Object.entries(doc.services)) {
    if (dropped.has(name)) continue;
    const path = `/services/${name}`;
    const svc = interpolateTree(raw, lookup, path) as Record<string, unknown>;
    const spec: ServiceSpec = { image: rewriteImage(String(svc.image), opts.imageRewrites) };
    const command = parseCommand(svc.command, `${path}/command`);
    const entrypoint = parseCommand(svc.entrypoint, `${path}/entrypoint`);
    if (command) spec.command = command;
    if (entrypoint) spec.entrypoint = entrypoint;
    if (svc.environment !== undefined) spec.environment = parseKeyValues(svc.environment, lookup);
    if (svc.ports) spec.ports = (svc.ports as unknown[]).flatMap((p, i) => parsePort(p, `${path}/ports/${i}`));
    if (svc.volumes) {
      spec.volumes = (svc.volumes as unknown[]).map((v, i) => {
        const use = parseVolume(v, `${path}/volumes/${i}`, `${name}_anon_${i}`);
        if (use.mount.type === 'volume') {
          if (use.anonymous) anonymousVolumes.add(use.mount.source);
          else if (!doc.volumes || !(use.mount.source in doc.volumes)) throw badValue(`${path}/volumes/${i}`, `volume "${use.mount.source}" is not declared`);
          volumesUsed.add(use.mount.source);
        }
        return use.mount;
      });
    }
    if (typeof svc.network_mode === 'string') spec.networkMode = svc.network_mode;
    else {
      const nets = svc.networks;
      const names = Array.isArray(nets) ? (nets as string[]) : nets && typeof nets === 'object' ? Object.keys(nets) : ['default'];
      for (const n of names) {
        if (n !== 'default' && !(n in declaredNetworks)) throw badValue(`${path}/networks`, `network "${n}" is not declared`);
        networksUsed.add(n);
      }
      spec.networks = [...names, ...poolNetworks.keys()];
      const aliases = nets && !Array.isArray(nets) && typeof nets === 'object'
        ? Object.values(nets as Record<string, { aliases?: string[] } | null>).flatMap((n) => n?.aliases ?? [])
        : [];
      if (aliases.length) spec.aliases = aliases;
    }
    const healthcheck = parseHealthcheck(svc.healthcheck, `${path}/healthcheck`);
    if (healthcheck) spec.healthcheck = healthcheck;
    if (svc.depends_on !== undefined) {
      const deps = parseDependsOn(svc.depends_on);
      for (const d of Object.keys(deps)) if (dropped.has(d)) delete deps[d];
      if (Object.keys(deps).length) spec.dependsOn = deps;
    }
    const restart = parseRestart(svc.restart);
    if (restart) spec.restart = restart;
    const resources = parseResources(svc, path);
    if (resources) spec.resources = resources;
    if (svc.devices) {
      const devices = (svc.devices as unknown[]).map((d, i) => parseDevice(d, `${path}/devices/${i}`));
      const kept = devices.filter((d) => !(absent.has(d.host) && optionalDevices.has(d.host)));
      const missing = kept.filter((d) => absent.has(d.host));
      if (missing.length) {
        throw new WarrenError('WARREN_ERR_PLACEMENT', `${manifest.id} needs ${missing.map((d) => d.host).join(', ')}, which the device lacks`, {
          details: missing.map((d) => ({ path: `${path}/devices`, message: `${d.host} is required and absent` })),
        });
      }
      if (kept.length) spec.devices = kept;
    }
    if (svc.labels !== undefined) spec.labels = parseKeyValues(svc.labels, () => undefined);
    if (svc.user !== undefined) spec.user = String(svc.user);
    if (Array.isArray(svc.cap_add)) spec.capAdd = svc.cap_add as string[];
    if (Array.isArray(svc.cap_drop)) spec.capDrop = svc.cap_drop as string[];
    if (typeof svc.privileged === 'boolean') spec.privileged = svc.privileged;
    if (typeof svc.working_dir === 'string') spec.workingDir = svc.working_dir;
    if (typeof svc.hostname === 'string') spec.hostname = svc.hostname;
    if (typeof svc.platform === 'string') spec.platform = svc.platform;
    const grace = parseSeconds(svc.stop_grace_period, `${path}/stop_grace_period`);
    if (grace !== undefined) spec.stopGracePeriodSeconds = grace;
    if (svc.extra_hosts !== undefined) {
      spec.extraHosts = Array.isArray(svc.extra_hosts)
        ? (svc.extra_hosts as string[]).map((h) => (h.includes('=') ? h.replace('=', ':') : h))
        : Object.entries(svc.extra_hosts as Record<string, unknown>).map(([h, ip]) => `${h}:${String(ip)}`);
    }
    const tmpfs = parseList(svc.tmpfs);
    if (tmpfs) spec.tmpfs = tmpfs;
    const shm = parseSize(svc.shm_size, `${path}/shm_size`);
    if (shm !== undefined) spec.shmSizeBytes = shm;
    if (svc.sysctls !== undefined) spec.sysctls = parseKeyValues(svc.sysctls, () => undefined);
    services[name] = spec;
  }

  const volumes: Record<string, VolumeSpec> = {};
  for (const [name, v] of Object.entries(doc.volumes ?? {})) {
    const usedOnlyByDropped = !volumesUsed.has(name) && [...dropped].some((s) => volumeSources(doc.services[s]!).includes(name));
    if (usedOnlyByDropped) continue;
    const spec: VolumeSpec = {};
    if (v?.external) spec.external = true;
    if (v?.name) spec.name = interpolate(v.name, lookup, `/volumes/${name}/name`);
    if (v?.labels) spec.labels = parseKeyValues(v.labels, () => undefined);
    volumes[name] = spec;
  }
  for (const name of anonymousVolumes) volumes[name] = {};

  const networks: Record<string, NetworkSpec> = {};
  for (const [name, n] of Object.entries(declaredNetworks)) {
    const spec: NetworkSpec = {};
    if (n?.external) spec.external = true;
    if (n?.name) spec.name = interpolate(n.name, lookup, `/networks/${name}/name`);
    if (n?.internal) spec.internal = true;
    if (n?.labels) spec.labels = parseKeyValues(n.labels, () => undefined);
    networks[name] = spec;
  }
  if (networksUsed.has('default') && !networks.default) networks.default = {};
  for (const [key, name] of poolNetworks) networks[key] = { external: true, name };

  return {
    project,
    services,
    ...(Object.keys(networks).length ? { networks } : {}),
    ...(Object.keys(volumes).length ? { volumes } : {}),
    labels: { 'dev.warren.app': manifest.id, 'dev.warren.version': manifest.version, 'dev.warren.revision': String(manifest.revision) },
  };
}

/**
 * What placement needs to know about an app, read from its manifest. Exported here because
 * core/placement had no requirements type when this was written; placement adapts from this shape.
 */
export interface AppRequirements {
  app: string;
  /** Memory of the app's own services (sidecars excluded). */
  memoryBytes: number;
  /** `declared` in x-warren, summed from Compose `deploy.resources`, or `estimated` (256 MiB a service). */
  memorySource: 'declared' | 'compose' | 'estimated';
  /** Extra memory per database ref when its bundled sidecar runs instead of a pool. */
  sidecarMemoryBytes: Record<string, number>;
  diskBytes?: number;
  cpus?: number;
  /** Architectures every image publishes; empty when the manifest does not say. */
  architectures: Architecture[];
  devices: DevicePathNeed[];
  /** Host ports the app publishes (sidecars excluded), plus host-network ports from x-warren. */
  ports: PortNeed[];
  databases: DatabaseNeed[];
  /** Images of the app's own services, after rewrites. */
  images: string[];
  /** Images per database ref, pulled only when the sidecar runs. */
  sidecarImages: Record<string, string[]>;
}

function serviceMemory(svc: Record<string, unknown>): number | undefined {
  const res = (svc.deploy as { resources?: Record<string, Record<string, unknown> | undefined> } | undefined)?.resources ?? {};
  const raw = res.reservations?.memory ?? svc.mem_reservation ?? res.limits?.memory ?? svc.mem_limit;
  if (raw === undefined) return undefined;
  let text = raw as string | number;
  if (typeof text === 'string' && text.includes('$')) {
    try {
      text = interpolate(text, () => undefined);
    } catch {
      return undefined;
    }
  }
  return parseBytes(text);
}

export function requirementsOf(manifest: AppManifest, opts: { imageRewrites?: Record<string, string> } = {}): AppRequirements {
  const services = manifest.document.services;
  const own = Object.entries(services).filter(([name]) => !manifest.sidecars[name]);
  const fromCompose = own.map(([, s]) => serviceMemory(s));
  const anyCompose = fromCompose.some((m) => m !== undefined);
  const memoryBytes = manifest.requires.memoryBytes ?? fromCompose.reduce<number>((sum, m) => sum + (m ?? DEFAULT_SERVICE_MEMORY), 0);
  const memorySource = manifest.requires.memoryBytes !== undefined ? 'declared' : anyCompose ? 'compose' : 'estimated';

  const sidecarMemoryBytes: Record<string, number> = {};
  const sidecarImages: Record<string, string[]> = {};
  for (const [name, ref] of Object.entries(manifest.sidecars)) {
    sidecarMemoryBytes[ref] = (sidecarMemoryBytes[ref] ?? 0) + (serviceMemory(services[name]!) ?? DEFAULT_SERVICE_MEMORY);
    (sidecarImages[ref] ??= []).push(rewriteImage(services[name]!.image, opts.imageRewrites));
  }

  const ports: PortNeed[] = [...manifest.requires.ports];
  for (const [name, svc] of own) {
    ((svc.ports as unknown[] | undefined) ?? []).forEach((p, i) => {
      let specs;
      try {
        specs = parsePort(typeof p === 'string' && p.includes('$') ? interpolate(p, () => undefined) : p, `/services/${name}/ports/${i}`);
      } catch {
        return;
      }
      for (const s of specs) {
        if (s.published !== undefined && !ports.some((x) => x.port === s.published && x.protocol === s.protocol)) {
          ports.push({ port: s.published, protocol: s.protocol ?? 'tcp' });
        }
      }
    });
  }

  return {
    app: manifest.id,
    memoryBytes,
    memorySource,
    sidecarMemoryBytes,
    ...(manifest.requires.diskBytes !== undefined ? { diskBytes: manifest.requires.diskBytes } : {}),
    ...(manifest.requires.cpus !== undefined ? { cpus: manifest.requires.cpus } : {}),
    architectures: manifest.requires.architectures,
    devices: manifest.requires.devices,
    ports,
    databases: manifest.requires.databases,
    images: [...new Set(own.map(([, s]) => rewriteImage(s.image, opts.imageRewrites)))],
    sidecarImages,
  };
}

/** The inputs as a JSON Schema object, for forms (the same subset the manifest declares). */
export function inputsJsonSchema(manifest: AppManifest): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(manifest.inputs)) {
    properties[name] = {
      type: s.type,
      ...(s.title ? { title: s.title } : {}),
      ...(s.description ? { description: s.description } : {}),
      ...(s.default !== undefined ? { default: s.default } : {}),
      ...(s.pattern ? { pattern: s.pattern } : {}),
      ...(s.enum ? { enum: s.enum } : {}),
      ...(s.minimum !== undefined ? { minimum: s.minimum } : {}),
      ...(s.maximum !== undefined ? { maximum: s.maximum } : {}),
      ...(s.secret ? { 'x-secret': true } : {}),
    };
  }
  const required = Object.entries(manifest.inputs).filter(([, s]) => s.required && s.default === undefined).map(([n]) => n);
  return { type: 'object', properties, required, additionalProperties: false };
}
