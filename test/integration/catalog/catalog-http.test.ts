// The catalog over real HTTP: remote index sources, a Portainer URL import that fetches stack files,
// the REST routes, and the CLI end to end (offline browsing, import, listing the result).
import { Command } from 'commander';
import express from 'express';
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { errorMiddleware } from '../../../core/api/http.js';
import { Catalog } from '../../../core/catalog/catalog.js';
import { importCatalog } from '../../../core/catalog/importers/index.js';
import { catalogRoutes } from '../../../core/catalog/routes.js';
import { register } from '../../../core/cli/commands/catalog.js';
import { createCliContext } from '../../../core/cli/context.js';

const fixtures = fileURLToPath(new URL('../../fixtures/catalog/', import.meta.url));
const curatedDir = fileURLToPath(new URL('../../../catalog', import.meta.url));

const remoteApp = stringify({
  services: { web: { image: 'traefik/whoami:v1.10', ports: ['8001:80'] } },
  'x-warren': { id: 'remote-whoami', version: '1.10', title: 'Whoami', tagline: 'Echoes requests', categories: ['Developer'], main: { service: 'web', port: 80 } },
});
const files: Record<string, string> = {
  '/index.json': JSON.stringify({ apps: [{ id: 'remote-whoami', compose: 'apps/whoami.yaml' }, { id: 'bad', compose: 'apps/bad.yaml' }, { id: 'gone', compose: 'apps/gone.yaml' }, { id: 'nocompose' }] }),
  '/apps/whoami.yaml': remoteApp,
  '/apps/bad.yaml': 'services: {web: {image: x}}\nx-warren: {id: "../bad"}\n',
  '/templates.json': readFileSync(join(fixtures, 'portainer/templates-v2.json'), 'utf8'),
  '/raw/portainer/templates/HEAD/stacks/wordpress/docker-compose.yml': readFileSync(join(fixtures, 'portainer/wordpress-stack.yml'), 'utf8'),
};

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const fileServer = createServer((req, res) => {
  const body = files[req.url ?? ''];
  res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' });
  res.end(body ?? 'not found');
});
const base = await listen(fileServer);
t.teardown(() => new Promise<void>((resolve) => fileServer.close(() => resolve())));
/** GitHub raw URLs are answered by the local server: the test machine has no internet. */
const localFetch: typeof fetch = (input, init) => fetch(String(input).replace('https://raw.githubusercontent.com', `${base}/raw`), init);

t.test('HTTP(S) sources: a native index and a foreign catalog URL', async (t) => {
  const catalog = new Catalog({
    sources: [
      { id: 'remote', kind: 'http', url: `${base}/index.json` },
      { id: 'portainer', kind: 'http', url: `${base}/templates.json` },
      { id: 'down', kind: 'http', url: `${base}/missing.json` },
      { id: 'notweb', kind: 'http', url: 'file:///etc/passwd' },
    ],
  });
  const { problems } = await catalog.refresh();
  t.equal(catalog.get('remote-whoami').location, `${base}/apps/whoami.yaml`);
  t.ok(catalog.get('nginx'), 'a Portainer template URL is imported as a source');
  t.ok(problems.find((p) => p.location.endsWith('bad.yaml'))?.details?.some((d) => d.path === '/x-warren/id'), 'a bad remote manifest is a problem with its path');
  t.match(problems.find((p) => p.location.endsWith('gone.yaml')), { message: /HTTP 404/ });
  t.match(problems.find((p) => p.location.endsWith('#/apps/3')), { details: [{ path: '/apps/3/compose' }] });
  t.match(problems.find((p) => p.source === 'down'), { message: /HTTP 404/ });
  t.match(problems.find((p) => p.source === 'notweb'), { message: /only http\(s\)/ });
  t.ok(problems.some((p) => p.source === 'portainer' && /Windows/.test(p.message)), 'foreign apps that fail are problems too');
});

t.test('import from a URL fetches Portainer stack files', async (t) => {
  const r = await importCatalog(`${base}/templates.json`, { fetch: localFetch });
  const wp = r.manifests.find((m) => m.id === 'wordpress');
  t.ok(wp, 'the stack template was imported from its fetched Compose file');
  t.same(wp!.sidecars, { db: 'main' });
  await t.rejects(importCatalog(`${base}/nothing.json`), { code: 'WARREN_ERR_NOT_FOUND' });
});

t.test('REST routes', async (t) => {
  const catalog = new Catalog({ sources: [{ id: 'curated', kind: 'folder', path: curatedDir }] });
  await catalog.refresh();
  const app = express();
  const api = express.Router();
  catalogRoutes(api, catalog);
  api.use(errorMiddleware(() => {}));
  app.use('/api', api);
  const server = createServer(app);
  const url = await listen(server);
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const get = async (path: string) => {
    const res = await fetch(`${url}/api${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const all = await get('/catalog/apps');
  t.equal(all.status, 200);
  t.ok(all.body.apps.length >= 31);
  t.same((await get('/catalog/apps?q=vault')).body.apps.map((a: { id: string }) => a.id), ['vaultwarden']);
  t.ok((await get('/catalog/apps?category=Media')).body.apps.every((a: { categories: string[] }) => a.categories.includes('Media')));
  const immich = await get('/catalog/apps/immich');
  t.equal(immich.status, 200);
  t.same(immich.body.app.requirements.databases[0], { ref: 'main', engine: 'postgres', versions: '>=14 <17', extensions: ['vectors'], dedicated: true });
  t.same(immich.body.app.secrets, ['DB_PASSWORD'], 'secret names only, never values');
  t.equal(immich.body.app.services.database.sidecarFor, 'main');
  t.match(await get('/catalog/apps/nope'), { status: 404, body: { error: { code: 'WARREN_ERR_NOT_FOUND' } } });
  t.match(await get('/catalog/apps/Bad;Id'), { status: 400, body: { error: { code: 'WARREN_ERR_INVALID_INPUT' } } });
  t.match(await get('/catalog/apps?q=a&q=b'), { status: 400, body: { error: { details: [{ path: '/query/q' }] } } });
  t.match(await get('/catalog/apps/gitea/icon'), { status: 404 });
  t.ok((await get('/catalog/categories')).body.categories.some((c: { name: string }) => c.name === 'Media'));
  const refreshed = await fetch(`${url}/api/catalog/refresh`, { method: 'POST' });
  t.match(await refreshed.json(), { apps: all.body.apps.length, problems: [] });
});

async function runCli(dataDir: string, ...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  let code = 0;
  const program = new Command('warren').option('--json').option('--data-dir <dir>').exitOverride();
  const cli = createCliContext(() => ({ ...program.opts(), dataDir }), {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    exit: (c) => {
      code = c;
      throw new Error('exit');
    },
  });
  register(program, cli);
  try {
    await program.parseAsync(['node', 'warren', ...args]);
  } catch (e) {
    if ((e as Error).message !== 'exit') throw e;
  }
  return { out, err, code };
}

t.test('CLI: offline browsing, import with a report, imported apps listed', async (t) => {
  const dataDir = t.testdir({});
  const list = await runCli(dataDir, '--json', 'catalog', 'list');
  t.equal(list.code, 0, list.err);
  const apps = JSON.parse(list.out) as { id: string }[];
  t.ok(apps.length >= 31 && apps.some((a) => a.id === 'immich'));
  const search = await runCli(dataDir, 'catalog', 'search', 'home', 'automation');
  t.match(search.out, /home-assistant/);
  const show = await runCli(dataDir, 'catalog', 'show', 'jellyfin');
  t.match(show.out, /\/dev\/dri \(optional\)/);
  const missing = await runCli(dataDir, 'catalog', 'show', '../../etc');
  t.equal(missing.code, 1);
  t.match(missing.err, /not an app id/);

  const imported = await runCli(dataDir, '--json', 'catalog', 'import', fixtures);
  t.equal(imported.code, 0, imported.err);
  const result = JSON.parse(imported.out) as { out: string; written: { app: string; file: string }[]; reports: { app: string; unmapped: unknown[]; error?: unknown }[] };
  t.equal(result.out, join(dataDir, 'catalog', 'imported'));
  t.equal(result.written.length, 12);
  t.ok(result.reports.find((r) => r.app === 'jellyfin')!.unmapped.length > 0);
  const after = await runCli(dataDir, '--json', 'catalog', 'list');
  t.equal(after.code, 0, 'imported apps validate; ids already curated are shadowed, not errors');
  const ids = (JSON.parse(after.out) as { id: string; source: string }[]).filter((a) => a.source === 'imported').map((a) => a.id);
  t.ok(ids.includes('joplin') && ids.includes('gitea-with-postgresql'), ids.join(','));
  const human = await runCli(dataDir, 'catalog', 'import', join(fixtures, 'portainer/templates-v2.json'), '--dry-run');
  t.match(human.out, /FAILED iis \(portainer\) - Windows/);
  t.match(human.out, /not mapped \/templates\/2\/interactive/);
  const nothing = await runCli(dataDir, 'catalog', 'import', join(fixtures, 'casaos/category-list.json'));
  t.equal(nothing.code, 1);

  const good = await runCli(dataDir, 'catalog', 'validate', join(curatedDir, 'apps/gitea/compose.yaml'), join(dataDir, 'catalog/imported/joplin/compose.yaml'));
  t.equal(good.code, 0, good.err);
  t.match(good.out, /ok {6}.*gitea/);
  const dir = t.testdir({
    'bad-id.yaml': 'services:\n  web:\n    image: x\nx-warren:\n  id: "a;b"\n',
    'bad-values.yaml': stringify({ services: { web: { image: 'x', ports: ['99999:80'], environment: { A: '${TYPO}' } } }, 'x-warren': { id: 'ok', version: '1', title: 'T', tagline: 't', categories: ['C'], main: { service: 'web' } } }),
  });
  const bad = await runCli(dataDir, 'catalog', 'validate', join(dir, 'bad-id.yaml'), join(dir, 'bad-values.yaml'));
  t.equal(bad.code, 1);
  t.match(bad.err, /2 of 2 manifests invalid/);
  t.match(bad.out, /\/x-warren\/id: app id must be/);
  t.match(bad.out, /\/services\/web\/ports\/0: "99999" is not a port/);
  t.match(bad.out, /\/services\/web\/environment\/A: variable TYPO/);
});
