// The importers against catalog files written by others (test/fixtures/catalog-real, see its README for
// where each comes from): CasaOS app-store apps, Coolify compose templates, Portainer 1.x and v2 template
// lists. Every file imports without a crash, every template gets a report, every manifest produced loads
// again as a native manifest, and the details that went wrong before are pinned.
import t from 'tap';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { importCatalog, type ImportReport } from '../../../../core/catalog/importers/index.js';
import { loadManifest } from '../../../../core/catalog/loader.js';
import type { AppManifest } from '../../../../core/catalog/types.js';

const dir = fileURLToPath(new URL('../../../fixtures/catalog-real/', import.meta.url));

t.test('a real third-party catalog imports with a report for every app', async (t) => {
  const result = await importCatalog(dir);
  const byApp = new Map<string, { report: ImportReport; manifest?: AppManifest }>();
  for (const r of result.reports) byApp.set(r.app, { report: r, manifest: result.manifests.find((m) => m.id === r.app) });
  t.equal(result.reports.length, 4 + 4 + 11 + 4, 'one report per app or template');
  t.equal(result.manifests.length, result.reports.filter((r) => !r.error).length, 'a manifest for every report without an error');
  for (const m of result.manifests) {
    const again = loadManifest(stringify(m.document), { source: `${m.id} again` });
    t.equal(again.id, m.id, `${m.id} loads again as a native manifest`);
    t.ok(Object.keys(m.document.services).includes(m.main.service), `${m.id}: its main service exists`);
  }
  for (const r of result.reports) {
    for (const e of [...r.changed, ...r.unmapped]) t.match(e, { path: /^\//, reason: /\S/ }, `${r.app}: every report entry has a path and a reason`);
  }

  // CasaOS: Dify names "web" as main, but its page is nginx's published 3701.
  const dify = byApp.get('dify')!;
  t.match(dify.manifest?.main, { service: 'nginx', port: 80 });
  t.ok(dify.report.changed.some((c) => c.path === '/x-casaos/main' && /"nginx" does/.test(c.reason)), 'and the report says so');
  t.same(dify.manifest?.requires.databases.map((d) => d.engine), ['postgres'], 'its bundled Postgres is a sidecar');
  const api = dify.manifest!.document.services.api!.environment as Record<string, string>;
  t.equal(api.DB_PASSWORD, '${WARREN_DB_MAIN_PASSWORD}');
  t.equal(api.REDIS_PASSWORD, 'difyai123456', 'Redis keeps its own password even though it equals the database one');
  t.notOk(dify.report.changed.some((c) => c.path.endsWith('/REDIS_PASSWORD')));

  // A host folder two services mount stays one volume: Dify's api and worker share their storage, and
  // the nginx config its config service writes is the one nginx reads; authentik's server and worker share media.
  const difySvc = dify.manifest!.document.services;
  const volOf = (svc: unknown, target: string) => (((svc as { volumes?: unknown[] } | undefined)?.volumes) ?? []).map(String).find((v) => v.endsWith(`:${target}`))?.split(':')[0];
  t.equal(volOf(difySvc.api, '/app/api/storage'), 'storage');
  t.equal(volOf(difySvc.worker, '/app/api/storage'), 'storage', 'api and worker share one volume');
  t.equal(volOf(difySvc.config, '/configs/nginx'), volOf(difySvc.nginx, '/etc/nginx'), 'config writes what nginx reads');
  t.same(dify.manifest!.document.networks, { ssrf_proxy_network: { internal: true }, dify: {} }, 'its networks are its own: no fixed name');
  t.ok(dify.report.changed.some((c) => c.path === '/networks/dify/name'));
  const authSvc = byApp.get('authentik')!.manifest!.document.services;
  t.equal(volOf(authSvc['authentik-server'], '/media'), volOf(authSvc['authentik-worker'], '/media'));

  const frigate = byApp.get('frigate')!.manifest!;
  t.same(frigate.requires.devices.map((d) => d.path), ['/dev/bus/usb', '/dev/dri/renderD128'], 'devices become requirements');
  t.ok('WEBUI_PORT' in frigate.inputs, '${WEBUI_PORT:-5000} becomes an input');
  t.ok(byApp.get('emby-nvidia')!.report.unmapped.some((c) => c.path === '/services/emby/deploy/resources/reservations/devices' && /GPU/.test(c.reason)), 'a GPU reservation is reported as not mapped');
  t.equal(byApp.get('adguard-home')!.manifest!.version, 'v0.107.41');

  // Coolify: the tag behind ${AUTHENTIK_TAG:-2024.2.2} is the version; magic variables become secrets.
  const authentik = byApp.get('authentik')!.manifest!;
  t.equal(authentik.version, '2024.2.2');
  t.ok('SERVICE_PASSWORD_64_AUTHENTIKSERVER' in authentik.secrets);
  t.same(authentik.requires.databases.map((d) => d.engine), ['postgres']);
  t.same(byApp.get('bookstack')!.manifest!.requires.databases.map((d) => d.engine), ['mariadb']);
  // Cal.com names its database host as ${DATABASE_HOST:-postgresql}: the default is the service.
  const calcom = byApp.get('calcom')!.manifest!;
  t.same(calcom.requires.databases.map((d) => d.engine), ['postgres']);
  const calEnv = calcom.document.services.calcom!.environment as string[];
  t.ok(calEnv.includes('DATABASE_HOST=${WARREN_DB_MAIN_HOST}'), 'its host variable follows the pool');
  t.ok(calEnv.includes('DATABASE_URL=postgresql://${WARREN_DB_MAIN_USER}:${WARREN_DB_MAIN_PASSWORD}@${WARREN_DB_MAIN_HOST}:${WARREN_DB_MAIN_PORT}/${WARREN_DB_MAIN_NAME}'), 'and so does its URL');

  // Portainer 1.x: types spelled out, volumes as strings, stacks reported, Windows refused.
  t.ok(byApp.get('registry')!.report.changed.some((c) => c.path === '/templates/0/volumes/0' && /Portainer 1\.x/.test(c.reason)), 'a string volume is read, and said so');
  t.match(byApp.get('registry')!.manifest!.document.services.registry, { image: 'registry:latest', volumes: [/:\/var\/lib\/registry$/] });
  t.match(byApp.get('gitlab-ce')!.manifest!.document.services['gitlab-ce'], { volumes: [/:\/etc\/gitlab$/, /:\/var\/log\/gitlab$/, /:\/var\/opt\/gitlab$/] });
  t.match(byApp.get('sql-server')!.report.error, { message: /Windows/ });
  t.match(byApp.get('openfaas')!.report.error, { message: /github\.com\/openfaas\/faas.*not fetched/ });
  t.match(byApp.get('ironfunctions-api')!.manifest!.document.services['ironfunctions-api'], { privileged: true });
  t.same(Object.keys(byApp.get('nextcloud')!.manifest!.inputs).sort(), ['DB_HOST', 'DB_NAME', 'DB_PASSWORD', 'DB_TYPE', 'DB_USER']);

  // Portainer v2 (LinuxServer templates): one without categories, defaults like "<URL_BASE>".
  t.same(byApp.get('adguardhome-sync')!.manifest!.categories, ['Other'], 'no categories: filed under Other');
  t.match(byApp.get('airsonic')!.manifest!.document.services.airsonic, { ports: ['4040:4040/tcp'], volumes: ['/volume1/docker/airsonic/config:/config', '/volume1/docker/airsonic/music:/music', '/volume1/docker/airsonic/playlists:/playlists', '/volume1/docker/airsonic/podcasts:/podcasts', '/volume1/docker/airsonic/media:/media'] });
});

t.test('each real file also imports on its own, and twice the same', async (t) => {
  for (const file of ['casaos/Apps/Dify/docker-compose.yml', 'coolify/templates/compose/calcom.yaml', 'portainer/templates-v1.json', 'portainer/lsio-templates-2.0.json']) {
    const a = await importCatalog(join(dir, file));
    const b = await importCatalog(join(dir, file));
    t.ok(a.reports.length > 0, file);
    t.same(a.reports, b.reports, `${file}: the same report twice`);
    t.same(a.manifests.map((m) => m.document), b.manifests.map((m) => m.document));
  }
});
