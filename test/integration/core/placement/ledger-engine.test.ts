// The reservation ledger settled by the engine's metrics, against the real local Docker engine: a
// reservation whose app was never marked running (so no memory sample can settle it) is released once
// the engine's metrics list that app's containers running with memory figures; a reservation for an
// app with no containers stays held.
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import t from 'tap';
import type { ReservationLedger } from '../../../../core/placement/index.js';
import { needServices } from '../../../helpers/services.js';
import { appsHub, removeProject, until } from '../apps/fixture.js';

const MiB = 2 ** 20;
t.setTimeout(5 * 60_000);

t.test("an app's containers in the engine's metrics settle its reservation", async (t) => {
  const state = needServices(t, 'docker', 'images');
  if (!state) return;
  const docker = new Docker({ socketPath: state.docker!.socket });
  const app = `ledger-engine-${randomBytes(3).toString('hex')}`;
  const idle = `ledger-idle-${randomBytes(3).toString('hex')}`;
  const project = `warren-${app}`;
  t.teardown(() => removeProject(docker, project));
  const { th, api } = await appsHub(t, state);
  const apps = th.hub.services.apps!;
  const metrics = th.hub.services.metrics as { containers(device: string): { at: number; list: { project?: string; memoryBytes: number }[] } | undefined };
  const device = 'local';
  // Two installs in flight, as install() records them; neither is marked running, so only the engine's
  // metrics can settle them.
  const ledger = apps as unknown as { ledger: ReservationLedger };
  const at = Date.now();
  ledger.ledger = ledger.ledger.reserve(device, app, { memoryBytes: 300 * MiB, storageBytes: 0 }, at).reserve(device, idle, { memoryBytes: 200 * MiB, storageBytes: 0 }, at);
  const place = async () => (await api('POST', '/api/placement', { requirements: { app: 'probe', memoryBytes: 1, diskBytes: 0 } })).body;
  await place();
  t.same(apps.reservations().map((e) => e.app).sort(), [app, idle].sort(), 'both held while no container of either runs');

  // The app's container, labelled as compose (and Warren's deploy) label a project.
  const c = await docker.createContainer({
    Image: state.images!.web ?? 'warren-test/web:latest',
    Cmd: ['httpd', '-f', '-p', '8080', '-h', '/www'],
    Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': 'web' },
    HostConfig: { Memory: 64 * MiB },
  });
  await c.start();
  await until(
    "the engine's metrics list the container with its memory",
    async () => (metrics.containers(device)?.list ?? []).some((x) => x.project === project && x.memoryBytes > 0),
    60_000,
  );
  t.ok(metrics.containers(device)!.at >= at, 'from a sample taken after the reservation');
  await place();
  const left = apps.reservations().map((e) => e.app);
  t.notOk(left.includes(app), "the app's reservation is released: the engine's metrics show it");
  t.ok(left.includes(idle), 'the reservation of an app without containers stays held');
  apps.releaseReservation(idle);
});
