import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Hub } from '../../../../core/hub.js';
import { Catalog, CatalogFeature, catalogRouteModule, catalogSources, sourcesFromEnv } from '../../../../core/catalog/index.js';

function fakeHub(dataDir: string) {
  const warnings: string[] = [];
  const hub = {
    config: { dataDir },
    services: {} as Record<string, unknown>,
    logger: { warn: (_o: unknown, m: string) => void warnings.push(m), info: () => {}, debug: () => {}, error: () => {} },
  };
  return { hub: hub as unknown as Hub, warnings };
}

t.test('sources: curated first, then imported apps in the data directory, then configured ones', async (t) => {
  const dataDir = t.testdir({ catalog: { imported: {} } });
  const sources = catalogSources(dataDir, ['/srv/apps', 'https://example.org/index.json']);
  t.same(sources.map((s) => s.id), ['curated', 'imported', 'source-1', 'source-2']);
  t.match(sources[3], { kind: 'http', url: 'https://example.org/index.json' });
  t.same(catalogSources(t.testdir({})).map((s) => s.id), ['curated'], 'no imported folder, no source');
  t.same(sourcesFromEnv({ WARREN_CATALOG_SOURCES: '["/a", "https://b"]' }), ['/a', 'https://b']);
  t.same(sourcesFromEnv({ WARREN_CATALOG_SOURCES: '/a\n  https://b \n' }), ['/a', 'https://b']);
  t.same(sourcesFromEnv({}), []);
  t.throws(() => sourcesFromEnv({ WARREN_CATALOG_SOURCES: '[1, 2]' }), { code: 'WARREN_ERR_INVALID_INPUT' });
  t.throws(() => sourcesFromEnv({ WARREN_CATALOG_SOURCES: '[oops' }), { code: 'WARREN_ERR_INVALID_INPUT' });
});

t.test('the feature loads the catalog on start, logs problems and serves it', async (t) => {
  const dataDir = t.testdir({});
  const broken = join(dataDir, 'catalog', 'imported', 'broken');
  mkdirSync(broken, { recursive: true });
  writeFileSync(join(broken, 'compose.yaml'), stringify({ services: { web: { image: 'x' } }, 'x-warren': { id: 'broken' } }));
  const { hub, warnings } = fakeHub(dataDir);
  const routes: Record<string, (req: unknown, res: unknown) => Promise<void>> = {};
  const router = { get: (p: string, h: never) => void (routes[`GET ${p}`] = h), post: (p: string, h: never) => void (routes[`POST ${p}`] = h) };
  catalogRouteModule(router as never, hub);
  await t.rejects(routes['GET /catalog/apps']!({ query: {} }, {}), { code: 'WARREN_ERR_NOT_READY' }, 'before start the routes answer "not ready"');

  const feature = new CatalogFeature();
  await feature.start(hub);
  t.teardown(() => feature.stop());
  t.ok(hub.services.catalog instanceof Catalog);
  t.ok(warnings.some((w) => /catalog: invalid app manifest/.test(w)), warnings.join('\n'));
  let body: { apps: { id: string }[] } | undefined;
  await routes['GET /catalog/apps']!({ query: { q: 'nextcloud' } }, { json: (b: typeof body) => void (body = b) });
  t.same(body!.apps.map((a) => a.id), ['nextcloud']);
});
