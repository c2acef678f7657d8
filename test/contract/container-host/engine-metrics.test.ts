// The engine as a metrics source, for both plugins: every running container with its memory (without
// file cache) and CPU time, labelled with its stack and service.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import dockerPlugin from '../../../plugins/docker-host/index.js';
import podmanPlugin from '../../../plugins/podman-host/index.js';
import { validateConfig } from '../../../core/plugin/config.js';
import type { PluginDefinition } from '../../../core/plugin/types.js';
import type { MetricsSource } from '../../../core/providers/metrics-source.js';
import { needServices, type ServiceName } from '../../helpers/services.js';
import { setupHost, socketConfig, testContext } from './hosts.js';

for (const [engine, plugin, hostId] of [
  ['docker', dockerPlugin, 'docker'],
  ['podman', podmanPlugin, 'podman'],
] as [ServiceName & ('docker' | 'podman'), PluginDefinition, string][]) {
  t.test(`engine-metrics over ${engine}`, async (t) => {
    const state = needServices(t as unknown as Parameters<typeof needServices>[0], engine, 'images');
    if (!state) return;
    const config = socketConfig(state[engine]!.socket, state);
    const host = await setupHost(plugin, hostId, config);
    const def = plugin.providers.find((p) => p.id === 'engine-metrics')!;
    const source = (await def.setup(validateConfig(def.configSchema, config, 'engine-metrics'), testContext())) as MetricsSource & { close(): Promise<void> };
    const project = `wcm-${randomBytes(4).toString('hex')}`;
    t.teardown(async () => {
      await host.removeStack(project).catch(() => undefined);
      await host.close();
      await source.close();
    });
    await host.deployStack({
      project,
      // 32 MiB written once and not read again: page cache on the container's inactive file list.
      services: { burn: { image: state.images!.web!, command: ['sh', '-c', 'dd if=/dev/zero of=/tmp/cache bs=1M count=32 2>/dev/null; sync; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 3600'] } },
    });
    t.same(source.provides, ['containers']);
    const reading = await source.collect();
    t.ok(Math.abs(reading.at - Date.now()) < 60_000, 'reading carries its time');
    t.equal(reading.arch, (await host.info()).arch);
    const mine = reading.containers?.find((c) => c.project === project);
    t.ok(mine, 'the stack container is there');
    t.equal(mine?.service, 'burn');
    t.equal(mine?.name, `${project}-burn-1`);
    t.ok(mine!.memoryBytes > 0, `memory ${mine!.memoryBytes}`);
    t.ok(mine!.cpuTotalNs > 0, `cpu ${mine!.cpuTotalNs} ns`);
    // Without the inactive file cache: the engine's raw usage holds the 32 MiB file, the figure does not
    // (Podman gives no breakdown; for a local socket the container's cgroup does).
    const Docker = (await import('dockerode')).default;
    const raw = (await new Docker({ socketPath: state[engine]!.socket }).getContainer(`${project}-burn-1`).stats({ stream: false })) as { memory_stats: { usage: number } };
    t.ok(raw.memory_stats.usage >= 32 * 2 ** 20, `the engine's raw usage includes the file cache: ${raw.memory_stats.usage}`);
    t.ok(mine!.memoryBytes < raw.memory_stats.usage - 16 * 2 ** 20, `reported ${mine!.memoryBytes} without the cache (raw ${raw.memory_stats.usage})`);
    t.equal(mine!.memoryIncludesFileCache, undefined, 'the figure is not marked as including the cache');
    t.notOk(reading.containers?.some((c) => c.name.includes('helper')), 'helper containers are not reported');
  });
}
