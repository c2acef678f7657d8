// Podman through its Docker-compatible API, with the libpod API where the engines differ.
import { readFile } from 'node:fs/promises';
import type { ContainerStats } from '../../core/providers/container-host.js';
import { EngineHost } from '../docker-host/engine-host.js';
import { hasHealthcheck, inactiveFileFromMemoryStat, memoryCgroupDir, statusOf, type InspectLike } from '../docker-host/translate.js';

/** The libpod API version prefix; Podman 4.0 and later answer it. */
const LIBPOD = '/v4.0.0/libpod';

export class PodmanHost extends EngineHost {
  protected override readonly shortNamesResolveLocally = true;

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

  private cgroups?: Promise<'v1' | 'v2' | undefined>;

  /**
   * The engine host's cgroup version (libpod `/info`, `host.cgroupVersion`), asked once per host.
   * Podman's memory figure depends on it: on v2, Podman 4.0 and later report `anon` from memory.stat
   * (containers/common#870; newer releases memory.current − inactive_file), so no file cache is in it;
   * on v1, Podman 4.x reports memory.usage_in_bytes, file cache included (seen on 4.3: 43.7 MB for a
   * container holding 42 MB of cache and 0.2 MB of its own). Neither API gives the breakdown: the
   * compatible stats have `memory_stats.stats` empty, the libpod ones only MemUsage.
   */
  protected cgroupVersion(signal?: AbortSignal): Promise<'v1' | 'v2' | undefined> {
    this.cgroups ??= this.libpod<{ host?: { cgroupVersion?: string } }>('GET', '/info', signal).then(
      (i) => (i.host?.cgroupVersion === 'v1' || i.host?.cgroupVersion === 'v2' ? i.host.cgroupVersion : undefined),
      () => {
        this.cgroups = undefined;
        return undefined;
      },
    );
    return this.cgroups;
  }

  /** Whether the containers' cgroup files are readable here: the engine runs on this machine. */
  protected cgroupFilesReadable(): boolean {
    return this.config.connection.type === 'socket';
  }

  /**
   * Memory without the inactive file cache, as Docker reports it. For an engine on this machine it is
   * read from each container's own cgroup (usage − inactive_file, v1 and v2 alike), whatever Podman's
   * release computes. For a remote engine on cgroup v2, Podman's figure already leaves the file cache
   * out; on cgroup v1 nothing remote says how much of it is cache, so the figure keeps its mark.
   */
  override async containerStats(signal?: AbortSignal): Promise<ContainerStats[]> {
    const stats = await super.containerStats(signal);
    if (!stats.some((s) => s.memoryIncludesFileCache)) return stats;
    const unmark = (s: ContainerStats, memoryBytes = s.memoryBytes): ContainerStats => {
      const { memoryIncludesFileCache: _, ...rest } = s;
      return { ...rest, memoryBytes };
    };
    const version = await this.cgroupVersion(signal);
    if (!this.cgroupFilesReadable()) return version === 'v2' ? stats.map((s) => (s.memoryIncludesFileCache ? unmark(s) : s)) : stats;
    const listed = await this.libpod<{ Id: string; Pid?: number }[]>('GET', '/containers/json', signal).catch(() => []);
    const pids = new Map(listed.map((c) => [c.Id, c.Pid]));
    return Promise.all(
      stats.map(async (s) => {
        const pid = pids.get(s.containerId);
        if (!s.memoryIncludesFileCache) return s;
        try {
          const dir = pid ? memoryCgroupDir(await readFile(`/proc/${pid}/cgroup`, 'utf8')) : undefined;
          if (!dir) throw new Error('no memory cgroup');
          const [stat, usageText] = await Promise.all([
            readFile(`${dir}/memory.stat`, 'utf8'),
            // v1 names it memory.usage_in_bytes, v2 memory.current.
            readFile(`${dir}/memory.usage_in_bytes`, 'utf8').catch(() => readFile(`${dir}/memory.current`, 'utf8')),
          ]);
          const inactive = inactiveFileFromMemoryStat(stat);
          const usage = Number(usageText.trim());
          if (inactive === undefined || !Number.isFinite(usage)) throw new Error('no usage or inactive_file');
          return unmark(s, inactive < usage ? usage - inactive : usage);
        } catch {
          // The container ended, or its cgroup is not visible from here: on v2 Podman's own figure has no
          // file cache in it; on v1 the figure keeps its label.
          return version === 'v2' ? unmark(s) : s;
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
