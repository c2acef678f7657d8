// Imports a foreign catalog from a folder, a file or a URL, detecting each file's format:
// Portainer templates (JSON), CasaOS apps (`x-casaos`), Coolify templates (header comments, magic
// variables), native Warren manifests (`x-warren`) and, failing those, a plain Compose file.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { WarrenError, describeError } from '../../errors.js';
import { loadManifest } from '../loader.js';
import { nestingProblem } from '../yaml-guard.js';
import { importCasaOs, isCasaOsDocument } from './casaos.js';
import { emptyReport, finishImport, slugify, type ImportFormat, type ImportReport, type ImportResult } from './common.js';
import { importCoolify, importCoolifyServiceTemplates, isCoolifyServiceTemplates, looksLikeCoolify } from './coolify.js';
import { importPortainer, portainerTemplates, stackFileUrl } from './portainer.js';

export type { ImportReport, ImportResult } from './common.js';

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 20_000;
const COMPOSE_NAMES = new Set(['docker-compose.yml', 'docker-compose.yaml', 'compose.yml', 'compose.yaml']);

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Which importer a text needs, or undefined when it is no catalog format Warren knows. */
export function detectFormat(text: string): ImportFormat | undefined {
  if (nestingProblem(text)) return undefined;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const json = JSON.parse(trimmed) as unknown;
      if (portainerTemplates(json)) return 'portainer';
      if (isCoolifyServiceTemplates(json)) return 'coolify';
    } catch {
      // Not JSON after all: YAML flow style, handled below.
    }
  }
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  if (!isObject(data)) return undefined;
  if ('x-warren' in data) return 'native';
  if (isCasaOsDocument(data)) return 'casaos';
  if (portainerTemplates(data)) return 'portainer';
  if (!isObject(data.services)) return undefined;
  return looksLikeCoolify(text) ? 'coolify' : 'compose';
}

function nameFor(source: string): string {
  const clean = source.split('#')[0]!.split('?')[0]!.replace(/\/+$/, '');
  const file = basename(clean);
  const stem = file.replace(/\.(ya?ml|json)$/i, '');
  return COMPOSE_NAMES.has(file.toLowerCase()) ? basename(dirname(clean)) : stem;
}

/** Imports one text. `stackFiles` feeds Portainer stack templates whose Compose files were fetched. */
export function importFromText(text: string, opts: { source: string; name?: string; stackFiles?: Map<number, string> }): ImportResult {
  const name = opts.name ?? nameFor(opts.source);
  const format = detectFormat(text);
  switch (format) {
    case 'portainer': {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        data = parseDocument(text).toJS({ maxAliasCount: 100 });
      }
      return importPortainer(data, { source: opts.source, ...(opts.stackFiles ? { stackFiles: opts.stackFiles } : {}) });
    }
    case 'casaos':
      return importCasaOs(parseDocument(text, { merge: true }).toJS({ maxAliasCount: 100 }), { source: opts.source, name });
    case 'coolify': {
      const trimmed = text.trimStart();
      if (trimmed.startsWith('{')) {
        try {
          const json = JSON.parse(trimmed) as unknown;
          if (isCoolifyServiceTemplates(json)) return importCoolifyServiceTemplates(json, { source: opts.source });
        } catch {
          // A YAML template that happens to start with a flow map.
        }
      }
      return importCoolify(text, { source: opts.source, name });
    }
    case 'native': {
      const report = emptyReport(slugify(name), opts.source, 'native');
      try {
        const manifest = loadManifest(text, { source: opts.source });
        report.app = manifest.id;
        return { manifests: [manifest], reports: [report] };
      } catch (e) {
        const d = describeError(e);
        report.error = { message: d.message, ...(d.details ? { details: d.details } : {}) };
        return { manifests: [], reports: [report] };
      }
    }
    case 'compose': {
      const id = slugify(name);
      const report = emptyReport(id, opts.source, 'compose');
      const doc = parseDocument(text, { merge: true }).toJS({ maxAliasCount: 100 });
      const manifest = finishImport(doc, { id, title: name }, report);
      return { manifests: manifest ? [manifest] : [], reports: [report] };
    }
    default: {
      const report = emptyReport(slugify(name), opts.source, 'compose');
      report.error = { message: 'not a catalog format Warren can import (Portainer templates, CasaOS, Coolify, Compose or a Warren manifest)' };
      return { manifests: [], reports: [report] };
    }
  }
}

async function* catalogFiles(root: string): AsyncGenerator<string> {
  let seen = 0;
  const walk = async function* (dir: string, depth: number): AsyncGenerator<string> {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (++seen > MAX_FILES) return;
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory() && depth < 6) yield* walk(p, depth + 1);
      else if (e.isFile() && /\.(ya?ml|json)$/i.test(e.name)) yield p;
    }
  };
  yield* walk(root, 0);
}

/** Every importable file under `dir`; files in no known format are skipped without a report. */
export async function importFromDirectory(dir: string, opts: { fetch?: typeof fetch; signal?: AbortSignal } = {}): Promise<ImportResult> {
  const result: ImportResult = { manifests: [], reports: [] };
  for await (const file of catalogFiles(dir)) {
    if ((await stat(file)).size > MAX_FILE_BYTES) continue;
    const text = await readFile(file, 'utf8');
    if (!detectFormat(text)) continue;
    const source = relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file) || file;
    const part = await importText(text, source, opts);
    result.manifests.push(...part.manifests);
    result.reports.push(...part.reports);
  }
  dedupeIds(result);
  return result;
}

async function importText(text: string, source: string, opts: { fetch?: typeof fetch; signal?: AbortSignal }): Promise<ImportResult> {
  if (detectFormat(text) !== 'portainer' || !opts.fetch) return importFromText(text, { source });
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return importFromText(text, { source });
  }
  const stackFiles = new Map<number, string>();
  for (const [i, t] of (portainerTemplates(data) ?? []).entries()) {
    const url = stackFileUrl(t);
    if (!url) continue;
    try {
      stackFiles.set(i, await fetchText(url, opts.fetch, opts.signal));
    } catch {
      // Reported by the importer as a stack file that was not fetched.
    }
  }
  return importFromText(text, { source, stackFiles });
}

async function fetchText(url: string, fetchImpl: typeof fetch, signal?: AbortSignal): Promise<string> {
  const timeout = AbortSignal.timeout(20_000);
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (e) {
    throw new WarrenError('WARREN_ERR_NOT_FOUND', `could not fetch ${url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!res.ok) throw new WarrenError('WARREN_ERR_NOT_FOUND', `${url} answered HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_FILE_BYTES) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${url} is larger than 4 MiB`);
  return text;
}

/** Two foreign apps with the same name get distinct ids rather than overwriting each other. */
function dedupeIds(result: ImportResult): void {
  const seen = new Set<string>();
  for (const m of result.manifests) {
    if (!seen.has(m.id)) {
      seen.add(m.id);
      continue;
    }
    let n = 2;
    while (seen.has(`${m.id.slice(0, 58)}-${n}`)) n++;
    const id = `${m.id.slice(0, 58)}-${n}`;
    const report = result.reports.find((r: ImportReport) => r.app === m.id && r.source === m.source);
    if (report) {
      report.changed.push({ path: '/x-warren/id', reason: `id "${m.id}" was taken by another imported app; renamed "${id}"` });
      report.app = id;
    }
    m.id = id;
    m.document['x-warren'].id = id;
    seen.add(id);
  }
}

/** `warren catalog import <dir|file|url>`: the format of each file is detected. */
export async function importCatalog(target: string, opts: { fetch?: typeof fetch; signal?: AbortSignal } = {}): Promise<ImportResult> {
  if (/^https?:\/\//i.test(target)) {
    const fetchImpl = opts.fetch ?? fetch;
    const text = await fetchText(target, fetchImpl, opts.signal);
    const result = await importText(text, target, { ...opts, fetch: fetchImpl });
    dedupeIds(result);
    return result;
  }
  const info = await stat(target).catch(() => undefined);
  if (!info) throw new WarrenError('WARREN_ERR_NOT_FOUND', `${target} does not exist`, { hint: 'give a folder, a file or an http(s) URL' });
  if (info.isDirectory()) return importFromDirectory(target, opts);
  if (info.size > MAX_FILE_BYTES) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${target} is larger than 4 MiB`);
  const result = await importText(await readFile(target, 'utf8'), target, opts);
  dedupeIds(result);
  return result;
}
