// The app catalog: curated apps from catalog/apps plus configured sources (folders, HTTP(S) indexes),
// searchable by text and category. A broken app is recorded as a problem and the rest still load.
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WarrenError, describeError, type ErrorDetail } from '../errors.js';
import { parseGitLocation, syncGit } from './git.js';
import { importFromDirectory, importFromText } from './importers/index.js';
import { loadManifest } from './loader.js';
import { APP_ID_PATTERN, type AppManifest } from './types.js';

/**
 * A folder holds native apps (`<dir>/apps/<id>/compose.yaml` or `<dir>/<id>/compose.yaml`) or a foreign
 * catalog the importers understand. An HTTP(S) URL serves a native index (`{"apps":[{"id","compose",
 * "icon"?}]}`, paths relative to the index) or a foreign catalog (e.g. Portainer templates JSON).
 * A git store (`https://…/x.git`, `git@host:x.git`, `file:///…/x.git`, optionally `#branch`) is cloned
 * shallowly into `path` and fetched on every refresh; it then loads like a folder.
 */
export type CatalogSource =
  | { id: string; kind: 'folder'; path: string }
  | { id: string; kind: 'http'; url: string }
  | { id: string; kind: 'git'; url: string; path: string };

export interface CatalogEntry {
  manifest: AppManifest;
  /** Id of the source the app came from. */
  source: string;
  /** File path or URL of the manifest. */
  location: string;
  /** Absolute path of a local icon file (`icon.svg` or `icon.png` beside the manifest). */
  iconFile?: string;
  readme?: string;
}

export interface CatalogProblem {
  /**
   * `invalid`: the app could not be loaded; `shadowed`: an earlier source already has its id;
   * `fetch`: a git source could not be fetched (its last good copy, if any, is still used).
   */
  kind: 'invalid' | 'shadowed' | 'fetch';
  source: string;
  location: string;
  message: string;
  hint?: string;
  details?: ErrorDetail[];
}

export interface AppSummary {
  id: string;
  title: string;
  tagline: string;
  categories: string[];
  version: string;
  revision: number;
  icon?: string;
  source: string;
  databases: string[];
}

export interface CatalogQuery {
  q?: string;
  category?: string;
}

const MAX_INDEX_BYTES = 8 * 1024 * 1024;

/** The curated catalog shipped with Warren, found from this module whether run from source or bundled. */
export function defaultCatalogDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'catalog', 'apps'))) return join(dir, 'catalog');
    dir = dirname(dir);
  }
  return resolve('catalog');
}

export function summarise(entry: CatalogEntry): AppSummary {
  const m = entry.manifest;
  return {
    id: m.id,
    title: m.title,
    tagline: m.tagline,
    categories: m.categories,
    version: m.version,
    revision: m.revision,
    ...(m.icon ? { icon: m.icon } : {}),
    source: entry.source,
    databases: m.requires.databases.map((d) => d.engine),
  };
}

function score(m: AppManifest, tokens: string[]): number {
  let total = 0;
  const title = m.title.toLowerCase();
  const tagline = m.tagline.toLowerCase();
  const categories = m.categories.map((c) => c.toLowerCase());
  for (const t of tokens) {
    let s = 0;
    if (m.id === t || title === t) s = 100;
    else if (m.id.startsWith(t) || title.startsWith(t)) s = 60;
    else if (m.id.includes(t) || title.includes(t)) s = 40;
    else if (categories.includes(t)) s = 30;
    else if (categories.some((c) => c.includes(t))) s = 20;
    else if (tagline.includes(t)) s = 10;
    if (s === 0) return 0;
    total += s;
  }
  return total;
}

export class Catalog {
  private readonly sources: CatalogSource[];
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private entries = new Map<string, CatalogEntry>();
  private loadProblems: CatalogProblem[] = [];
  private refreshing?: Promise<{ apps: number; problems: CatalogProblem[] }>;

  constructor(opts: { sources?: CatalogSource[]; fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.sources = opts.sources ?? [{ id: 'curated', kind: 'folder', path: defaultCatalogDir() }];
    this.fetchImpl = opts.fetch ?? fetch;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  /**
   * Reloads every source; the first source to offer an id wins, later duplicates are problems.
   * A refresh asked for while one runs waits for it and then runs once more (git checkouts are not shared).
   */
  async refresh(signal?: AbortSignal): Promise<{ apps: number; problems: CatalogProblem[] }> {
    const previous = this.refreshing;
    const run = (async () => {
      if (previous) await previous.catch(() => undefined);
      return this.refreshNow(signal);
    })();
    this.refreshing = run;
    try {
      return await run;
    } finally {
      if (this.refreshing === run) this.refreshing = undefined;
    }
  }

  private async refreshNow(signal?: AbortSignal): Promise<{ apps: number; problems: CatalogProblem[] }> {
    const entries = new Map<string, CatalogEntry>();
    const problems: CatalogProblem[] = [];
    for (const source of this.sources) {
      let loaded: CatalogEntry[];
      try {
        if (source.kind === 'folder') loaded = await this.loadFolder(source, problems);
        else if (source.kind === 'git') loaded = await this.loadGit(source, problems, signal);
        else loaded = await this.loadHttp(source, problems, signal);
      } catch (e) {
        const d = describeError(e);
        problems.push({ kind: 'invalid', source: source.id, location: source.kind === 'folder' ? source.path : source.url, message: d.message, ...(d.hint ? { hint: d.hint } : {}), ...(d.details ? { details: d.details } : {}) });
        continue;
      }
      for (const entry of loaded) {
        const existing = entries.get(entry.manifest.id);
        if (existing) {
          problems.push({ kind: 'shadowed', source: source.id, location: entry.location, message: `app id "${entry.manifest.id}" is already provided by source "${existing.source}"` });
        } else entries.set(entry.manifest.id, entry);
      }
    }
    this.entries = entries;
    this.loadProblems = problems;
    return { apps: entries.size, problems };
  }

  list(query: CatalogQuery = {}): AppSummary[] {
    const tokens = (query.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const category = query.category?.toLowerCase();
    const hits: { entry: CatalogEntry; score: number }[] = [];
    for (const entry of this.entries.values()) {
      if (category && !entry.manifest.categories.some((c) => c.toLowerCase() === category)) continue;
      const s = tokens.length ? score(entry.manifest, tokens) : 1;
      if (s > 0) hits.push({ entry, score: s });
    }
    hits.sort((a, b) => b.score - a.score || a.entry.manifest.title.localeCompare(b.entry.manifest.title));
    return hits.map((h) => summarise(h.entry));
  }

  /** Throws WARREN_ERR_INVALID_INPUT for an id that cannot be an app id, WARREN_ERR_NOT_FOUND for an unknown one. */
  get(id: string): CatalogEntry {
    if (typeof id !== 'string' || !APP_ID_PATTERN.test(id)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `"${String(id).slice(0, 80)}" is not an app id`, {
        details: [{ path: '/id', message: 'app ids are 1-63 lowercase letters, digits and dashes' }],
      });
    }
    const entry = this.entries.get(id);
    if (!entry) {
      throw new WarrenError('WARREN_ERR_NOT_FOUND', `no app "${id}" in the catalog`, { hint: 'list the apps with `warren catalog list` or refresh the catalog sources' });
    }
    return entry;
  }

  categories(): { name: string; count: number }[] {
    const counts = new Map<string, number>();
    for (const e of this.entries.values()) for (const c of e.manifest.categories) counts.set(c, (counts.get(c) ?? 0) + 1);
    return [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => a.name.localeCompare(b.name));
  }

  problems(): CatalogProblem[] {
    return this.loadProblems;
  }

  private async loadFolder(source: Extract<CatalogSource, { kind: 'folder' }>, problems: CatalogProblem[]): Promise<CatalogEntry[]> {
    const root = resolve(source.path);
    const appsDir = existsSync(join(root, 'apps')) ? join(root, 'apps') : root;
    const names = (await readdir(appsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    const native = names.filter((n) => existsSync(join(appsDir, n, 'compose.yaml')));
    if (native.length === 0) {
      const result = await importFromDirectory(root);
      for (const r of result.reports) if (r.error) problems.push({ kind: 'invalid', source: source.id, location: r.source, message: r.error.message, ...(r.error.details ? { details: r.error.details } : {}) });
      return result.manifests.map((manifest) => ({ manifest, source: source.id, location: manifest.source }));
    }
    const out: CatalogEntry[] = [];
    for (const name of native) {
      const dir = join(appsDir, name);
      const location = join(dir, 'compose.yaml');
      try {
        const manifest = loadManifest(await readFile(location, 'utf8'), { source: location });
        if (manifest.id !== name) throw new WarrenError('WARREN_ERR_MANIFEST_INVALID', `folder "${name}" holds app "${manifest.id}"`, { details: [{ path: '/x-warren/id', message: `must equal the folder name "${name}"` }] });
        const entry: CatalogEntry = { manifest, source: source.id, location };
        for (const icon of ['icon.svg', 'icon.png']) {
          if (existsSync(join(dir, icon)) && (await stat(join(dir, icon))).isFile()) {
            entry.iconFile = join(dir, icon);
            break;
          }
        }
        if (existsSync(join(dir, 'README.md'))) entry.readme = await readFile(join(dir, 'README.md'), 'utf8');
        out.push(entry);
      } catch (e) {
        const d = describeError(e);
        problems.push({ kind: 'invalid', source: source.id, location, message: d.message, ...(d.details ? { details: d.details } : {}) });
      }
    }
    return out;
  }

  /** Fetches the store, then loads its checkout as a folder; a failed fetch falls back to the last good copy. */
  private async loadGit(source: Extract<CatalogSource, { kind: 'git' }>, problems: CatalogProblem[], signal?: AbortSignal): Promise<CatalogEntry[]> {
    const loc = parseGitLocation(source.url);
    try {
      await syncGit(loc, source.path, { timeoutMs: Math.max(this.timeoutMs, 60_000), ...(signal ? { signal } : {}) });
    } catch (e) {
      const d = describeError(e);
      const kept = existsSync(join(source.path, '.git'));
      problems.push({
        kind: 'fetch',
        source: source.id,
        location: source.url,
        message: kept ? `${d.message} (the last fetched copy is still used)` : `${d.message} (nothing fetched yet, so the source offers no apps)`,
        ...(d.hint ? { hint: d.hint } : {}),
        ...(d.details ? { details: d.details } : {}),
      });
      if (!kept) return [];
    }
    return this.loadFolder({ id: source.id, kind: 'folder', path: source.path }, problems);
  }

  private async fetchText(url: string, signal?: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const res = await this.fetchImpl(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    if (!res.ok) throw new WarrenError('WARREN_ERR_NOT_FOUND', `${url} answered HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_INDEX_BYTES) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${url} is larger than 8 MiB`);
    return text;
  }

  private async loadHttp(source: Extract<CatalogSource, { kind: 'http' }>, problems: CatalogProblem[], signal?: AbortSignal): Promise<CatalogEntry[]> {
    if (!/^https?:\/\//.test(source.url)) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `catalog source ${source.id}: only http(s) URLs can be fetched`);
    const text = await this.fetchText(source.url, signal);
    let index: unknown;
    try {
      index = JSON.parse(text);
    } catch {
      index = undefined;
    }
    const apps = (index as { apps?: unknown } | undefined)?.apps;
    if (!Array.isArray(apps)) {
      const result = importFromText(text, { source: source.url });
      for (const r of result.reports) if (r.error) problems.push({ kind: 'invalid', source: source.id, location: r.source, message: r.error.message, ...(r.error.details ? { details: r.error.details } : {}) });
      return result.manifests.map((manifest) => ({ manifest, source: source.id, location: manifest.source }));
    }
    const out: CatalogEntry[] = [];
    for (const [i, item] of apps.entries()) {
      const compose = (item as { compose?: unknown })?.compose;
      const location = typeof compose === 'string' ? new URL(compose, source.url).href : `${source.url}#/apps/${i}`;
      try {
        if (typeof compose !== 'string') throw new WarrenError('WARREN_ERR_MANIFEST_INVALID', 'index entry has no "compose" URL', { details: [{ path: `/apps/${i}/compose`, message: 'is required' }] });
        const manifest = loadManifest(await this.fetchText(location, signal), { source: location });
        out.push({ manifest, source: source.id, location });
      } catch (e) {
        const d = describeError(e);
        problems.push({ kind: 'invalid', source: source.id, location, message: d.message, ...(d.details ? { details: d.details } : {}) });
      }
    }
    return out;
  }
}
