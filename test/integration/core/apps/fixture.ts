// A hub with every feature (devices, pooling, catalog, apps) on the local Docker as device `local`,
// images rewritten to the locally built ones, and helpers to follow operations and look for leftovers.
import Docker from 'dockerode';
import { AppsFeature } from '../../../../core/apps/index.js';
import { CatalogFeature, catalogSources } from '../../../../core/catalog/index.js';
import { DevicesFeature } from '../../../../core/devices/index.js';
import { featureRoutes } from '../../../../core/features.js';
import { PoolingFeature } from '../../../../core/pooling/index.js';
import { adminToken, startTestHub, type TestHub } from '../../../helpers/hub.js';
import type { TestEnvState } from '../../../helpers/services.js';

export const PASSWORD = 'correct horse battery';
export const TEST_REWRITES = { 'postgres:16': 'warren-test/postgres:15', 'mariadb:11': 'warren-test/mariadb:10.11' };

export interface AppsHub {
  th: TestHub;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Polls an operation until it ends; returns its final view. */
  finish(operation: string, timeoutMs?: number): Promise<any>;
}

// One polling helper for every suite; re-exported for the suites that import it from here.
import { until } from '../../../helpers/wait.js';
export { until };

/**
 * `devices`: the `POST /api/devices` bodies to add (the local Docker as `local` by default); the hub
 * is handed back once every one of them is online with fresh metrics.
 */
export async function appsHub(t: { teardown(fn: () => unknown): void }, state: TestEnvState, opts: { catalogDirs?: string[]; devices?: Record<string, unknown>[] } = {}): Promise<AppsHub> {
  const th = await startTestHub(t, {
    env: { WARREN_ADMIN_PASSWORD: PASSWORD },
    hub: {
      routeModules: featureRoutes(),
      extensions: [
        new DevicesFeature({ pollIntervalMs: 5_000 }),
        new PoolingFeature({ imageRewrites: TEST_REWRITES, healthTimeoutMs: 120_000 }),
        new CatalogFeature({ sources: catalogSources('/nonexistent', opts.catalogDirs ?? []) }),
        new AppsFeature({ imageRewrites: TEST_REWRITES, reconcileIntervalMs: 1_000, healthTimeoutMs: 120_000 }),
      ],
    },
  });
  const token = await adminToken(th, PASSWORD);
  const api = (method: string, path: string, body?: unknown) => th.call(method, path, { token, body });
  const finish = (operation: string, timeoutMs = 180_000) =>
    until(`operation ${operation} to end`, async () => {
      const op = (await api('GET', `/api/operations/${operation}`)).body.operation;
      return op && !['pending', 'running'].includes(op.state) && op;
    }, timeoutMs);
  const bodies = opts.devices ?? [{ name: 'local', connection: { type: 'socket', socketPath: state.docker!.socket }, helperImage: state.images!.web }];
  for (const b of bodies) {
    const added = await api('POST', '/api/devices', b);
    if (added.status !== 201) throw new Error(`adding device ${String(b.name)} failed: ${JSON.stringify(added.body)}`);
  }
  await until('fresh metrics from every device', async () => {
    const snap = (await api('GET', '/api/devices/snapshot')).body;
    return snap.devices?.length === bodies.length && snap.devices.every((d: { online: boolean; metricsAgeSeconds: number | null; memory: { availableBytes: number }; storage: { availableBytes: number } }) =>
      d.online && d.metricsAgeSeconds !== null && d.memory.availableBytes > 0 && d.storage.availableBytes > 0);
  }, 120_000);
  return { th, api, finish };
}

/**
 * Removes the shared database servers of the default namespace (`warren-pool-*`) with their volumes
 * and networks. Other suites give their servers their own namespace, so these are this suite's.
 */
export async function removeDefaultPools(docker: Docker): Promise<void> {
  for (const project of ['warren-pool-postgres', 'warren-pool-mariadb']) await removeProject(docker, project);
}

/** Removes a Compose project's containers (with their anonymous volumes), named volumes and networks from an engine. */
export async function removeProject(docker: Docker, project: string): Promise<void> {
  const filters = JSON.stringify({ label: [`com.docker.compose.project=${project}`] });
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true, v: true });
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => {});
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
}

/** Containers, volumes and networks of a Compose project on an engine. */
export async function leftovers(docker: Docker, project: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`com.docker.compose.project=${project}`] });
  const out: string[] = [];
  for (const c of await docker.listContainers({ all: true, filters })) out.push(`container ${c.Names[0]}`);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) out.push(`volume ${v.Name}`);
  for (const n of await docker.listNetworks({ filters })) out.push(`network ${n.Name}`);
  return out;
}
