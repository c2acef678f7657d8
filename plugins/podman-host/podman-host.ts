// Podman through its Docker-compatible API, with the libpod API where the engines differ.
import { readFile } from 'node:fs/promises';
import type { ContainerStats } from '../../core/providers/container-host.js';
import { EngineHost } from '../docker-host/engine-host.js';
import { hasHealthcheck, inactiveFileFromMemoryStat, memoryCgroupDir, statusOf, type InspectLike } from '../docker-host/translate.js';

/** The libpod API version prefix; Podman 4.0 and later answer it. */
const LIBPOD = '/v4.0.0/libpod';

export class PodmanHost extends EngineHost {
  /** Calls a libpod endpoint through the same connection (socket, TLS or SSH) as the compatible API. */
  protected libpod<T>(method: 'GET' | 'POST', path: string, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.docker.modem.dial(
        {
          path: `${LIBPOD}${path}`,
          method,
          options: {},
          abortSignal: signal,
          statusCodes: { 200: true, 204: true, 404: 'not found', 409: 'conflict', 500: 'server error' },
        },
        (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
      );
    });
  }

  /**
   * Podman's stats (compatible and libpod alike, 4.x on cgroup v1) give memory usage with the page
   * cache in it. When the engine runs on this machine (a local socket), the container's own cgroup
   * says how much of that is inactive file cache, which is taken off as Docker does; otherwise the
   * figure stays marked as including the cache.
   */
  override async containerStats(signal?: AbortSignal): Promise<ContainerStats[]> {
    const stats = await super.containerStats(signal);
    if (this.config.connection.type !== 'socket' || !stats.some((s) => s.memoryIncludesFileCache)) return stats;
    const listed = await this.libpod<{ Id: string; Pid?: number }[]>('GET', '/containers/json', signal).catch(() => []);
    const pids = new Map(listed.map((c) => [c.Id, c.Pid]));
    return Promise.all(
      stats.map(async (s) => {
        const pid = pids.get(s.containerId);
        if (!s.memoryIncludesFileCache || !pid) return s;
        try {
          const dir = memoryCgroupDir(await readFile(`/proc/${pid}/cgroup`, 'utf8'));
          const inactive = dir && inactiveFileFromMemoryStat(await readFile(`${dir}/memory.stat`, 'utf8'));
          if (inactive === undefined || inactive === '') return s;
          const { memoryIncludesFileCache: _, ...rest } = s;
          return { ...rest, memoryBytes: inactive < s.memoryBytes ? s.memoryBytes - inactive : s.memoryBytes };
        } catch {
          // The container ended, or its cgroup is not visible from here: the figure keeps its label.
          return s;
        }
      }),
    );
  }

  /**
   * Podman schedules healthchecks with systemd timers; without systemd (containers, small hosts) a
   * container's health stays `starting` until someone runs the check. Running it here is what
   * `podman healthcheck run` does. A container that stopped meanwhile answers 409: nothing to run.
   */
  protected override async runHealthcheck(id: string, signal?: AbortSignal): Promise<void> {
    await this.libpod('GET', `/containers/${encodeURIComponent(id)}/healthcheck`, signal).catch((e: unknown) =>
      statusOf(e) === 409 || statusOf(e) === 404 ? undefined : Promise.reject(e),
    );
  }

  /** Status reads run the check first, so that the health they report is current rather than frozen. */
  protected override async freshHealth(c: InspectLike, signal?: AbortSignal): Promise<InspectLike> {
    if (!c.State?.Running || !hasHealthcheck(c)) return c;
    await this.runHealthcheck(c.Id, signal);
    return (await this.docker.getContainer(c.Id).inspect()) as InspectLike;
  }
}
