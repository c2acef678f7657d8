// The reservation ledger inside a running hub: an installed app's need stays held against its device
// after the install finishes, until a memory sample taken after the app came up (whose used memory
// then counts it) or the engine's metrics listing its containers; a placement in between sees the
// device that much fuller.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import t from 'tap';
import { needServices } from '../../../helpers/services.js';
import { appsHub, leftovers, until } from '../apps/fixture.js';

const MiB = 2 ** 20;
t.setTimeout(10 * 60_000);

t.test('a reservation outlives the install until metrics show the app', async (t) => {
  const state = needServices(t, 'docker', 'images');
  if (!state) return;
  const docker = new Docker({ socketPath: state.docker!.socket });
  const app = `ledger-${randomBytes(3).toString('hex')}`;
  const project = `warren-${app}`;
  const catalogDir = mkdtempSync(join(tmpdir(), 'warren-ledger-catalog-'));
  mkdirSync(join(catalogDir, app));
  // No published port and no database: nothing here collides with other suites on the shared engine.
  writeFileSync(
    join(catalogDir, app, 'compose.yaml'),
    `services:
  web:
    image: ${state.images!.web ?? 'warren-test/web:latest'}
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    deploy:
      resources:
        limits:
          memory: 200M
x-warren:
  id: ${app}
  version: "1.0.0"
  revision: 1
  title: Ledger test
  tagline: Holds a reservation
  description: A busybox web server that publishes nothing.
  categories: [Developer]
  main:
    service: web
    port: 8080
    path: /
  requires:
    architectures: [amd64, arm64]
    memory: 200M
    disk: 10M
`,
  );
  t.teardown(async () => {
    rmSync(catalogDir, { recursive: true, force: true });
    const filters = JSON.stringify({ label: [`com.docker.compose.project=${project}`] });
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true, v: true });
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
  });
  const { th, api, finish } = await appsHub(t, state, { catalogDirs: [catalogDir] });
  const apps = th.hub.services.apps!;

  const r = await api('POST', '/api/apps', { app });
  t.equal(r.status, 202, JSON.stringify(r.body).slice(0, 300));
  const op = await finish(r.body.operation);
  t.equal(op.state, 'done', `install done: ${op.error ?? ''}`);
  const held = apps.reservations().find((e) => e.app === app);
  t.ok(held, 'the reservation is still held after the install finished');
  t.equal(held?.memoryBytes, 200 * MiB);
  t.type(held?.runningSince, 'number', 'marked as running');

  // Placement right now may or may not come after a fresh sample; what it must never do is drop the
  // reservation on a sample older than the moment the app came up.
  const place = async () => (await api('POST', '/api/placement', { requirements: { app: 'probe', memoryBytes: 1, diskBytes: 0 } })).body;
  await place();
  const still = apps.reservations().find((e) => e.app === app);
  if (still) t.pass('held until a newer sample');
  // A poll interval (5 s here) later, a sample taken after the app came up settles it.
  await until('a memory sample after the app came up settles the reservation', async () => {
    await place();
    return !apps.reservations().some((e) => e.app === app);
  }, 60_000);
  // Settled by a memory sample from after the app came up, or by the engine's metrics listing the
  // app's containers (see ledger-engine.test.ts for that path alone).
  const snap = (await api('GET', '/api/devices/snapshot')).body.devices[0];
  const engine = (th.hub.services.metrics as { containers(device: string): { list: { project?: string; memoryBytes: number }[] } | undefined }).containers(snap.id);
  t.ok(
    (snap.metricsAgeSeconds !== null && Date.now() - snap.metricsAgeSeconds * 1000 >= held!.runningSince!) || !!engine?.list.some((c) => c.project === project && c.memoryBytes > 0),
    'settled by a sample from after the app came up, or by its containers in the engine metrics',
  );

  const removed = await api('DELETE', `/api/apps/${app}`);
  t.equal(removed.status, 202, JSON.stringify(removed.body).slice(0, 300));
  t.equal((await finish(removed.body.operation)).state, 'done');
  t.same(await leftovers(docker, project), [], 'nothing of the app is left');
});
