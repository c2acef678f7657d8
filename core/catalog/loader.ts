// Manifest loading: YAML text → validated AppManifest, or one WarrenError listing every problem with
// its path. Nothing here throws anything but WarrenError, whatever the input (the fuzz test holds it to that).
import { Ajv, type ErrorObject } from 'ajv';
import semver from 'semver';
import { parseDocument } from 'yaml';
import { WarrenError, type ErrorDetail } from '../errors.js';
import { referencedVariables } from './interpolate.js';
import { manifestSchema } from './schema.js';
import { nestingProblem } from './yaml-guard.js';
import {
  type AppManifest,
  type ComposeDocument,
  type DatabaseNeed,
  type InputSpec,
  type PortNeed,
  type SecretSpec,
} from './types.js';
import { parseDevice, parsePort, parseVolume } from './compose-forms.js';
import { parseBytes, parseDuration, splitShellWords } from './units.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;
const DB_VARIABLE_SUFFIXES = ['HOST', 'PORT', 'NAME', 'USER', 'PASSWORD', 'URL'] as const;
/** Variables resolution always defines, whatever the manifest declares. */
export const BUILTIN_VARIABLES = ['WARREN_APP_ID', 'WARREN_PROJECT'] as const;

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateSchema = ajv.compile(manifestSchema);

export function databaseVariablePrefix(ref: string): string {
  return `WARREN_DB_${ref.toUpperCase()}_`;
}

/** The `WARREN_DB_*` (and `DATABASE_URL`) names a manifest with these database needs may use. */
export function databaseVariableNames(refs: string[]): string[] {
  const names = refs.flatMap((ref) => DB_VARIABLE_SUFFIXES.map((s) => databaseVariablePrefix(ref) + s));
  return refs.length ? [...names, 'DATABASE_URL'] : names;
}

const pointer = (...segments: (string | number)[]): string =>
  segments.map((s) => '/' + String(s).replaceAll('~', '~0').replaceAll('/', '~1')).join('');

function invalid(source: string, details: ErrorDetail[]): WarrenError {
  const first = details[0];
  const summary = details.length === 1 && first ? `${first.path || '/'}: ${first.message}` : `${details.length} problems`;
  return new WarrenError('WARREN_ERR_MANIFEST_INVALID', `invalid app manifest ${source}: ${summary}`, {
    details,
    hint: 'fix every listed path; the format is a Compose file with an x-warren block (see catalog/apps for examples)',
  });
}

function parseYaml(text: string, source: string): unknown {
  const tooDeep = nestingProblem(text);
  if (tooDeep) throw invalid(source, [{ path: '', message: `YAML ${tooDeep}` }]);
  const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    throw invalid(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
        return { path: '', message: `YAML syntax error: ${where}${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}` };
      }),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw invalid(source, [{ path: '', message: `YAML could not be read: ${e instanceof Error ? e.message : String(e)}` }]);
  }
}

function valueAt(data: unknown, instancePath: string): unknown {
  let v = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const jsonType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isInteger(v) ? 'integer' : typeof v;

function branchAccepts(branch: Record<string, unknown>, type: string): boolean {
  const declared = branch.type === undefined ? [] : ([] as unknown[]).concat(branch.type);
  if (branch.const !== undefined) return jsonType(branch.const) === type;
  return declared.some((t) => t === type || (t === 'number' && type === 'integer'));
}

const describeBranch = (branch: Record<string, unknown>): string => {
  const t = ([] as unknown[]).concat(branch.type ?? []);
  const names: Record<string, string> = { array: 'a list', object: 'a map', string: 'a string', integer: 'an integer', number: 'a number', null: 'empty', boolean: 'true or false' };
  return t.map((x) => names[String(x)] ?? String(x)).join(' or ');
};

function schemaDetails(errors: ErrorObject[], data: unknown): ErrorDetail[] {
  let kept = errors;
  for (const e of errors.filter((x) => x.keyword === 'oneOf')) {
    const prefix = e.schemaPath + '/';
    const branches = (e.schema as Record<string, unknown>[]) ?? [];
    const type = jsonType(valueAt(data, e.instancePath));
    const matching = branches.map((b, i) => (branchAccepts(b, type) ? i : -1)).filter((i) => i >= 0);
    kept = kept.filter((x) => {
      if (x === e) return matching.length !== 1;
      if (!x.schemaPath.startsWith(prefix)) return true;
      const branch = Number(x.schemaPath.slice(prefix.length).split('/')[0]);
      return matching.length === 1 && branch === matching[0];
    });
  }
  const out: ErrorDetail[] = [];
  for (const e of kept) {
    const p = e.params as Record<string, unknown>;
    let path = e.instancePath;
    let message = e.message ?? e.keyword;
    switch (e.keyword) {
      case 'additionalProperties':
        path += pointer(String(p.additionalProperty));
        message = 'unknown key (not part of the Compose subset Warren deploys, or misspelt)';
        break;
      case 'required':
        path += pointer(String(p.missingProperty));
        message = 'is required';
        break;
      case 'enum':
        message = `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`;
        break;
      case 'oneOf':
        message = `must be ${((e.schema as Record<string, unknown>[]) ?? []).map(describeBranch).join(' or ')}`;
        break;
      case 'propertyNames':
        path += pointer(String(p.propertyName));
        message = 'is not an allowed name';
        break;
      case 'pattern':
        if (e.schemaPath.includes('/propertyNames/')) continue;
        if (path === '/x-warren/id') message = 'app id must be 1-63 lowercase letters, digits or dashes, starting with a letter or digit';
        else message = `must match ${String(p.pattern)}`;
        break;
    }
    if (!out.some((d) => d.path === path && d.message === message)) out.push({ path, message });
  }
  return out;
}

/** Every string value under `node`, with its JSON pointer. */
function* stringsIn(node: unknown, path: string): Generator<[string, string]> {
  if (typeof node === 'string') yield [node, path];
  else if (Array.isArray(node)) for (let i = 0; i < node.length; i++) yield* stringsIn(node[i], `${path}/${i}`);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) if (!k.startsWith('x-')) yield* stringsIn(v, path + pointer(k));
  }
}

function normaliseInputs(raw: NonNullable<ComposeDocument['x-warren']['inputs']>, details: ErrorDetail[]): Record<string, InputSpec> {
  const out: Record<string, InputSpec> = {};
  for (const [name, r] of Object.entries(raw)) {
    const path = pointer('x-warren', 'inputs', name);
    const spec: InputSpec = { ...r, type: r.type, required: r.required ?? false, secret: r.secret ?? false };
    if (spec.pattern !== undefined) {
      try {
        new RegExp(spec.pattern, 'u');
      } catch {
        details.push({ path: `${path}/pattern`, message: 'is not a valid regular expression' });
        delete spec.pattern;
      }
    }
    if (spec.default !== undefined) {
      for (const problem of checkInputValue(spec, spec.default)) details.push({ path: `${path}/default`, message: problem });
    }
    out[name] = spec;
  }
  return out;
}

/** Problems with one input value against its spec (shared with resolution's input validation). */
export function checkInputValue(spec: InputSpec, value: unknown): string[] {
  const problems: string[] = [];
  if (spec.type === 'boolean') {
    if (typeof value !== 'boolean') problems.push('must be true or false');
    return problems;
  }
  if (spec.type === 'number' || spec.type === 'integer') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return ['must be a number'];
    if (spec.type === 'integer' && !Number.isInteger(value)) problems.push('must be a whole number');
    if (spec.minimum !== undefined && value < spec.minimum) problems.push(`must be at least ${spec.minimum}`);
    if (spec.maximum !== undefined && value > spec.maximum) problems.push(`must be at most ${spec.maximum}`);
  } else if (typeof value !== 'string') {
    return ['must be text'];
  } else if (spec.pattern !== undefined) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(spec.pattern, 'u');
    } catch {
      re = undefined;
    }
    if (re && !re.test(value)) problems.push(`does not match the pattern ${spec.pattern}`);
  }
  if (spec.enum && !spec.enum.includes(value as string | number)) problems.push(`must be one of: ${spec.enum.join(', ')}`);
  return problems;
}

function parsePortNeed(v: number | string): PortNeed {
  if (typeof v === 'number') return { port: v, protocol: 'tcp' };
  const [port, protocol] = v.split('/');
  return { port: Number(port), protocol: protocol === 'udp' ? 'udp' : 'tcp' };
}

function semanticChecks(doc: ComposeDocument, manifest: Omit<AppManifest, 'document' | 'source'>, details: ErrorDetail[]): void {
  const services = doc.services;
  const w = doc['x-warren'];
  if (!services[w.main.service]) details.push({ path: '/x-warren/main/service', message: `no service named "${w.main.service}"` });
  if (manifest.sidecars[w.main.service]) details.push({ path: '/x-warren/main/service', message: 'the main service cannot be a database sidecar' });

  const refs = manifest.requires.databases.map((d) => d.ref);
  refs.forEach((ref, i) => {
    if (refs.indexOf(ref) !== i) details.push({ path: `/x-warren/requires/databases/${i}/ref`, message: `duplicate database ref "${ref}"` });
  });
  manifest.requires.databases.forEach((d, i) => {
    if (d.versions !== undefined && semver.validRange(d.versions) === null) {
      details.push({ path: `/x-warren/requires/databases/${i}/versions`, message: 'is not a semver range (e.g. ">=14 <17")' });
    }
  });
  for (const [service, ref] of Object.entries(manifest.sidecars)) {
    if (!refs.includes(ref)) {
      details.push({ path: pointer('services', service, 'x-warren', 'satisfies'), message: `no database need with ref "${ref}" in x-warren.requires.databases` });
    }
  }
  if (w.requires?.memory !== undefined && manifest.requires.memoryBytes === undefined) {
    details.push({ path: '/x-warren/requires/memory', message: 'is not a size (e.g. 512M, 2G)' });
  }
  if (w.requires?.disk !== undefined && manifest.requires.diskBytes === undefined) {
    details.push({ path: '/x-warren/requires/disk', message: 'is not a size (e.g. 512M, 2G)' });
  }
  manifest.requires.ports.forEach((p, i) => {
    if (!(p.port >= 1 && p.port <= 65535)) details.push({ path: `/x-warren/requires/ports/${i}`, message: 'port must be 1-65535' });
  });

  const reserved = new Set<string>([...BUILTIN_VARIABLES, ...databaseVariableNames(refs)]);
  for (const name of Object.keys(manifest.secrets)) {
    if (reserved.has(name) || name.startsWith('WARREN_')) details.push({ path: pointer('x-warren', 'secrets', name), message: 'names a variable Warren sets itself' });
    if (manifest.inputs[name]) details.push({ path: pointer('x-warren', 'secrets', name), message: 'is also declared as an input' });
  }
  for (const name of Object.keys(manifest.inputs)) {
    if (reserved.has(name) || name.startsWith('WARREN_')) details.push({ path: pointer('x-warren', 'inputs', name), message: 'names a variable Warren sets itself' });
  }
  const known = new Set([...reserved, ...Object.keys(manifest.secrets), ...Object.keys(manifest.inputs)]);

  const declaredVolumes = new Set(Object.keys(doc.volumes ?? {}));
  for (const [name, svc] of Object.entries(services)) {
    const base = pointer('services', name);
    const deps = Array.isArray(svc.depends_on) ? (svc.depends_on as string[]) : Object.keys((svc.depends_on as object | undefined) ?? {});
    for (const dep of deps) if (!services[dep]) details.push({ path: `${base}/depends_on`, message: `no service named "${dep}"` });
    ((svc.volumes as unknown[] | undefined) ?? []).forEach((v, i) => {
      const path = `${base}/volumes/${i}`;
      let source: string | undefined;
      let type: string | undefined;
      if (typeof v === 'string') {
        if (v.includes('$')) return;
        const parts = v.split(':');
        if (parts.length < 2) return;
        source = parts[0];
        type = /^[./~]/.test(source!) ? 'bind' : 'volume';
      } else if (v && typeof v === 'object') {
        source = (v as { source?: string }).source;
        type = (v as { type: string }).type;
        if (source?.includes('$')) return;
      }
      if (!source) return;
      if (type === 'bind' && !source.startsWith('/')) {
        details.push({ path, message: `relative bind mount "${source}" has no meaning on another device; use a named volume` });
      } else if (type === 'volume' && !declaredVolumes.has(source)) {
        details.push({ path, message: `volume "${source}" is not declared under the top-level volumes` });
      }
    });
    const shortForms: [string, (v: unknown, path: string) => unknown][] = [
      ['ports', (v, path) => parsePort(v, path)],
      ['volumes', (v, path) => parseVolume(v, path, 'anonymous')],
      ['devices', (v, path) => parseDevice(v, path)],
    ];
    for (const [key, parse] of shortForms) {
      ((svc[key] as unknown[] | undefined) ?? []).forEach((v, i) => {
        if (JSON.stringify(v).includes('$')) return;
        try {
          parse(v, `${base}/${key}/${i}`);
        } catch (e) {
          if (e instanceof WarrenError && e.details) for (const d of e.details) if (!details.some((x) => x.path === d.path)) details.push(d);
        }
      });
    }
    for (const key of ['command', 'entrypoint']) {
      if (typeof svc[key] === 'string' && !(svc[key] as string).includes('$') && splitShellWords(svc[key] as string) === undefined) {
        details.push({ path: `${base}/${key}`, message: 'unbalanced quotes' });
      }
    }
    const resources = (svc.deploy as { resources?: Record<string, Record<string, unknown>> } | undefined)?.resources ?? {};
    for (const kind of ['limits', 'reservations']) {
      const mem = resources[kind]?.memory;
      if ((typeof mem === 'string' || typeof mem === 'number') && !String(mem).includes('$') && parseBytes(mem) === undefined) {
        details.push({ path: `${base}/deploy/resources/${kind}/memory`, message: 'is not a size (e.g. 512M, 2G)' });
      }
    }
    for (const key of ['mem_limit', 'mem_reservation', 'shm_size']) {
      const v = svc[key];
      if ((typeof v === 'string' || typeof v === 'number') && !String(v).includes('$') && parseBytes(v) === undefined) {
        details.push({ path: `${base}/${key}`, message: 'is not a size (e.g. 512M, 2G)' });
      }
    }
    const hc = svc.healthcheck as Record<string, unknown> | undefined;
    for (const key of ['interval', 'timeout', 'start_period', 'start_interval']) {
      const v = hc?.[key];
      if ((typeof v === 'string' || typeof v === 'number') && !String(v).includes('$') && parseDuration(v) === undefined) {
        details.push({ path: `${base}/healthcheck/${key}`, message: 'is not a duration (e.g. 30s, 1m30s)' });
      }
    }
    const sgp = svc.stop_grace_period;
    if ((typeof sgp === 'string' || typeof sgp === 'number') && !String(sgp).includes('$') && parseDuration(sgp) === undefined) {
      details.push({ path: `${base}/stop_grace_period`, message: 'is not a duration (e.g. 30s, 1m30s)' });
    }
  }

  const scopes: [unknown, string][] = [
    [doc.services, '/services'],
    [doc.volumes, '/volumes'],
    [doc.networks, '/networks'],
  ];
  for (const [node, root] of scopes) {
    for (const [text, path] of stringsIn(node, root)) {
      let refsInText;
      try {
        refsInText = referencedVariables(text, path);
      } catch (e) {
        if (e instanceof WarrenError && e.details) details.push(...e.details);
        continue;
      }
      for (const r of refsInText) {
        if (!r.guarded && !known.has(r.name)) {
          details.push({ path, message: `variable ${r.name} is neither an input, a secret nor a database variable of this app` });
        }
      }
    }
  }
}

/**
 * Parses and validates a manifest. `source` names it in messages (a path or URL).
 * Throws WarrenError `WARREN_ERR_MANIFEST_INVALID` whose `details` list every problem.
 */
export function loadManifest(yamlText: string, opts: { source?: string } = {}): AppManifest {
  const source = opts.source ?? '<manifest>';
  if (typeof yamlText !== 'string') throw invalid(source, [{ path: '', message: 'manifest must be text' }]);
  if (Buffer.byteLength(yamlText) > MAX_MANIFEST_BYTES) throw invalid(source, [{ path: '', message: 'manifest is larger than 1 MiB' }]);
  return validateManifestDocument(parseYaml(yamlText, source), source);
}

/** Validates an already-parsed document (importers build documents in memory). */
export function validateManifestDocument(data: unknown, source: string): AppManifest {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalid(source, [{ path: '', message: 'a manifest must be a Compose file: a map with services and x-warren' }]);
  }
  const schemaOk = validateSchema(data);
  const doc = data as ComposeDocument;
  const details: ErrorDetail[] = [];
  let manifest: Omit<AppManifest, 'document' | 'source'> | undefined;
  try {
    manifest = normalise(doc, details);
    semanticChecks(doc, manifest, details);
  } catch (e) {
    // On a document the schema refused, the deeper checks may trip over its shape; the schema's
    // findings stand on their own then.
    if (schemaOk) throw e;
  }
  if (!schemaOk) {
    const schemaProblems = schemaDetails(validateSchema.errors ?? [], data);
    const related = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
    throw invalid(source, [...schemaProblems, ...details.filter((d) => !schemaProblems.some((p) => related(p.path, d.path)))]);
  }
  if (details.length) throw invalid(source, details);
  return { ...manifest!, document: doc, source };
}

function normalise(doc: ComposeDocument, details: ErrorDetail[]): Omit<AppManifest, 'document' | 'source'> {
  const w = doc['x-warren'];

  const databases: DatabaseNeed[] = (w.requires?.databases ?? []).map((d) => ({
    ref: d.ref,
    engine: d.engine,
    ...(d.versions !== undefined ? { versions: d.versions } : {}),
    extensions: d.extensions ?? [],
    dedicated: d.dedicated ?? false,
  }));
  const secrets: Record<string, SecretSpec> = {};
  for (const [name, s] of Object.entries(w.secrets ?? {})) {
    secrets[name] = { length: s.length ?? 32, charset: s.charset ?? 'alphanumeric', ...(s.description ? { description: s.description } : {}) };
  }
  const sidecars: Record<string, string> = {};
  for (const [name, svc] of Object.entries(doc.services)) if (svc['x-warren']) sidecars[name] = svc['x-warren'].satisfies;

  const memoryBytes = w.requires?.memory !== undefined ? parseBytes(w.requires.memory) : undefined;
  const diskBytes = w.requires?.disk !== undefined ? parseBytes(w.requires.disk) : undefined;
  const manifest: Omit<AppManifest, 'document' | 'source'> = {
    id: w.id,
    version: String(w.version),
    revision: w.revision ?? 1,
    title: w.title,
    tagline: w.tagline,
    ...(w.description !== undefined ? { description: w.description } : {}),
    categories: w.categories,
    ...(w.icon !== undefined ? { icon: w.icon } : {}),
    ...(w.website !== undefined ? { website: w.website } : {}),
    main: { service: w.main.service, ...(w.main.port !== undefined ? { port: w.main.port } : {}), path: w.main.path ?? '/' },
    requires: {
      architectures: w.requires?.architectures ?? [],
      ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      ...(diskBytes !== undefined ? { diskBytes } : {}),
      ...(w.requires?.cpus !== undefined ? { cpus: w.requires.cpus } : {}),
      devices: (w.requires?.devices ?? []).map((d) => (typeof d === 'string' ? { path: d, optional: false } : { path: d.path, optional: d.optional ?? false })),
      ports: (w.requires?.ports ?? []).map(parsePortNeed),
      databases,
    },
    secrets,
    inputs: normaliseInputs(w.inputs ?? {}, details),
    sidecars,
  };
  return manifest;
}
