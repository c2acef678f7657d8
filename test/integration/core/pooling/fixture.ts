// A hub with the local Docker as device `local`, pooling wired to it with the test images, and
// cleanup of every container, volume and network the test's servers leave.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startTestHub, type TestHub } from '../../../helpers/hub.js';
import type { TestEnvState } from '../../../helpers/services.js';
import { PoolingService, type PoolingOptions } from '../../../../core/pooling/index.js';

/** The official images' default tags, mapped to the images test-env builds (nothing can be pulled here). */
export const TEST_REWRITES = { 'postgres:16': 'warren-test/postgres:15', 'mariadb:11': 'warren-test/mariadb:10.11' };

export interface PoolFixture {
  th: TestHub;
  pooling: PoolingService;
  device: string;
  /** This fixture's project prefix: test files run in parallel, and other suites share the engine. */
  namespace: string;
  /** The shared server's project (also its network and host name). */
  pooled(engine: string): string;
  addApp(id: string): Promise<void>;
}

export type Runtime = 'docker' | 'podman';

/** Removes the servers (containers, volumes, networks) of one fixture's namespace from the local engine. */
export function removePoolContainers(namespace: string, runtime: Runtime = 'docker'): void {
  const label = `label=warren.pool.namespace=${namespace}`;
  const ids = execFileSync(runtime, ['ps', '-aq', '--filter', label]).toString().split('\n').filter(Boolean);
  if (ids.length) execFileSync(runtime, ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  for (const kind of ['volume', 'network']) {
    const names = execFileSync(runtime, [kind, 'ls', '-q', '--filter', label]).toString().split('\n').filter(Boolean);
    if (names.length) execFileSync(runtime, [kind, 'rm', ...names], { stdio: 'ignore' });
  }
}

export async function poolFixture(
  t: { teardown(fn: () => unknown): void },
  env: TestEnvState,
  opts: Partial<PoolingOptions> & { keepDataDir?: string; keepContainers?: boolean; runtime?: Runtime } = {},
): Promise<PoolFixture> {
  const namespace = opts.namespace ?? `wt${randomBytes(3).toString('hex')}`;
  const th = await startTestHub(t, opts.keepDataDir ? { keepDataDir: opts.keepDataDir } : {});
  const device = 'local';
  const hostId = `device-${device}`;
  if (!th.hub.plugins.instanceInfo(hostId)) {
    const runtime = opts.runtime ?? 'docker';
    await th.hub.plugins.createInstance({ id: hostId, plugin: `@warren/${runtime}-host`, provider: runtime, config: { connection: { type: 'socket', socketPath: env[runtime]!.socket } } });
  } else await th.hub.plugins.startInstances();
  if (!(await th.hub.store.devices.get(device))) await th.hub.store.devices.insert({ id: device, name: device, connection: { instance: hostId } });
  const pooling = new PoolingService(th.hub, { dumpDir: `${th.dataDir}/dumps`, imageRewrites: TEST_REWRITES, healthTimeoutMs: 120_000, ...opts, namespace });
  t.teardown(() => {
    if (!opts.keepContainers) removePoolContainers(namespace, opts.runtime);
  });
  return {
    th,
    pooling,
    device,
    namespace,
    pooled: (engine) => `${namespace}-pool-${engine}`,
    async addApp(id: string) {
      if (!(await th.hub.store.apps.get(id))) await th.hub.store.apps.insert({ id, catalogId: 'test', catalogVersion: '1', project: 'test', device });
    },
  };
}
