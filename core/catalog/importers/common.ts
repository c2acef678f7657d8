// The part every importer shares: a foreign Compose document plus what the foreign catalog says about
// the app → a native manifest, with every dropped or changed setting written into the report.
import { WarrenError, describeError, type ErrorDetail } from '../../errors.js';
import { escapeDollars, referencedVariables } from '../interpolate.js';
import { databaseVariableNames, validateManifestDocument } from '../loader.js';
import { SUPPORTED_SERVICE_KEYS } from '../schema.js';
import type { AppManifest, Architecture, ComposeDocument, InputSpec, SecretSpec, WarrenBlock } from '../types.js';
import { ARCHITECTURES } from '../types.js';

export interface ReportEntry {
  path: string;
  reason: string;
}

export interface ImportReport {
  /** The app id given to the result (or the best name known when it failed). */
  app: string;
  /** File or URL (with a JSON pointer for one template of many) the app came from. */
  source: string;
  format: ImportFormat;
  /** Settings that were dropped: the app may need them set by hand. */
  unmapped: ReportEntry[];
  /** Settings that were carried over in another form (bind mount → named volume, ...). */
  changed: ReportEntry[];
  /** Set when no manifest could be produced. */
  error?: { message: string; details?: ErrorDetail[] };
}

export type ImportFormat = 'casaos' | 'portainer' | 'coolify' | 'compose' | 'native';

export interface ImportResult {
  manifests: AppManifest[];
  reports: ImportReport[];
}

export interface AppMeta {
  id: string;
  title: string;
  tagline?: string;
  description?: string;
  categories?: string[];
  icon?: string;
  website?: string;
  version?: string;
  mainService?: string;
  mainPort?: number;
  mainPath?: string;
  architectures?: string[];
  secrets?: Record<string, SecretSpec>;
  /** Known inputs (from the foreign catalog's form definitions); other variables become plain text inputs. */
  inputs?: Record<string, Partial<InputSpec> & { type: InputSpec['type'] }>;
  /** Publish the main port when the service publishes nothing (catalogs that sit behind a proxy). */
  publishMainPort?: boolean;
  /** Host ports a host-network app listens on (placement must find them free). */
  hostPorts?: number[];
}

const UNSUPPORTED_REASONS: Record<string, string> = {
  build: 'Warren deploys images; it does not build them',
  container_name: 'Warren names containers itself (project-service-1) so that several installs can coexist',
  env_file: 'env files are not part of a catalog app; declare the variables as inputs',
  security_opt: 'security options are not supported by Warren deployments',
  cpu_shares: 'relative CPU shares are not supported; use deploy.resources.limits.cpus',
  ulimits: 'ulimits are not supported by Warren deployments',
  logging: 'per-service logging drivers are not supported; the engine default is used',
  secrets: 'Compose secrets are not supported; use x-warren secrets',
  configs: 'Compose configs are not supported',
  links: 'links are obsolete: services reach each other by name on the default network',
  stdin_open: 'interactive containers are not supported',
  tty: 'interactive containers are not supported',
};

export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return slug || 'app';
}

export function emptyReport(app: string, source: string, format: ImportFormat): ImportReport {
  return { app, source, format, unmapped: [], changed: [] };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

const ARCH_ALIASES: Record<string, Architecture> = {
  amd64: 'amd64',
  x86_64: 'amd64',
  arm64: 'arm64',
  aarch64: 'arm64',
  arm: 'arm/v7',
  armhf: 'arm/v7',
  armv7: 'arm/v7',
  'arm/v7': 'arm/v7',
  armv6: 'arm/v6',
  'arm/v6': 'arm/v6',
  '386': '386',
  i386: '386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

export function mapArchitectures(raw: unknown[], report: ImportReport, path: string): Architecture[] {
  const out: Architecture[] = [];
  raw.forEach((a, i) => {
    const mapped = ARCH_ALIASES[String(a).toLowerCase().replace(/^linux\//, '')];
    if (mapped && (ARCHITECTURES as readonly string[]).includes(mapped)) {
      if (!out.includes(mapped)) out.push(mapped);
    } else report.unmapped.push({ path: `${path}/${i}`, reason: `unknown architecture "${String(a)}"` });
  });
  return out;
}

const DB_IMAGES: { match: RegExp; engine: 'postgres' | 'mariadb'; extensions?: string[]; dedicated?: boolean }[] = [
  { match: /^(pgvecto-rs|immich-app\/postgres)$/, engine: 'postgres', extensions: ['vectors'], dedicated: true },
  { match: /^pgvector$/, engine: 'postgres', extensions: ['vector'] },
  { match: /^(postgis)$/, engine: 'postgres', extensions: ['postgis'] },
  { match: /^timescaledb(-ha)?$/, engine: 'postgres', extensions: ['timescaledb'], dedicated: true },
  { match: /^(postgres|postgresql)$/, engine: 'postgres' },
  { match: /^(mariadb|mysql|mysql-server|percona-server)$/, engine: 'mariadb' },
];

/** Recognises a database server image: `postgres:16-alpine`, `docker.io/library/mariadb:11`, `pgvector/pgvector:pg16`... */
export function databaseImage(image: string): { engine: 'postgres' | 'mariadb'; extensions: string[]; dedicated: boolean; versions?: string } | undefined {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  const path = colon >= 0 ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = colon >= 0 ? withoutDigest.slice(colon + 1) : '';
  const parts = path.split('/');
  const name = parts[parts.length - 1]!;
  const twoPart = parts.slice(-2).join('/');
  const hit = DB_IMAGES.find((d) => d.match.test(name) || d.match.test(twoPart));
  if (!hit) return undefined;
  const version = /(?:^|pg)(\d+)(?:\.(\d+))?/.exec(tag);
  const versions = version && !tag.includes('$') ? `>=${version[1]}${version[2] !== undefined ? `.${version[2]}` : ''}` : undefined;
  return { engine: hit.engine, extensions: hit.extensions ?? [], dedicated: hit.dedicated ?? false, ...(versions ? { versions } : {}) };
}

function environmentMap(svc: Record<string, unknown>): Record<string, string | undefined> {
  const env = svc.environment;
  const out: Record<string, string | undefined> = {};
  if (Array.isArray(env)) {
    for (const e of env) {
      const s = String(e);
      const i = s.indexOf('=');
      out[i < 0 ? s : s.slice(0, i)] = i < 0 ? undefined : s.slice(i + 1);
    }
  } else if (isObject(env)) for (const [k, v] of Object.entries(env)) out[k] = v === null || v === undefined ? undefined : String(v);
  return out;
}

/** `$X` and `${X}` are the same reference; compare them in one spelling. */
function canonical(value: string | undefined): string | undefined {
  const m = value === undefined ? null : /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))$/.exec(value);
  return m ? `\${${m[1] ?? m[2]}}` : value;
}

function setEnvironment(svc: Record<string, unknown>, key: string, value: string): void {
  const env = svc.environment;
  if (Array.isArray(env)) {
    const i = env.findIndex((e) => String(e) === key || String(e).startsWith(`${key}=`));
    env[i] = `${key}=${value}`;
  } else if (isObject(env)) env[key] = value;
}

/** Setting names that belong to a service other than the database (cache, queue, search, mail, ...). */
const OTHER_SERVICE_KEY = /REDIS|VALKEY|MEMCACHE|MONGO|RABBIT|AMQP|CELERY|BROKER|ELASTIC|OPENSEARCH|MEILI|TYPESENSE|WEAVIATE|QDRANT|MINIO|S3_|SMTP|MAIL|LDAP|ADMIN|CLICKHOUSE|INFLUX/i;

const SIDECAR_ENV = {
  postgres: { user: ['POSTGRES_USER', 'POSTGRESQL_USERNAME'], password: ['POSTGRES_PASSWORD', 'POSTGRESQL_PASSWORD'], database: ['POSTGRES_DB', 'POSTGRESQL_DATABASE'], port: '5432' },
  mariadb: {
    user: ['MARIADB_USER', 'MYSQL_USER'],
    password: ['MARIADB_PASSWORD', 'MYSQL_PASSWORD', 'MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD'],
    database: ['MARIADB_DATABASE', 'MYSQL_DATABASE'],
    port: '3306',
  },
};

/**
 * Marks bundled database services as sidecars and points the app's own settings at the
 * `WARREN_DB_<REF>_*` variables, so that a shared pool can take the sidecar's place. A database the
 * app refers to in ways that cannot be rewritten stays a plain service, and the report says so.
 */
function markSidecars(doc: ComposeDocument, w: WarrenBlock, report: ImportReport): void {
  const services = doc.services as Record<string, Record<string, unknown>>;
  const candidates = Object.entries(services)
    .map(([name, svc]) => ({ name, svc, db: typeof svc.image === 'string' ? databaseImage(svc.image) : undefined }))
    .filter((c) => c.db && c.name !== w.main.service);
  const needs = (w.requires ??= {}).databases ?? [];
  for (const { name, svc, db } of candidates) {
    const ref = needs.length === 0 ? 'main' : name.toLowerCase().replace(/[^a-z0-9_]/g, '_').replace(/^[^a-z]+/, '') || `db${needs.length + 1}`;
    const prefix = `WARREN_DB_${ref.toUpperCase()}_`;
    const keys = SIDECAR_ENV[db!.engine];
    const env = environmentMap(svc);
    const pick = (names: string[]): string | undefined => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
    const creds = { user: canonical(pick(keys.user)), password: canonical(pick(keys.password)), database: canonical(pick(keys.database)) };
    const aliases = isObject(svc.networks) ? Object.values(svc.networks).flatMap((n) => (isObject(n) && Array.isArray(n.aliases) ? n.aliases.map(String) : [])) : [];
    const hosts = new Set([name, ...(typeof svc.hostname === 'string' ? [svc.hostname] : []), ...aliases]);
    const rewrites: ReportEntry[] = [];
    const pending: { svc: Record<string, unknown>; key: string; value: string }[] = [];
    let leftover: string | undefined;

    for (const [otherName, other] of Object.entries(services)) {
      if (otherName === name || candidates.some((c) => c.name === otherName)) continue;
      for (const [key, raw] of Object.entries(environmentMap(other))) {
        const value = canonical(raw);
        if (value === undefined) continue;
        const path = `/services/${otherName}/environment/${key}`;
        let next: string | undefined;
        // `${DATABASE_HOST:-postgresql}` (Coolify's Cal.com) names the service unless the user overrides it.
        const resolved = value.replace(/\$\{[A-Za-z_]\w*:?-([^}$]*)\}/g, '$1');
        const url = /^([a-z][a-z0-9+.-]*):\/\/([^:@/]*)(?::([^@/]*))?@([^:/?]+)(?::(\d+))?\/([^?]*)(\?.*)?$/i.exec(resolved);
        if (url && hosts.has(url[4]!)) {
          next = `${url[1]}://\${${prefix}USER}:\${${prefix}PASSWORD}@\${${prefix}HOST}:\${${prefix}PORT}/\${${prefix}NAME}${url[7] ?? ''}`;
        } else if (hosts.has(value)) next = `\${${prefix}HOST}`;
        else if ([...hosts].some((h) => value === `${h}:${keys.port}`)) next = `\${${prefix}HOST}:\${${prefix}PORT}`;
        // A password or user name shared with another service (Dify's REDIS_PASSWORD equals its
        // Postgres password) belongs to that service: only database-looking keys follow the pool.
        else if (creds.password !== undefined && value === creds.password && /PASS|SECRET|PWD/i.test(key) && !OTHER_SERVICE_KEY.test(key)) next = `\${${prefix}PASSWORD}`;
        else if (creds.user !== undefined && value === creds.user && /USER/i.test(key) && !OTHER_SERVICE_KEY.test(key)) next = `\${${prefix}USER}`;
        else if (creds.database !== undefined && value === creds.database && /DB|DATABASE|NAME/i.test(key) && !/USER|HOST/i.test(key)) next = `\${${prefix}NAME}`;
        else if (value === keys.port && /PORT/i.test(key) && /DB|DATABASE|PG|SQL|POSTGRES|MARIA/i.test(key)) next = `\${${prefix}PORT}`;
        if (next !== undefined) {
          pending.push({ svc: other, key, value: next });
          rewrites.push({ path, reason: `now ${next}, so that a shared ${db!.engine} pool can replace service "${name}"` });
        } else if ([...hosts].some((h) => new RegExp(`(^|[^a-zA-Z0-9_.-])${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^a-zA-Z0-9_.-]|$)`).test(value))) {
          leftover = path;
        }
      }
      const elsewhere = JSON.stringify({ ...other, environment: undefined, depends_on: undefined, links: undefined });
      if (!leftover && [...hosts].some((h) => elsewhere.includes(`"${h}"`) || elsewhere.includes(`${h}:`) || elsewhere.includes(`@${h}`))) leftover = `/services/${otherName}`;
    }
    if (leftover) {
      report.changed.push({ path: `/services/${name}`, reason: `database service kept as a plain service: ${leftover} refers to it in a way that cannot be pointed at a shared pool` });
      continue;
    }
    if (!rewrites.some((r) => r.reason.includes(`${prefix}HOST`))) {
      // Without its host in the app's settings the app relies on a built-in default host name,
      // which a pool on another host could not answer to.
      report.changed.push({ path: `/services/${name}`, reason: 'database service kept as a plain service: the app does not name its database host in its settings, so a shared pool could not stand in for it' });
      continue;
    }
    for (const p of pending) setEnvironment(p.svc, p.key, p.value);
    report.changed.push(...rewrites);
    svc['x-warren'] = { role: 'database-sidecar', satisfies: ref };
    for (const key of keys.password) {
      const value = env[key];
      if (value === undefined || value === '' || value.includes('$')) continue;
      // A password written into a public template is known to everyone; each install gets its own.
      const secret = `${ref.toUpperCase()}_DB_${key.includes('ROOT') ? 'ROOT_' : ''}PASSWORD`;
      (w.secrets ??= {})[secret] = { length: 32, charset: 'alphanumeric' };
      setEnvironment(svc, key, `\${${secret}}`);
      report.changed.push({ path: `/services/${name}/environment/${key}`, reason: `fixed password replaced by the generated secret ${secret}` });
    }
    needs.push({ ref, engine: db!.engine, ...(db!.versions ? { versions: db!.versions } : {}), ...(db!.extensions.length ? { extensions: db!.extensions } : {}), ...(db!.dedicated ? { dedicated: true } : {}) });
    report.changed.push({ path: `/services/${name}`, reason: `bundled ${db!.engine} marked as a sidecar for database "${ref}"; dropped when a pool meets the need` });
  }
  if (needs.length) w.requires.databases = needs;
}

function volumeNameFor(hostPath: string, taken: Set<string>): string {
  const base = slugify(hostPath.split('/').filter((p) => p && p !== '.' && p !== '..').slice(-1)[0] ?? 'data').replace(/-/g, '_') || 'data';
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** Host folders that only make sense on the machine the foreign catalog ran on, turned into named volumes. */
export type BindPolicy = (hostPath: string) => boolean;

function convertService(
  name: string,
  svc: Record<string, unknown>,
  doc: ComposeDocument,
  report: ImportReport,
  toVolume: BindPolicy,
  taken: Set<string>,
  /** Host folder → the named volume it became, so that services sharing a folder share the volume. */
  hostVolumes: Map<string, string>,
): void {
  const base = `/services/${name}`;
  const containerName = svc.container_name;
  if (containerName === name) delete svc.container_name;
  else if (typeof containerName === 'string' && containerName !== name && /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(containerName) && svc.network_mode === undefined) {
    // Other services often reach this one by its container name; an alias keeps that working.
    const nets = svc.networks;
    const map: Record<string, { aliases?: string[] } | null> = Array.isArray(nets)
      ? Object.fromEntries(nets.map((n) => [String(n), null]))
      : isObject(nets)
        ? (nets as Record<string, { aliases?: string[] } | null>)
        : { default: null };
    for (const key of Object.keys(map)) map[key] = { ...(map[key] ?? {}), aliases: [...new Set([...(map[key]?.aliases ?? []), containerName])] };
    svc.networks = map;
    delete svc.container_name;
    report.changed.push({ path: `${base}/container_name`, reason: `Warren names containers itself; "${containerName}" stays reachable as a network alias` });
  }
  for (const key of Object.keys(svc)) {
    if (key.startsWith('x-') && key !== 'x-warren') {
      delete svc[key];
    } else if (!SUPPORTED_SERVICE_KEYS.has(key) && key !== 'x-warren') {
      report.unmapped.push({ path: `${base}/${key}`, reason: UNSUPPORTED_REASONS[key] ?? 'not part of the Compose subset Warren deploys' });
      delete svc[key];
    }
  }
  if (svc.network_mode === 'bridge') {
    delete svc.network_mode;
    report.changed.push({ path: `${base}/network_mode`, reason: '"bridge" is the default: the service joins the app network' });
  }
  if (isObject(svc.deploy)) {
    for (const key of Object.keys(svc.deploy)) {
      if (key !== 'resources') {
        report.unmapped.push({ path: `${base}/deploy/${key}`, reason: 'only deploy.resources is supported' });
        delete svc.deploy[key];
      }
    }
    const res = svc.deploy.resources;
    if (isObject(res)) {
      for (const kind of ['limits', 'reservations']) {
        const r = res[kind];
        if (!isObject(r)) continue;
        for (const k of Object.keys(r)) {
          if (!['memory', 'cpus', ...(kind === 'limits' ? ['pids'] : [])].includes(k)) {
            report.unmapped.push({ path: `${base}/deploy/resources/${kind}/${k}`, reason: k === 'devices' ? 'GPU and device reservations are not supported' : 'not supported' });
            delete r[k];
          }
        }
      }
    }
  }
  if (Array.isArray(svc.ports)) {
    svc.ports = svc.ports.map((p) => {
      if (!isObject(p)) return p;
      const q = { ...p };
      if (typeof q.published === 'number' || typeof q.published === 'string') q.published = String(q.published);
      if (q.target !== undefined && typeof q.target !== 'number') q.target = Number(q.target);
      return q;
    });
  }
  if (Array.isArray(svc.volumes)) {
    svc.volumes = svc.volumes.map((v, i) => {
      const path = `${base}/volumes/${i}`;
      let source: string | undefined;
      let target: string | undefined;
      let readOnly = false;
      if (typeof v === 'string') {
        const parts = v.split(':');
        if (parts.length < 2) return v;
        [source, target] = parts as [string, string];
        readOnly = (parts[2] ?? '').split(',').includes('ro');
      } else if (isObject(v)) {
        for (const k of Object.keys(v)) {
          if (!['type', 'source', 'target', 'read_only', 'volume', 'bind', 'tmpfs'].includes(k)) {
            report.unmapped.push({ path: `${path}/${k}`, reason: k === 'content' ? 'file content created by the foreign platform is not supported; provide the file yourself' : 'not supported' });
            delete v[k];
          }
        }
        if (v.type === 'volume' && typeof v.source === 'string' && v.source && !v.source.includes('$') && !(v.source in (doc.volumes ??= {}))) {
          doc.volumes[v.source] = null;
          taken.add(v.source);
        }
        if (v.type !== 'bind' || typeof v.source !== 'string') return v;
        source = v.source;
        target = String(v.target);
        readOnly = v.read_only === true;
      }
      if (source === undefined || target === undefined) return v;
      const isBind = /^[./~$]/.test(source);
      if (!isBind) {
        if (!(source in (doc.volumes ??= {})) && !source.includes('$')) {
          doc.volumes[source] = null;
          taken.add(source);
        }
        return typeof v === 'string' ? v : { ...v };
      }
      if (!source.startsWith('/') || toVolume(source)) {
        const key = source.replace(/\/+$/, '');
        const shared = hostVolumes.get(key);
        const volume = shared ?? volumeNameFor(source, taken);
        hostVolumes.set(key, volume);
        (doc.volumes ??= {})[volume] = null;
        report.changed.push({ path, reason: shared ? `host folder "${source}" is the named volume "${volume}", shared with the other services that mount it` : `host folder "${source}" became the named volume "${volume}" so the app can run on any device` });
        return `${volume}:${target}${readOnly ? ':ro' : ''}`;
      }
      return v;
    });
  }
}

function declareVariables(doc: ComposeDocument, w: WarrenBlock, report: ImportReport): void {
  const known = new Set([
    ...Object.keys(w.secrets ?? {}),
    ...Object.keys(w.inputs ?? {}),
    ...databaseVariableNames((w.requires?.databases ?? []).map((d) => d.ref)),
    'WARREN_APP_ID',
    'WARREN_PROJECT',
  ]);
  const walk = (node: unknown, path: string): void => {
    if (typeof node === 'string') {
      let refs;
      try {
        refs = referencedVariables(node, path);
      } catch {
        report.unmapped.push({ path, reason: 'malformed ${...} interpolation' });
        return;
      }
      for (const r of refs) {
        if (known.has(r.name)) continue;
        known.add(r.name);
        if (r.name.startsWith('WARREN_')) {
          report.unmapped.push({ path, reason: `${r.name} is reserved for Warren` });
          continue;
        }
        (w.inputs ??= {})[r.name] = { type: 'string', title: r.name, ...(r.guarded ? {} : { default: '' }) };
        report.changed.push({ path, reason: `variable ${r.name} became an input` });
      }
    } else if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${path}/${i}`));
    else if (isObject(node)) for (const [k, v] of Object.entries(node)) if (!k.startsWith('x-')) walk(v, `${path}/${k}`);
  };
  walk(doc.services, '/services');
  walk(doc.volumes, '/volumes');
  walk(doc.networks, '/networks');
}

function imageTag(image: string): string | undefined {
  // `server:${TAG:-2024.2.2}` is tag 2024.2.2 unless the user says otherwise.
  const ref = image.replace(/\$\{[A-Za-z_]\w*:?-([^}$]*)\}/g, '$1').split('@')[0]!;
  const colon = ref.lastIndexOf(':');
  const tag = colon > ref.lastIndexOf('/') ? ref.slice(colon + 1) : undefined;
  return tag && !tag.includes('$') && tag.length <= 64 ? tag : undefined;
}

function firstPublishedTcpTarget(svc: Record<string, unknown>): number | undefined {
  for (const p of Array.isArray(svc.ports) ? svc.ports : []) {
    if (isObject(p)) {
      if (p.protocol !== 'udp' && Number.isInteger(Number(p.target))) return Number(p.target);
      continue;
    }
    const m = /^(?:[^/]*:)?(\d+)(?:\/(tcp|udp))?$/.exec(String(p));
    if (m && m[2] !== 'udp') return Number(m[1]);
  }
  return undefined;
}

function publishedPortFor(svc: Record<string, unknown>, target: number): boolean {
  return Array.isArray(svc.ports) && svc.ports.some((p) => (isObject(p) ? Number(p.target) === target : new RegExp(`(^|:)${target}(/tcp)?$`).test(String(p))));
}

/**
 * Finishes an import: cleans the document, builds x-warren from `meta`, marks database sidecars,
 * declares inputs for unknown variables and validates. Never throws: failures land in `report.error`.
 */
export function finishImport(rawDoc: unknown, meta: AppMeta, report: ImportReport, toVolume: BindPolicy = () => false): AppManifest | undefined {
  try {
    if (!isObject(rawDoc) || !isObject(rawDoc.services) || Object.keys(rawDoc.services).length === 0) {
      throw new Error('the document has no services');
    }
    const doc = structuredClone(rawDoc) as unknown as ComposeDocument & Record<string, unknown>;
    for (const key of Object.keys(doc)) {
      if (key === 'x-warren' || ['services', 'volumes', 'networks', 'version', 'name'].includes(key)) continue;
      if (!key.startsWith('x-')) report.unmapped.push({ path: `/${key}`, reason: UNSUPPORTED_REASONS[key] ?? 'not part of the Compose subset Warren deploys' });
      delete doc[key];
    }
    delete doc.version;
    delete doc.name;
    for (const section of ['volumes', 'networks'] as const) {
      const map = doc[section];
      if (map !== undefined && !isObject(map)) {
        report.unmapped.push({ path: `/${section}`, reason: 'must be a map' });
        delete doc[section];
        continue;
      }
      for (const [n, def] of Object.entries((map ?? {}) as Record<string, unknown>)) {
        if (!isObject(def)) continue;
        for (const k of Object.keys(def)) {
          const allowed = section === 'volumes' ? ['external', 'name', 'labels'] : ['external', 'name', 'internal', 'labels'];
          if (!allowed.includes(k)) {
            if (!(k === 'driver' && (def[k] === 'local' || def[k] === 'bridge'))) report.unmapped.push({ path: `/${section}/${n}/${k}`, reason: 'driver settings are not supported' });
            delete def[k];
          }
        }
        // A fixed name (Dify's `networks: { dify: { name: dify } }`) would escape the app's project:
        // a second install would join the first one's network. Only an external one is really shared.
        if (def.name !== undefined && def.external !== true) {
          report.changed.push({ path: `/${section}/${n}/name`, reason: `fixed name "${String(def.name)}" dropped: the ${section === 'volumes' ? 'volume' : 'network'} belongs to the app, so two installs neither share nor collide on it` });
          delete def.name;
        }
      }
    }
    const taken = new Set(Object.keys(doc.volumes ?? {}));
    const hostVolumes = new Map<string, string>();
    const services = doc.services as Record<string, Record<string, unknown>>;
    for (const [name, svc] of Object.entries(services)) {
      if (!isObject(svc)) throw new Error(`service ${name} is not a map`);
      if (typeof svc.image !== 'string' || !svc.image) throw new Error(`service ${name} has no image (Warren deploys images; it does not build them)`);
      convertService(name, svc, doc, report, toVolume, taken, hostVolumes);
      if (Array.isArray(svc.environment)) svc.environment = svc.environment.map(String);
    }

    const mainService = meta.mainService && services[meta.mainService] ? meta.mainService : Object.keys(services).find((n) => !databaseImage(String(services[n]!.image))) ?? Object.keys(services)[0]!;
    if (meta.mainService && meta.mainService !== mainService) report.changed.push({ path: '/x-warren/main/service', reason: `main service "${meta.mainService}" does not exist; using "${mainService}"` });
    if (meta.mainPort !== undefined && meta.publishMainPort && !publishedPortFor(services[mainService]!, meta.mainPort) && !services[mainService]!.network_mode) {
      ((services[mainService]!.ports as unknown[] | undefined) ?? (services[mainService]!.ports = [])).push(`${meta.mainPort}:${meta.mainPort}`);
      report.changed.push({ path: `/services/${mainService}/ports`, reason: `published the web port ${meta.mainPort} (the foreign platform reached it through its proxy)` });
    }
    const mainPort = meta.mainPort ?? firstPublishedTcpTarget(services[mainService]!);
    const architectures = meta.architectures?.length ? mapArchitectures(meta.architectures, report, '/x-warren/requires/architectures') : [];
    const w: WarrenBlock = {
      id: meta.id,
      version: meta.version ?? imageTag(String(services[mainService]!.image)) ?? 'latest',
      revision: 1,
      title: meta.title.replace(/\s+/g, ' ').trim().slice(0, 80) || meta.id,
      tagline: (meta.tagline ?? meta.title).replace(/\s+/g, ' ').trim().slice(0, 200) || meta.id,
      ...(meta.description?.trim() ? { description: meta.description.trim() } : {}),
      categories: (meta.categories ?? []).map((c) => c.trim().slice(0, 40)).filter(Boolean).length ? (meta.categories ?? []).map((c) => c.trim().slice(0, 40)).filter(Boolean) : ['Other'],
      ...(meta.icon ? { icon: meta.icon } : {}),
      ...(meta.website ? { website: meta.website } : {}),
      main: { service: mainService, ...(mainPort !== undefined ? { port: mainPort } : {}), ...(meta.mainPath ? { path: meta.mainPath.startsWith('/') ? meta.mainPath : `/${meta.mainPath}` } : {}) },
      requires: { ...(architectures.length ? { architectures } : {}), ...(meta.hostPorts?.length ? { ports: meta.hostPorts } : {}) },
      ...(meta.secrets && Object.keys(meta.secrets).length ? { secrets: meta.secrets } : {}),
      ...(meta.inputs && Object.keys(meta.inputs).length ? { inputs: meta.inputs } : {}),
    };
    const devices = new Set<string>();
    for (const svc of Object.values(services)) {
      for (const d of (svc.devices as unknown[] | undefined) ?? []) {
        const host = isObject(d) ? String(d.source ?? '') : String(d).split(':')[0]!;
        if (host.startsWith('/dev/')) devices.add(host);
      }
    }
    if (devices.size) w.requires!.devices = [...devices].map((path) => ({ path, optional: false }));
    markSidecars(doc, w, report);
    declareVariables(doc, w, report);
    if (w.requires && Object.keys(w.requires).length === 0) delete w.requires;
    doc['x-warren'] = w;
    return validateRepairing(doc, report);
  } catch (e) {
    const d = describeError(e);
    report.error = { message: d.message, ...(d.details ? { details: d.details } : {}) };
    return undefined;
  }
}

/**
 * Validates, dropping service settings the loader refuses (a malformed port, an unknown restart
 * policy...) and reporting each, so that one bad value does not cost the whole app. Problems outside
 * the services' settings (the image, x-warren) still fail the import.
 */
function validateRepairing(doc: ComposeDocument, report: ImportReport): AppManifest {
  for (let round = 0; ; round++) {
    try {
      return validateManifestDocument(doc, report.source);
    } catch (e) {
      if (round >= 5 || !(e instanceof WarrenError) || !e.details?.length) throw e;
      const removable = e.details.map((d) => ({ detail: d, target: removableTarget(d.path) }));
      if (removable.some((r) => !r.target)) throw e;
      const done = new Set<string>();
      // Highest array index first, so that removing one element does not shift the next.
      removable.sort((a, b) => b.target!.join('/').localeCompare(a.target!.join('/'), undefined, { numeric: true }));
      for (const { detail, target } of removable) {
        const key = target!.join('/');
        if (done.has(key)) continue;
        done.add(key);
        let parent: unknown = doc;
        for (const seg of target!.slice(0, -1)) parent = isObject(parent) || Array.isArray(parent) ? (parent as Record<string, unknown>)[seg] : undefined;
        const last = target![target!.length - 1]!;
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else if (isObject(parent)) delete parent[last];
        report.unmapped.push({ path: `/${key}`, reason: `dropped: ${detail.message}` });
      }
    }
  }
}

function removableTarget(path: string): string[] | undefined {
  const segs = path.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (segs[0] !== 'services' || segs.length < 3 || segs[2] === 'image' || segs[2] === 'x-warren') return undefined;
  const listKeys = ['ports', 'volumes', 'devices', 'expose', 'cap_add', 'cap_drop', 'tmpfs', 'extra_hosts'];
  if (listKeys.includes(segs[2]!) && segs.length >= 4 && /^\d+$/.test(segs[3]!)) return segs.slice(0, 4);
  if (segs[2] === 'healthcheck' || segs[2] === 'deploy') return segs;
  if (segs[2] === 'environment' || segs[2] === 'labels' || segs[2] === 'sysctls') return segs.slice(0, Math.min(segs.length, 4));
  return segs.slice(0, 3);
}

/** A literal value from a foreign catalog, written so that interpolation leaves it alone. */
export const literal = (value: unknown): string => escapeDollars(String(value ?? ''));
