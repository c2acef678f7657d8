// A hub with the local Docker as device `local`, pooling wired to it with the test images, and
// cleanup of every container, volume and network the test's servers leave.
import { execFileSync } from 'node:child_process';
import { startTestHub, type TestHub } from '../../../helpers/hub.js';
import type { TestEnvState } from '../../../helpers/services.js';
import { PoolingService, type PoolingOptions } from '../../../../core/pooling/index.js';

export const TEST_REWRITES = { 'postgres:16': 'warren-test/postgres:15', 'mariadb:11': 'warren-test/mariadb:10.11' };

export interface PoolFixture {
  th: TestHub;
  pooling: PoolingService;
  device: string;
  addApp(id: string): Promise<void>;
}

/** Removes pool stacks (and their volumes) from the local Docker; pooled servers are per engine, so suites run one at a time. */
export function removePoolContainers(): void {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', 'label=warren.pool.engine']).toString().split('\n').filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  for (const kind of ['volume', 'network']) {
    const names = execFileSync('docker', [kind, 'ls', '-q', '--filter', 'label=warren.pool.engine']).toString().split('\n').filter(Boolean);
    if (names.length) execFileSync('docker', [kind, 'rm', ...names], { stdio: 'ignore' });
  }
}

export async function poolFixture(
  t: { teardown(fn: () => unknown): void },
  env: TestEnvState,
  opts: Partial<PoolingOptions> & { keepDataDir?: string; keepContainers?: boolean } = {},
): Promise<PoolFixture> {
  if (!opts.keepContainers) removePoolContainers();
  const th = await startTestHub(t, opts.keepDataDir ? { keepDataDir: opts.keepDataDir } : {});
  const device = 'local';
  const hostId = `device-${device}`;
  if (!th.hub.plugins.instanceInfo(hostId)) {
    await th.hub.plugins.createInstance({ id: hostId, plugin: '@warren/docker-host', provider: 'docker', config: { connection: { type: 'socket', socketPath: env.docker!.socket } } });
  } else await th.hub.plugins.startInstances();
  if (!(await th.hub.store.devices.get(device))) await th.hub.store.devices.insert({ id: device, name: device, connection: { instance: hostId } });
  const pooling = new PoolingService(th.hub, { dumpDir: `${th.dataDir}/dumps`, imageRewrites: TEST_REWRITES, healthTimeoutMs: 120_000, ...opts });
  t.teardown(() => {
    if (!opts.keepContainers) removePoolContainers();
  });
  return {
    th,
    pooling,
    device,
    async addApp(id: string) {
      if (!(await th.hub.store.apps.get(id))) await th.hub.store.apps.insert({ id, catalogId: 'test', catalogVersion: '1', project: 'test', device });
    },
  };
}
