import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { importCasaOs } from '../../../../core/catalog/importers/casaos.js';
import { databaseImage, slugify } from '../../../../core/catalog/importers/common.js';
import { importCoolify } from '../../../../core/catalog/importers/coolify.js';
import { detectFormat, importCatalog, importFromText } from '../../../../core/catalog/importers/index.js';
import { importPortainer, stackFileUrl } from '../../../../core/catalog/importers/portainer.js';
import { loadManifest } from '../../../../core/catalog/loader.js';
import { generateSecrets, resolveStack, validateInputs } from '../../../../core/catalog/resolve.js';
import type { AppManifest } from '../../../../core/catalog/types.js';

const fixtures = fileURLToPath(new URL('../../../fixtures/catalog/', import.meta.url));
const read = (p: string) => readFileSync(fixtures + p, 'utf8');
const { parse } = await import('yaml');

/** An imported manifest must survive being written and read back, and resolve with its defaults. */
function roundTrip(t: Test, m: AppManifest): void {
  const again = loadManifest(stringify(m.document), { source: 'round-trip' });
  t.same(again.document, m.document, `${m.id} round-trips through YAML`);
  const inputs = Object.fromEntries(Object.entries(m.inputs).filter(([, s]) => s.required && s.default === undefined).map(([n]) => [n, 'x']));
  const stack = resolveStack(m, { inputs, secrets: generateSecrets(m) });
  t.ok(stack.services[m.main.service], `${m.id} resolves`);
}

t.test('database images are recognised with engine, version and extensions', async (t) => {
  t.same(databaseImage('postgres:16-alpine'), { engine: 'postgres', extensions: [], dedicated: false, versions: '>=16' });
  t.same(databaseImage('docker.io/library/mariadb:10.11'), { engine: 'mariadb', extensions: [], dedicated: false, versions: '>=10.11' });
  t.same(databaseImage('mysql:8.0'), { engine: 'mariadb', extensions: [], dedicated: false, versions: '>=8.0' });
  t.same(databaseImage('pgvector/pgvector:pg16'), { engine: 'postgres', extensions: ['vector'], dedicated: false, versions: '>=16' });
  t.same(databaseImage('docker.io/tensorchord/pgvecto-rs:pg14-v0.2.0@sha256:abc'), { engine: 'postgres', extensions: ['vectors'], dedicated: true, versions: '>=14' });
  t.same(databaseImage('bitnami/postgresql:latest'), { engine: 'postgres', extensions: [], dedicated: false });
  t.equal(databaseImage('redis:7'), undefined);
  t.equal(databaseImage('ghcr.io/example/postgres-exporter:1'), undefined);
  t.equal(slugify('Joplin Server (Beta)!'), 'joplin-server-beta');
  t.equal(slugify('../../etc;rm'), 'etc-rm');
  t.equal(slugify('日本'), 'app');
});

t.test('CasaOS: metadata, AppData binds to volumes, CasaOS variables, report', async (t) => {
  const jelly = importCasaOs(parse(read('casaos/Apps/Jellyfin/docker-compose.yml')), { source: 'jellyfin.yml' });
  const m = jelly.manifests[0]!;
  t.equal(m.id, 'jellyfin');
  t.equal(m.title, 'Jellyfin');
  t.equal(m.tagline, 'Free media system that puts you in control.');
  t.same(m.categories, ['Media']);
  t.same(m.main, { service: 'jellyfin', port: 8096, path: '/' }, 'port_map 8097 is the published side of 8096');
  t.same(m.requires.architectures, ['amd64', 'arm64']);
  t.same(m.requires.devices, [{ path: '/dev/dri', optional: false }]);
  t.same(Object.keys(m.inputs).sort(), ['PGID', 'PUID', 'TZ']);
  t.same(m.document.services.jellyfin!.volumes, ['config:/config', { type: 'bind', source: '/DATA/Media', target: '/Media' }]);
  t.notOk('container_name' in m.document.services.jellyfin!);
  const report = jelly.reports[0]!;
  t.same(report.unmapped.map((u) => u.path), ['/services/jellyfin/cpu_shares'], 'a container name equal to the service name is simply dropped');
  t.ok(report.changed.some((c) => c.path === '/services/jellyfin/volumes/0' && /named volume "config"/.test(c.reason)));
  roundTrip(t, m);
});

t.test('CasaOS: a bundled Postgres becomes a sidecar and the app reads WARREN_DB_* variables', async (t) => {
  const r = importCasaOs(parse(read('casaos/Apps/Joplin/docker-compose.yml')), { source: 'joplin.yml' });
  const m = r.manifests[0]!;
  t.same(m.sidecars, { db: 'main' });
  t.same(m.requires.databases, [{ ref: 'main', engine: 'postgres', versions: '>=15', extensions: [], dedicated: false }]);
  t.same(m.requires.architectures, ['amd64', 'arm64', 'arm/v7']);
  t.equal(m.main.path, '/login');
  const env = m.document.services.joplin!.environment as Record<string, string>;
  t.same(
    { host: env.POSTGRES_HOST, port: env.POSTGRES_PORT, user: env.POSTGRES_USER, password: env.POSTGRES_PASSWORD, db: env.POSTGRES_DATABASE },
    { host: '${WARREN_DB_MAIN_HOST}', port: '${WARREN_DB_MAIN_PORT}', user: '${WARREN_DB_MAIN_USER}', password: '${WARREN_DB_MAIN_PASSWORD}', db: '${WARREN_DB_MAIN_NAME}' },
  );
  t.equal((m.document.services.db!.environment as Record<string, string>).POSTGRES_PASSWORD, '${MAIN_DB_PASSWORD}', 'the published password is replaced by a generated secret');
  t.ok(r.reports[0]!.unmapped.some((u) => u.path === '/services/db/logging'));
  const secrets = generateSecrets(m);
  const bundled = resolveStack(m, { inputs: {}, secrets });
  t.equal((bundled.services.joplin!.environment ?? {}).POSTGRES_PASSWORD, secrets.MAIN_DB_PASSWORD);
  t.equal((bundled.services.joplin!.environment ?? {}).POSTGRES_HOST, 'db');
  const pooled = resolveStack(m, { secrets, databases: { main: { engine: 'postgres', host: 'pg', port: 5432, database: 'j', user: 'j', password: 'pw', url: 'postgres://j:pw@pg:5432/j' } } });
  t.notOk(pooled.services.db);
  t.same(pooled.services.joplin!.dependsOn, undefined);
  roundTrip(t, m);
});

t.test('Portainer v2: container templates, inputs from env, stacks and Windows reported', async (t) => {
  const r = importPortainer(JSON.parse(read('portainer/templates-v2.json')), { source: 'v2.json' });
  t.same(r.manifests.map((m) => m.id), ['nginx', 'mysql', 'heimdall']);
  t.same(r.reports.map((x) => [x.app, Boolean(x.error)]), [['nginx', false], ['mysql', false], ['heimdall', false], ['wordpress', true], ['iis', true]]);
  const nginx = r.manifests[0]!;
  t.same(nginx.document.services.nginx!.ports, ['80:80/tcp', '443:443/tcp']);
  t.equal(nginx.main.port, 80);
  t.same(nginx.document.volumes, { etc_nginx: null, usr_share_nginx_html: null });
  const mysql = r.manifests[1]!;
  t.same(mysql.document.services.mysql!.environment, { MYSQL_ROOT_PASSWORD: '${MYSQL_ROOT_PASSWORD}', MYSQL_DATABASE: '${MYSQL_DATABASE}', TZ: 'Etc/UTC' });
  t.equal(mysql.inputs.MYSQL_DATABASE!.default, 'app');
  t.same(mysql.sidecars, {}, 'a database that is the app itself is not a sidecar');
  const heimdall = r.manifests[2]!;
  t.equal(heimdall.document.services.heimdall!.image, 'lscr.io/linuxserver/heimdall:latest');
  t.same(heimdall.inputs.MODE, { type: 'string', title: 'Mode', enum: ['light', 'dark'], default: 'light', required: false, secret: false });
  t.same(heimdall.document.services.heimdall!.volumes, ['heimdall:/config', '/mnt/share:/srv/share:ro']);
  t.same(heimdall.document.services.heimdall!.labels, { 'com.example.app': 'heimdall' });
  t.same(r.reports[2]!.unmapped.map((u) => u.path), ['/templates/2/env/3', '/templates/2/network', '/templates/2/interactive']);
  t.match(r.reports[3]!.error!.message, /stacks\/wordpress\/docker-compose.yml/);
  t.match(r.reports[4]!.error!.message, /Windows/);
  t.throws(() => validateInputs(heimdall, { MODE: 'neon' }), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/inputs/MODE' }] });
  for (const m of r.manifests) roundTrip(t, m);
});

t.test('Portainer: a stack template with its fetched Compose file', async (t) => {
  const data = JSON.parse(read('portainer/templates-v2.json'));
  t.equal(stackFileUrl(data.templates[3]), 'https://raw.githubusercontent.com/portainer/templates/HEAD/stacks/wordpress/docker-compose.yml');
  const r = importPortainer(data, { source: 'v2.json', stackFiles: new Map([[3, read('portainer/wordpress-stack.yml')]]) });
  const wp = r.manifests.find((m) => m.id === 'wordpress')!;
  t.same(wp.sidecars, { db: 'main' });
  t.same(wp.requires.databases, [{ ref: 'main', engine: 'mariadb', versions: '>=5.7', extensions: [], dedicated: false }]);
  t.equal((wp.document.services.wordpress!.environment as Record<string, string>).WORDPRESS_DB_HOST, '${WARREN_DB_MAIN_HOST}:${WARREN_DB_MAIN_PORT}');
  t.equal(wp.inputs.MYSQL_DATABASE_PASSWORD!.title, 'Database root password');
  const report = r.reports.find((x) => x.app === 'wordpress')!;
  t.ok(report.unmapped.some((u) => u.path === '/services/wordpress/deploy/replicas'));
  roundTrip(t, wp);
});

t.test('Portainer v3', async (t) => {
  const r = importPortainer(JSON.parse(read('portainer/templates-v3.json')), { source: 'v3.json' });
  t.same(r.manifests.map((m) => m.id), ['uptime-kuma']);
  t.equal(r.manifests[0]!.main.port, 3001);
  t.equal(r.manifests[0]!.icon, 'https://raw.githubusercontent.com/louislam/uptime-kuma/master/public/icon.svg');
  t.match(r.reports[1]!.error!.message, /docker-stack.yml/);
});

t.test('Coolify: header metadata, magic variables as secrets and inputs, sidecar, published port', async (t) => {
  const r = importCoolify(read('coolify/templates/compose/gitea-with-postgresql.yaml'), { source: 'gitea.yaml', name: 'gitea-with-postgresql' });
  const m = r.manifests[0]!;
  t.equal(m.id, 'gitea-with-postgresql');
  t.match(m.tagline, /^Gitea is a self-hosted/);
  t.equal(m.website, 'https://docs.gitea.com');
  t.equal(m.icon, 'https://raw.githubusercontent.com/coollabsio/coolify/main/public/svgs/gitea.svg');
  t.same(m.categories, ['Version control', 'Collaboration', 'Code']);
  t.same(m.main, { service: 'gitea', port: 3000, path: '/' });
  t.same(m.secrets, { SERVICE_USER_POSTGRESQL: { length: 16, charset: 'alpha' }, SERVICE_PASSWORD_POSTGRESQL: { length: 32, charset: 'alphanumeric' } });
  t.equal(m.inputs.SERVICE_FQDN_GITEA!.default, 'http://localhost:3000');
  const env = m.document.services.gitea!.environment as string[];
  t.notOk(env.some((e) => e.startsWith('SERVICE_FQDN_GITEA_3000')), 'the bare declaration is gone');
  t.ok(env.includes('GITEA__database__HOST=${WARREN_DB_MAIN_HOST}'));
  t.ok(env.includes('GITEA__database__PASSWD=${WARREN_DB_MAIN_PASSWORD}'));
  t.same(m.document.services.gitea!.ports, ['22222:22', '3000:3000']);
  t.same(m.sidecars, { postgresql: 'main' });
  const secrets = generateSecrets(m);
  const stack = resolveStack(m, { secrets });
  t.ok(stack.services.gitea!.environment!.GITEA__database__PASSWD === secrets.SERVICE_PASSWORD_POSTGRESQL);
  t.equal(stack.services.postgresql!.healthcheck!.test[1], 'pg_isready -U ${POSTGRES_USER} -d ${POSTGRES_DB}', '$$ stays a literal dollar for the container shell');
  roundTrip(t, m);
});

t.test('Coolify: file contents and proxy-only flags are reported', async (t) => {
  const r = importCoolify(read('coolify/templates/compose/n8n-with-postgresql.yaml'), { source: 'n8n.yaml', name: 'n8n-with-postgresql' });
  const m = r.manifests[0]!;
  t.same(m.categories, ['automation']);
  t.same(m.secrets.SERVICE_BASE64_64_N8N, { length: 64, charset: 'alphanumeric' });
  t.ok(r.reports[0]!.unmapped.some((u) => u.path === '/services/n8n/volumes/1/content'));
  t.ok(r.reports[0]!.changed.some((c) => c.path === '/services/n8n/exclude_from_hc'));
  roundTrip(t, m);
});

t.test('format detection and folder import', async (t) => {
  t.equal(detectFormat(read('portainer/templates-v2.json')), 'portainer');
  t.equal(detectFormat(read('casaos/Apps/Jellyfin/docker-compose.yml')), 'casaos');
  t.equal(detectFormat(read('coolify/templates/compose/uptime-kuma.yaml')), 'coolify');
  t.equal(detectFormat(read('portainer/wordpress-stack.yml')), 'compose');
  t.equal(detectFormat(read('casaos/category-list.json')), undefined);
  t.equal(detectFormat(readFileSync(new URL('../../../../catalog/apps/gitea/compose.yaml', import.meta.url), 'utf8')), 'native');
  t.equal(detectFormat('key: [unclosed'), undefined);
  const all = await importCatalog(fixtures);
  const ids = all.manifests.map((m) => m.id).sort();
  t.same(ids, ['gitea-with-postgresql', 'gitea-with-postgresql-2', 'heimdall', 'jellyfin', 'joplin', 'mysql', 'n8n-with-postgresql', 'nginx', 'uptime-kuma', 'uptime-kuma-2', 'uptime-kuma-3', 'wordpress-stack']);
  t.equal(new Set(ids).size, ids.length, 'ids are unique after import');
  t.ok(all.reports.some((r) => r.app === 'uptime-kuma-2' && r.changed.some((c) => /renamed/.test(c.reason))));
  t.equal(all.reports.filter((r) => r.error).length, 4);
  const unknown = importFromText('just: text', { source: 'x.yaml' });
  t.match(unknown.reports[0]!.error!.message, /not a catalog format/);
  await t.rejects(importCatalog(fixtures + 'does-not-exist'), { code: 'WARREN_ERR_NOT_FOUND' });
});

t.test('an import never throws on hostile input; it reports', async (t) => {
  const nasty = [
    '{"version":"2","templates":[null, 1, {"type":1,"title":"x","image":"nginx","ports":[{"a":1}],"volumes":["str"],"env":[null,{"name":"OK"}]}]}',
    '[{"title":"old v1","image":"nginx:1"}]',
    'x-casaos: {title: 5}\nservices: {a: {image: nginx, volumes: [{type: bind, source: "/DATA/AppData/$AppID/x", target: /x}]}}',
    'x-casaos: {}\nservices: {a: {}}',
    '# slogan: s\nservices:\n  a:\n    image: x\n    environment: [SERVICE_FQDN_A_notaport, "SERVICE_PASSWORD_A=${SERVICE_PASSWORD_A"]\n',
    'services: {a: {image: nginx, build: ., volumes: ["./x:/x", "~/y:/y"]}, b: {image: postgres, hostname: pg}}',
  ];
  for (const text of nasty) {
    const r = importFromText(text, { source: 'nasty' });
    t.ok(r.reports.length >= 1, text.slice(0, 40));
    for (const m of r.manifests) roundTrip(t, m);
  }
});

t.test('Coolify: the one-file service-templates.json with base64 Compose files', async (t) => {
  const r = importFromText(read('coolify/templates/service-templates.json'), { source: 'service-templates.json' });
  t.same(r.manifests.map((m) => m.id), ['gitea-with-postgresql', 'uptime-kuma']);
  const gitea = r.manifests[0]!;
  t.equal(gitea.source, 'service-templates.json#/gitea-with-postgresql');
  t.same(gitea.main, { service: 'gitea', port: 3000, path: '/' });
  t.same(gitea.sidecars, { postgresql: 'main' });
  t.same(gitea.categories, ['Version control', 'Collaboration']);
  t.match(r.reports[2], { app: 'broken', error: { message: /not valid YAML/ } });
});

t.test('generic Compose: container names become aliases, bad values are dropped and reported', async (t) => {
  const text = [
    'services:',
    '  app:',
    '    image: nginx:1.27',
    '    container_name: my-app',
    '    restart: unless_stopped',
    '    ports: ["80 : 80", "8080:80", "99999:1"]',
    '    volumes: [{type: volume, source: appdata, target: /data}]',
    '    environment: {DB_HOST: my-db, DB_PASSWORD: secretpw}',
    '    healthcheck: {test: "true", interval: often, retries: 3}',
    '  db:',
    '    image: mariadb:11',
    '    container_name: my-db',
    '    environment: {MARIADB_PASSWORD: secretpw, MARIADB_USER: u, MARIADB_DATABASE: d}',
  ].join('\n');
  const r = importFromText(text, { source: 'shop/docker-compose.yml' });
  const m = r.manifests[0]!;
  t.equal(m.id, 'shop');
  t.equal(m.main.port, 80, 'the web port is the first published TCP port');
  t.same(m.document.services.app!.ports, ['8080:80']);
  t.same(m.document.services.app!.healthcheck, { test: 'true', retries: 3 }, 'only the bad value is dropped');
  t.same(m.document.volumes, { appdata: null });
  t.same(m.document.services.app!.networks, { default: { aliases: ['my-app'] } });
  t.same(m.document.services.app!.environment, { DB_HOST: '${WARREN_DB_MAIN_HOST}', DB_PASSWORD: '${WARREN_DB_MAIN_PASSWORD}' }, 'the container name of the database is recognised');
  t.same(m.sidecars, { db: 'main' });
  t.same(r.reports[0]!.unmapped.map((u) => u.path).sort(), ['/services/app/healthcheck/interval', '/services/app/ports/0', '/services/app/ports/2', '/services/app/restart']);
  roundTrip(t, m);
  const stack = resolveStack(m, { secrets: generateSecrets(m) });
  t.same(stack.services.app!.aliases, ['my-app']);
});

t.test('a database the app reaches by a built-in default host stays a plain service, untouched', async (t) => {
  const text = [
    '# slogan: Photos',
    '# port: 2283',
    'services:',
    '  server:',
    '    image: ghcr.io/immich-app/immich-server:release',
    '    environment:',
    '      - SERVICE_FQDN_SERVER_2283',
    '      - DB_PASSWORD=$SERVICE_PASSWORD_POSTGRES',
    '      - DB_USERNAME=$SERVICE_USER_POSTGRES',
    '    healthcheck:',
    '      disable: false',
    '  database:',
    '    image: docker.io/tensorchord/pgvecto-rs:pg14-v0.2.0',
    '    environment:',
    '      POSTGRES_PASSWORD: ${SERVICE_PASSWORD_POSTGRES}',
    '      POSTGRES_USER: ${SERVICE_USER_POSTGRES}',
  ].join('\n');
  const r = importCoolify(text, { source: 'photos.yaml', name: 'photos' });
  const m = r.manifests[0]!;
  t.same(m.sidecars, {});
  t.same(m.requires.databases, []);
  t.same(m.document.services.server!.environment, ['DB_PASSWORD=$SERVICE_PASSWORD_POSTGRES', 'DB_USERNAME=$SERVICE_USER_POSTGRES'], 'nothing rewritten');
  t.ok(r.reports[0]!.changed.some((c) => c.path === '/services/database' && /does not name its database host/.test(c.reason)));
  const stack = resolveStack(m, { secrets: generateSecrets(m) });
  t.equal(stack.services.server!.healthcheck, undefined, 'timing without a test keeps the image healthcheck');
  t.ok(stack.services.database);
});
