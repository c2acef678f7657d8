// The catalog feature: `hub.services.catalog`, loaded on start from the curated apps, the apps
// imported into the data directory and the sources in WARREN_CATALOG_SOURCES, and refreshed on a timer
// while any source is remote.
import type { Router } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WarrenError } from '../errors.js';
import type { Hub, HubExtension } from '../hub.js';
import { Catalog, defaultCatalogDir, type CatalogSource } from './catalog.js';
import { gitCheckoutDir, isGitLocation, parseGitLocation } from './git.js';
import { catalogRoutes } from './routes.js';

export { Catalog, defaultCatalogDir, summarise, type AppSummary, type CatalogEntry, type CatalogProblem, type CatalogSource } from './catalog.js';
export { loadManifest, validateManifestDocument } from './loader.js';
export { resolveStack, requirementsOf, validateInputs, generateSecrets, inputsJsonSchema, type AppRequirements, type ResolveOptions } from './resolve.js';
export { importCatalog } from './importers/index.js';
export type { AppManifest } from './types.js';

const DEFAULT_REFRESH_MINUTES = 60;

/**
 * Curated apps first (their ids win), then imported ones, then each extra folder, http(s) URL or git store
 * in order. Git stores are checked out under `<dataDir>/catalog/git/`; a bad git URL throws with its reason.
 */
export function catalogSources(dataDir: string, extra: string[] = []): CatalogSource[] {
  const out: CatalogSource[] = [{ id: 'curated', kind: 'folder', path: defaultCatalogDir() }];
  const imported = join(dataDir, 'catalog', 'imported');
  if (existsSync(imported)) out.push({ id: 'imported', kind: 'folder', path: imported });
  extra.forEach((location, i) => {
    if (isGitLocation(location)) {
      const loc = parseGitLocation(location);
      out.push({ id: `source-${i + 1}`, kind: 'git', url: location, path: gitCheckoutDir(join(dataDir, 'catalog', 'git'), loc) });
      return;
    }
    out.push(/^https?:\/\//i.test(location) ? { id: `source-${i + 1}`, kind: 'http', url: location } : { id: `source-${i + 1}`, kind: 'folder', path: resolve(location) });
  });
  return out;
}

/** WARREN_CATALOG_SOURCES: a JSON array of folders, http(s) URLs and git stores, or one per line. */
export function sourcesFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env.WARREN_CATALOG_SOURCES?.trim();
  if (!raw) return [];
  if (raw.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(raw);
    } catch (e) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `WARREN_CATALOG_SOURCES is not valid JSON: ${(e as Error).message}`, { details: [{ path: '/env/WARREN_CATALOG_SOURCES', message: 'must be a JSON array of strings' }] });
    }
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'WARREN_CATALOG_SOURCES must be an array of folders and URLs', { details: [{ path: '/env/WARREN_CATALOG_SOURCES', message: 'must be a JSON array of strings' }] });
    }
    return list;
  }
  return raw.split('\n').map((s) => s.trim()).filter(Boolean);
}

export class CatalogFeature implements HubExtension {
  readonly name = 'catalog';
  private timer?: NodeJS.Timeout;

  constructor(private readonly opts: { sources?: CatalogSource[]; refreshMinutes?: number } = {}) {}

  async start(hub: Hub): Promise<void> {
    const sources = this.opts.sources ?? catalogSources(hub.config.dataDir, sourcesFromEnv());
    const catalog = new Catalog({ sources });
    const refresh = async () => {
      const { apps, problems } = await catalog.refresh();
      for (const p of problems) hub.logger.warn({ source: p.source, location: p.location, details: p.details, hint: p.hint }, `catalog: ${p.message}`);
      hub.logger.info({ apps, problems: problems.length }, 'catalog loaded');
    };
    await refresh();
    hub.services.catalog = catalog;
    const minutes = this.opts.refreshMinutes ?? Number(process.env.WARREN_CATALOG_REFRESH_MINUTES ?? DEFAULT_REFRESH_MINUTES);
    if (sources.some((s) => s.kind !== 'folder') && minutes > 0) {
      this.timer = setInterval(() => void refresh().catch((e) => hub.logger.warn({ err: e }, 'catalog refresh failed')), minutes * 60_000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The REST routes as a hub route module (see core/catalog/routes.ts for the paths). */
export function catalogRouteModule(r: Router, hub: Hub): void {
  const catalog = (): Catalog => {
    const c = hub.services.catalog;
    if (!(c instanceof Catalog)) throw new WarrenError('WARREN_ERR_NOT_READY', 'the catalog is still loading', { hint: 'try again in a moment' });
    return c;
  };
  catalogRoutes(r, {
    list: (q) => catalog().list(q),
    get: (id) => catalog().get(id),
    categories: () => catalog().categories(),
    problems: () => catalog().problems(),
    refresh: (signal) => catalog().refresh(signal),
  });
}
