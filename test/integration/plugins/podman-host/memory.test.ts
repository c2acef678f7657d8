// Podman's container memory against the real Podman socket: what its API says about the file cache,
// and how the plugin reads memory without it, for an engine on this machine and for a remote one.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { PodmanHost } from '../../../../plugins/podman-host/podman-host.js';
import podmanPlugin from '../../../../plugins/podman-host/index.js';
import { validateConfig } from '../../../../core/plugin/config.js';
import { needServices } from '../../../helpers/services.js';
import { setupHost, socketConfig } from '../../../contract/container-host/hosts.js';

/** The same engine, seen as if it were on another machine: its cgroup files are not readable here. */
class RemoteView extends PodmanHost {
  override cgroupFilesReadable(): boolean {
    return false;
  }
}
/** A remote engine on a cgroup v2 host (this machine is on v1). */
class RemoteV2 extends RemoteView {
  override cgroupVersion(): Promise<'v1' | 'v2' | undefined> {
    return Promise.resolve('v2');
  }
}

t.test('file cache in Podman memory: taken off locally, kept marked for a remote v1 engine, trusted on v2', async (t) => {
  const state = needServices(t, 'podman', 'images');
  if (!state) return;
  const config = socketConfig(state.podman!.socket, state);
  const host = (await setupHost(podmanPlugin, 'podman', config)) as PodmanHost;
  const project = `wpm-${randomBytes(4).toString('hex')}`;
  const checked = validateConfig(podmanPlugin.providers.find((p) => p.id === 'podman' && p.kind === 'container-host')!.configSchema, config, 'podman');
  const remote = new RemoteView(checked as never);
  const remoteV2 = new RemoteV2(checked as never);
  t.teardown(async () => {
    await host.removeStack(project).catch(() => undefined);
    await Promise.all([host.close(), remote.close(), remoteV2.close()]);
  });
  await host.deployStack({
    project,
    // 32 MiB written to the container's disk (not tmpfs) and left alone: inactive file cache.
    services: { cache: { image: state.images!.web!, command: ['sh', '-c', 'dd if=/dev/zero of=/cachefile bs=1M count=32 2>/dev/null; sync; exec sleep 3600'] } },
  });
  const version = await (host as unknown as { cgroupVersion(): Promise<string | undefined> }).cgroupVersion();
  t.ok(version === 'v1' || version === 'v2', `the engine says its cgroup version: ${version}`);
  const mine = (list: { name: string; memoryBytes: number; memoryIncludesFileCache?: true }[]) => list.find((c) => c.name === `${project}-cache-1`);
  const local = mine(await host.containerStats());
  t.ok(local, 'the container is there');
  t.equal(local!.memoryIncludesFileCache, undefined, 'an engine on this machine: read from the cgroup, not marked');
  t.ok(local!.memoryBytes < 16 * 2 ** 20, `without the 32 MiB of cache: ${local!.memoryBytes}`);
  const far = mine(await (remote as PodmanHost).containerStats());
  if (version === 'v1') {
    t.equal(far!.memoryIncludesFileCache, true, 'a remote engine on cgroup v1 gives no breakdown: the figure stays marked');
    t.ok(far!.memoryBytes >= 32 * 2 ** 20, `and it holds the cache: ${far!.memoryBytes}`);
  } else {
    t.equal(far!.memoryIncludesFileCache, undefined, 'a remote engine on cgroup v2 reports memory without the file cache');
  }
  const v2 = mine(await (remoteV2 as PodmanHost).containerStats());
  t.equal(v2!.memoryIncludesFileCache, undefined, 'on cgroup v2 Podman (4.0 and later) leaves the file cache out itself: not marked');
});
