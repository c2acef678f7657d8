import t from 'tap';
import { stringify } from 'yaml';
import { WarrenError } from '../../../../core/errors.js';
import { loadManifest } from '../../../../core/catalog/loader.js';
import {
  canonicalImage,
  generateSecrets,
  inputsJsonSchema,
  requirementsOf,
  resolveStack,
  rewriteImage,
  validateInputs,
  type PooledDatabase,
} from '../../../../core/catalog/resolve.js';

const app = loadManifest(
  stringify({
    services: {
      web: {
        image: 'ghcr.io/example/notes:2.1',
        command: 'serve --port 3000 --name "${SITE_NAME}"',
        ports: ['3000:3000', '127.0.0.1:9090:9090/udp'],
        environment: ['DB_HOST=${WARREN_DB_MAIN_HOST}', 'DB_URL=${DATABASE_URL}', 'SECRET=${APP_SECRET}', 'WORKERS=${WORKERS}', 'DEBUG=${DEBUG}', 'LITERAL=$$HOME', 'PROJECT=${WARREN_PROJECT}'],
        volumes: ['data:/data', '/cache', '/srv/share:/share:ro'],
        depends_on: { db: { condition: 'service_healthy' }, redis: { condition: 'service_started' } },
        healthcheck: { test: 'wget -qO- http://127.0.0.1:3000/health', interval: '1m30s', timeout: '5s', retries: 3 },
        deploy: { resources: { limits: { memory: '512M', cpus: '1.5' }, reservations: { memory: '256M' } } },
        devices: ['/dev/dri:/dev/dri'],
        restart: 'on-failure:3',
        labels: ['tier=web'],
        extra_hosts: ['host.docker.internal=host-gateway'],
        stop_grace_period: '1m',
      },
      redis: { image: 'redis:7-alpine', deploy: { resources: { limits: { memory: '64M' } } } },
      db: {
        image: 'postgres:16-alpine',
        environment: { POSTGRES_USER: 'notes', POSTGRES_PASSWORD: '${DB_PASSWORD}', POSTGRES_DB: 'notes' },
        volumes: ['pgdata:/var/lib/postgresql/data'],
        ports: ['5432:5432'],
        deploy: { resources: { reservations: { memory: '128M' } } },
        'x-warren': { role: 'database-sidecar', satisfies: 'main' },
      },
    },
    volumes: { data: null, pgdata: null },
    'x-warren': {
      id: 'notes',
      version: '2.1',
      title: 'Notes',
      tagline: 'Notes app',
      categories: ['Productivity'],
      main: { service: 'web', port: 3000 },
      requires: {
        architectures: ['amd64', 'arm64'],
        disk: '1G',
        devices: [{ path: '/dev/dri', optional: true }],
        databases: [{ ref: 'main', engine: 'postgres', versions: '>=14' }],
      },
      secrets: { APP_SECRET: { length: 40, charset: 'hex' }, DB_PASSWORD: {} },
      inputs: {
        SITE_NAME: { type: 'string', title: 'Site name', required: true, pattern: '^[A-Za-z ]{3,30}$' },
        WORKERS: { type: 'integer', default: 2, minimum: 1, maximum: 16 },
        DEBUG: { type: 'boolean', default: false },
        THEME: { type: 'string', enum: ['light', 'dark'], default: 'light' },
      },
    },
  }),
  { source: 'notes' },
);

const pool: PooledDatabase = {
  engine: 'postgres',
  host: 'warren-pg',
  port: 5433,
  database: 'app_notes',
  user: 'app_notes',
  password: 'p@ss/word',
  url: 'postgres://app_notes:p%40ss%2Fword@warren-pg:5433/app_notes',
  network: 'warren-pool-pg',
};

t.test('validateInputs: defaults, coercion, and every problem with its path', async (t) => {
  t.same(validateInputs(app, { SITE_NAME: 'My notes', WORKERS: '4', DEBUG: 'true' }), { SITE_NAME: 'My notes', WORKERS: 4, DEBUG: true, THEME: 'light' });
  const err = t.throws(() => validateInputs(app, { WORKERS: 99, DEBUG: 'maybe', THEME: 'pink', EXTRA: 1 })) as unknown as WarrenError;
  t.equal(err.code, 'WARREN_ERR_INVALID_INPUT');
  t.same(
    err.details?.map((d) => d.path).sort(),
    ['/inputs/DEBUG', '/inputs/EXTRA', '/inputs/SITE_NAME', '/inputs/THEME', '/inputs/WORKERS'],
  );
  t.match(err.details, [{ path: '/inputs/EXTRA', message: /no input named EXTRA/ }, { path: '/inputs/SITE_NAME', message: /Site name is required/ }]);
  t.throws(() => validateInputs(app, { SITE_NAME: 'x<script>' }), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/inputs/SITE_NAME', message: /pattern/ }] });
  t.throws(() => validateInputs(app, { SITE_NAME: 'Fine', WORKERS: 2.5 }), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/inputs/WORKERS', message: /whole number/ }] });
});

t.test('generateSecrets keeps existing values and fills the missing with the declared charset', async (t) => {
  const first = generateSecrets(app);
  t.match(first.APP_SECRET, /^[0-9a-f]{40}$/);
  t.match(first.DB_PASSWORD, /^[A-Za-z0-9]{32}$/);
  const again = generateSecrets(app, { DB_PASSWORD: 'kept' });
  t.equal(again.DB_PASSWORD, 'kept', 'an update never changes a stored secret');
  t.not(again.APP_SECRET, first.APP_SECRET, 'missing ones are fresh randomness');
});

t.test('with a pool: sidecar dropped, its depends_on and volume gone, pool network joined', async (t) => {
  const secrets = generateSecrets(app);
  const stack = resolveStack(app, { inputs: { SITE_NAME: 'My notes' }, secrets, databases: { main: pool }, project: 'notes-2' });
  t.equal(stack.project, 'notes-2');
  t.same(Object.keys(stack.services).sort(), ['redis', 'web']);
  const web = stack.services.web!;
  t.same(web.command, ['serve', '--port', '3000', '--name', 'My notes']);
  t.same(web.environment, {
    DB_HOST: 'warren-pg',
    DB_URL: pool.url,
    SECRET: secrets.APP_SECRET,
    WORKERS: '2',
    DEBUG: 'false',
    LITERAL: '$HOME',
    PROJECT: 'notes-2',
  });
  t.same(web.ports, [
    { target: 3000, published: 3000, protocol: 'tcp' },
    { target: 9090, published: 9090, protocol: 'udp', hostIp: '127.0.0.1' },
  ]);
  t.same(web.volumes, [
    { type: 'volume', source: 'data', target: '/data' },
    { type: 'volume', source: 'web_anon_1', target: '/cache' },
    { type: 'bind', source: '/srv/share', target: '/share', readOnly: true },
  ]);
  t.same(web.dependsOn, { redis: { condition: 'service_started' } });
  t.same(web.healthcheck, { test: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:3000/health'], intervalSeconds: 90, timeoutSeconds: 5, retries: 3 });
  t.same(web.resources, { limits: { memoryBytes: 512 * 1024 ** 2, cpus: 1.5 }, reservations: { memoryBytes: 256 * 1024 ** 2 } });
  t.equal(web.restart, 'on-failure');
  t.same(web.labels, { tier: 'web' });
  t.same(web.extraHosts, ['host.docker.internal:host-gateway']);
  t.equal(web.stopGracePeriodSeconds, 60);
  t.same(web.networks, ['default', 'warren_db_main']);
  t.same(stack.networks, { default: {}, warren_db_main: { external: true, name: 'warren-pool-pg' } });
  t.same(stack.volumes, { data: {}, web_anon_1: {} }, 'the sidecar volume is not created');
  t.equal(stack.labels?.['dev.warren.app'], 'notes');
});

t.test('without a pool: the sidecar runs and the app gets its credentials', async (t) => {
  const secrets = generateSecrets(app);
  const stack = resolveStack(app, { inputs: { SITE_NAME: 'My notes' }, secrets });
  t.same(Object.keys(stack.services).sort(), ['db', 'redis', 'web']);
  t.equal(stack.services.web!.environment!.DB_HOST, 'db');
  t.equal(stack.services.web!.environment!.DB_URL, `postgres://notes:${secrets.DB_PASSWORD}@db:5432/notes`);
  t.same(stack.services.web!.dependsOn, { db: { condition: 'service_healthy' }, redis: { condition: 'service_started' } });
  t.ok(stack.volumes?.pgdata);
});

t.test('image rewrites by prefix, on either spelling of the reference', async (t) => {
  const rewrites = { 'docker.io/library/postgres': 'warren-test/postgres', 'ghcr.io/example': 'mirror.lan/example', 'docker.io/library/redis': 'mirror.lan/redis' };
  const stack = resolveStack(app, { inputs: { SITE_NAME: 'Notes' }, secrets: generateSecrets(app), imageRewrites: rewrites });
  t.equal(stack.services.db!.image, 'warren-test/postgres:16-alpine');
  t.equal(stack.services.web!.image, 'mirror.lan/example/notes:2.1');
  t.equal(stack.services.redis!.image, 'mirror.lan/redis:7-alpine');
  t.equal(rewriteImage('postgresql:16', rewrites), 'postgresql:16', 'a prefix only matches whole path components');
  t.equal(rewriteImage('postgres', { postgres: 'local/pg' }), 'local/pg');
  t.equal(rewriteImage('nginx:1', { 'docker.io/library/nginx': 'a/nginx', 'docker.io/library': 'b' }), 'a/nginx:1', 'the longest prefix wins');
  t.equal(canonicalImage('gitea/gitea:1.22'), 'docker.io/gitea/gitea:1.22');
  t.equal(canonicalImage('localhost:5000/app'), 'localhost:5000/app');
});

t.test('devices: optional ones absent on the device are left out, required ones fail', async (t) => {
  const stack = resolveStack(app, { inputs: { SITE_NAME: 'Notes' }, secrets: generateSecrets(app), absentDevices: ['/dev/dri'] });
  t.equal(stack.services.web!.devices, undefined);
  const present = resolveStack(app, { inputs: { SITE_NAME: 'Notes' }, secrets: generateSecrets(app) });
  t.same(present.services.web!.devices, [{ host: '/dev/dri', container: '/dev/dri' }]);
});

t.test('refusals: missing secrets, unknown database refs, an unmet need, a bad project', async (t) => {
  t.throws(() => resolveStack(app, { inputs: { SITE_NAME: 'Notes' } }), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/secrets/APP_SECRET' }, { path: '/secrets/DB_PASSWORD' }] });
  t.throws(() => resolveStack(app, { inputs: { SITE_NAME: 'Notes' }, secrets: generateSecrets(app), databases: { cache: pool } }), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/databases/cache' }] });
  t.throws(() => resolveStack(app, { inputs: { SITE_NAME: 'Notes' }, secrets: generateSecrets(app), project: 'Bad Name' }), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/project' }] });
  t.throws(() => resolveStack(app, { secrets: generateSecrets(app) }), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/inputs/SITE_NAME' }] });
  const noSidecar = loadManifest(
    stringify({
      services: { web: { image: 'x', environment: { U: '${DATABASE_URL}' } } },
      'x-warren': { id: 'x', version: '1', title: 'X', tagline: 'x', categories: ['X'], main: { service: 'web' }, requires: { databases: [{ ref: 'main', engine: 'mariadb' }] } },
    }),
  );
  t.throws(() => resolveStack(noSidecar), { code: 'WARREN_ERR_DATABASE', details: [{ path: '/databases/main' }] });
  const s = resolveStack(noSidecar, { databases: { main: { ...pool, engine: 'mariadb', url: 'mysql://u:p@h:3306/d' } } });
  t.equal(s.services.web!.environment!.U, 'mysql://u:p@h:3306/d');
});

t.test('requirementsOf: what placement needs', async (t) => {
  const r = requirementsOf(app, { imageRewrites: { 'ghcr.io/example': 'mirror.lan/example' } });
  t.equal(r.app, 'notes');
  t.equal(r.memorySource, 'compose');
  t.equal(r.memoryBytes, 256 * 1024 ** 2 + 64 * 1024 ** 2, 'reservation where given, else limit; sidecar excluded');
  t.same(r.sidecarMemoryBytes, { main: 128 * 1024 ** 2 });
  t.equal(r.diskBytes, 1024 ** 3);
  t.same(r.architectures, ['amd64', 'arm64']);
  t.same(r.devices, [{ path: '/dev/dri', optional: true }]);
  t.same(r.ports, [
    { port: 3000, protocol: 'tcp' },
    { port: 9090, protocol: 'udp' },
  ], 'the sidecar port is not a requirement');
  t.same(r.images, ['mirror.lan/example/notes:2.1', 'redis:7-alpine']);
  t.same(r.sidecarImages, { main: ['postgres:16-alpine'] });
  t.same(r.databases, app.requires.databases);
});

t.test('inputsJsonSchema renders the form schema', async (t) => {
  const s = inputsJsonSchema(app) as { properties: Record<string, Record<string, unknown>>; required: string[] };
  t.same(s.required, ['SITE_NAME']);
  t.same(s.properties.THEME, { type: 'string', default: 'light', enum: ['light', 'dark'] });
  t.equal(s.properties.WORKERS!.maximum, 16);
});
