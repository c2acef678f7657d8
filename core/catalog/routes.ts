// REST browsing of the catalog, mounted under /api by the hub:
//   GET  /catalog/apps?q=&category=   summaries, best match first
//   GET  /catalog/apps/:id             one app: manifest facts, requirements, input form schema
//   GET  /catalog/apps/:id/icon        the icon file shipped beside the manifest
//   GET  /catalog/categories           names and counts
//   GET  /catalog/problems             apps that failed to load, and why
//   POST /catalog/refresh              reload every source
import type { Router } from 'express';
import { WarrenError } from '../errors.js';
import { summarise, type Catalog } from './catalog.js';
import { inputsJsonSchema, requirementsOf } from './resolve.js';

function queryString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 200) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `query parameter "${name}" must be one short string`, { details: [{ path: `/query/${name}`, message: 'must be a string of at most 200 characters' }] });
  }
  return value;
}

/** What the routes need of a catalog: the Catalog itself, or a lookup of the hub's. */
export type CatalogReader = Pick<Catalog, 'list' | 'get' | 'categories' | 'problems' | 'refresh'>;

export function catalogRoutes(r: Router, catalog: CatalogReader): void {
  r.get('/catalog/apps', async (req, res) => {
    const q = queryString(req.query.q, 'q');
    const category = queryString(req.query.category, 'category');
    res.json({ apps: catalog.list({ ...(q ? { q } : {}), ...(category ? { category } : {}) }) });
  });

  r.get('/catalog/apps/:id', async (req, res) => {
    const entry = catalog.get(String(req.params.id));
    const m = entry.manifest;
    res.json({
      app: {
        ...summarise(entry),
        ...(m.description ? { description: m.description } : {}),
        ...(m.website ? { website: m.website } : {}),
        main: m.main,
        requirements: requirementsOf(m),
        inputs: inputsJsonSchema(m),
        secrets: Object.keys(m.secrets),
        services: Object.fromEntries(Object.entries(m.document.services).map(([name, s]) => [name, { image: s.image, ...(m.sidecars[name] ? { sidecarFor: m.sidecars[name] } : {}) }])),
        hasIcon: entry.iconFile !== undefined,
        ...(entry.readme ? { readme: entry.readme } : {}),
      },
    });
  });

  r.get('/catalog/apps/:id/icon', async (req, res) => {
    const entry = catalog.get(String(req.params.id));
    if (!entry.iconFile) throw new WarrenError('WARREN_ERR_NOT_FOUND', `${entry.manifest.id} ships no icon file`, { hint: 'the manifest\'s icon field may name a URL instead' });
    res.sendFile(entry.iconFile);
  });

  r.get('/catalog/categories', async (_req, res) => {
    res.json({ categories: catalog.categories() });
  });

  r.get('/catalog/problems', async (_req, res) => {
    res.json({ problems: catalog.problems() });
  });

  r.post('/catalog/refresh', async (_req, res) => {
    res.json(await catalog.refresh());
  });
}
