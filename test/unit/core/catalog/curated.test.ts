// Every curated app validates, resolves with a pool and without one, and says what placement needs.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../../../../core/catalog/loader.js';
import { generateSecrets, requirementsOf, resolveStack, type PooledDatabase } from '../../../../core/catalog/resolve.js';
import type { AppManifest } from '../../../../core/catalog/types.js';

const appsDir = fileURLToPath(new URL('../../../../catalog/apps', import.meta.url));
const ids = readdirSync(appsDir).filter((d) => existsSync(join(appsDir, d, 'compose.yaml'))).sort();
const manifests = new Map<string, AppManifest>();

function fakeInputs(m: AppManifest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(m.inputs)) {
    if (s.default !== undefined || !s.required) continue;
    out[name] = s.type === 'string' ? 'Correct-Horse-Battery-42' : s.type === 'boolean' ? true : (s.minimum ?? 1);
  }
  return out;
}

function fakePool(engine: 'postgres' | 'mariadb', ref: string): PooledDatabase {
  const port = engine === 'postgres' ? 5432 : 3306;
  const base = { engine, host: `warren-${engine}`, port, database: `app_${ref}`, user: `app_${ref}`, password: 'pw' };
  return { ...base, url: `${engine === 'postgres' ? 'postgres' : 'mysql'}://app_${ref}:pw@warren-${engine}:${port}/app_${ref}`, network: `warren-${engine}-pool` };
}

t.test('the catalog has at least 30 real apps plus the demo, each in a folder named by its id', async (t) => {
  t.ok(ids.length >= 31, `${ids.length} apps`);
  for (const must of ['nextcloud', 'gitea', 'vaultwarden', 'immich', 'paperless-ngx', 'jellyfin', 'home-assistant', 'uptime-kuma', 'adguard-home', 'mealie', 'miniflux', 'wiki-js', 'bookstack', 'n8n', 'grafana', 'warren-demo']) {
    t.ok(ids.includes(must), must);
  }
});

for (const id of ids) {
  t.test(`catalog/apps/${id}`, async (t) => {
    const m = loadManifest(readFileSync(join(appsDir, id, 'compose.yaml'), 'utf8'), { source: id });
    manifests.set(id, m);
    t.equal(m.id, id, 'id matches the folder');
    t.ok(m.requires.architectures.length > 0, 'architectures declared');
    t.ok(m.requires.memoryBytes !== undefined && m.requires.memoryBytes >= 32 * 1024 ** 2, 'memory declared');
    t.ok(m.main.port !== undefined, 'web port declared');
    for (const [name, svc] of Object.entries(m.document.services)) {
      t.notMatch(svc.image, /\$/, `${name}: the image is pinned in the manifest, not an input`);
      t.match(svc.image, /^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?$/, `${name}: image reference ${svc.image}`);
      // A floating tag makes an update a lottery. calibre-web stays on latest: no LinuxServer release page
      // confirmed a versioned tag of it while these were pinned.
      if (!svc.image.startsWith('warren-test/') && id !== 'calibre-web') t.notMatch(svc.image, /:latest$|^[^:]+$/, `${name}: ${svc.image} names a version`);
    }
    const secrets = generateSecrets(m);
    const inputs = fakeInputs(m);
    const pooled = Object.fromEntries(m.requires.databases.map((d) => [d.ref, fakePool(d.engine, d.ref)]));
    const withPool = resolveStack(m, { inputs, secrets, databases: pooled });
    t.ok(withPool.services[m.main.service], 'main service survives resolution');
    for (const sidecar of Object.keys(m.sidecars)) t.notOk(withPool.services[sidecar], `${sidecar} dropped when a pool meets the need`);
    for (const svc of Object.values(withPool.services)) {
      for (const dep of Object.keys(svc.dependsOn ?? {})) t.ok(withPool.services[dep], `depends_on ${dep} still exists`);
      for (const v of Object.values(svc.environment ?? {})) t.notMatch(v, /\$\{/, 'no interpolation left');
    }
    if (m.requires.databases.length) {
      const env = JSON.stringify(Object.values(withPool.services).map((s) => s.environment ?? {}));
      t.match(env, /warren-(postgres|mariadb)/, 'the app is pointed at the pooled server');
    }
    if (Object.keys(m.sidecars).length) {
      const bundled = resolveStack(m, { inputs, secrets });
      for (const sidecar of Object.keys(m.sidecars)) t.ok(bundled.services[sidecar], `${sidecar} runs without a pool`);
      const env = JSON.stringify(bundled.services[m.main.service]!.environment ?? {});
      const password = Object.entries(secrets).find(([k]) => /DB_PASSWORD$/.test(k))?.[1];
      if (password) t.ok(env.includes(password) || env.includes(encodeURIComponent(password)), 'the app gets the sidecar password');
    }
    const r = requirementsOf(m);
    t.ok(r.images.length > 0);
    t.equal(r.memorySource, 'declared');
  });
}

t.test('facts the issue names', async (t) => {
  const immich = manifests.get('immich')!;
  t.same(immich.requires.databases, [{ ref: 'main', engine: 'postgres', versions: '>=14 <17', extensions: ['vectors'], dedicated: true }]);
  t.same(manifests.get('jellyfin')!.requires.devices, [{ path: '/dev/dri', optional: true }]);
  t.same(manifests.get('bookstack')!.requires.databases.map((d) => d.engine), ['mariadb']);
  t.match(requirementsOf(manifests.get('adguard-home')!).ports, [{ port: 53, protocol: 'tcp' }, { port: 53, protocol: 'udp' }]);
  const demo = manifests.get('warren-demo')!;
  const stack = resolveStack(demo, { databases: { main: fakePool('postgres', 'main') } });
  t.equal(stack.services.web!.image, 'warren-test/demo:latest');
  t.equal(stack.services.web!.environment!.DATABASE_URL, 'postgres://app_main:pw@warren-postgres:5432/app_main');
  t.same(stack.services.web!.healthcheck!.test, ['CMD-SHELL', 'wget -qO- http://127.0.0.1:8080/ || exit 1']);
  t.same(stack.services.web!.ports, [{ target: 8080, published: 8080, protocol: 'tcp' }]);
});
