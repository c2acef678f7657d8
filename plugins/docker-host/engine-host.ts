// ContainerHost over the Docker Engine API (dockerode). Podman's provider reuses this class through
// its Docker-compatible API and overrides the few places where the engines behave differently.
import type { Duplex, Readable } from 'node:stream';
import type Docker from 'dockerode';
import { WarrenError } from '../../core/errors.js';
import type { Closable, Logger } from '../../core/plugin/types.js';
import type { StackSpec } from '../../core/providers/compose.js';
import type {
  ContainerHost,
  ContainerStats,
  DeployResult,
  EngineInfo,
  ListeningPort,
  LogLine,
  LogOptions,
  ExecStream,
  OnProgress,
  StackStatus,
} from '../../core/providers/container-host.js';
import { describeConnection, openConnection, type EngineConfig, type EngineConnection } from './connection.js';
import {
  attributeListeners,
  containerName,
  cpuTotalNs,
  DockerStreamDemuxer,
  engineMessage,
  LABEL,
  LineSplitter,
  hasMemoryBreakdown,
  imageRefs,
  memoryWithoutCache,
  networkName,
  parseListenerDump,
  projectLabels,
  PullProgress,
  serviceConfigHash,
  serviceDependencies,
  splitTimestamp,
  stackNetworkKeys,
  stackVolumeKeys,
  startOrder,
  startOrderFromLabels,
  statusOf,
  summariseStack,
  timeKey,
  toCreateOptions,
  toEngineInfo,
  toServiceStatus,
  toWarrenError,
  volumeName,
  type InfoLike,
  type InspectLike,
  type PullEvent,
  type StatsLike,
  type VersionLike,
} from './translate.js';
import { assertValidStack } from './validate.js';

/** Tried in order when no helper image is configured: small images that have `sh` and `test`. */
export const DEFAULT_HELPER_IMAGES = ['busybox:latest', 'alpine:latest', 'debian:bookworm-slim', 'debian:latest', 'ubuntu:latest'];

const LISTENER_SCRIPT = 'for f in tcp tcp6 udp udp6; do echo "== $f"; cat /proc/net/$f 2>/dev/null; done';
const PING_TIMEOUT_MS = 10_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const stripSha = (id: string | undefined) => (id ?? '').replace(/^sha256:/, '');
const isGone = (e: unknown) => statusOf(e) === 404;
const nothingToDo = (e: unknown) => statusOf(e) === 304;

/** A small async queue: producers push lines from several streams, one consumer iterates. */
class LineQueue {
  private items: LogLine[] = [];
  private waiting?: () => void;
  private ended = false;
  private error?: unknown;

  push(l: LogLine): void {
    this.items.push(l);
    this.wake();
  }
  end(err?: unknown): void {
    this.ended = true;
    this.error ??= err;
    this.wake();
  }
  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
  async *drain(): AsyncGenerator<LogLine> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.ended) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((r) => (this.waiting = r));
    }
  }
}

/** The command closed its input (it exited, or the stream closed) before all of it was sent. */
class InputRefused extends Error {}

/**
 * Resolves on 'drain'; rejects with InputRefused when the stream closes, fails or its other end goes
 * away first. Both listeners are removed either way (a feed of many chunks adds none for good).
 */
export function drainOrClose(stream: Duplex, gone: Promise<void>): Promise<void> {
  if (stream.destroyed || stream.writableEnded || !stream.writable) return Promise.reject(new InputRefused('the exec stream is closed'));
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const settle = (err?: Error) => {
      if (done) return;
      done = true;
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      stream.off('ssh-closed', onClose);
      stream.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new InputRefused('the exec stream closed while its input was being sent'));
    const onError = (e: Error) => settle(new InputRefused(`the exec stream failed while its input was being sent: ${e.message}`));
    stream.on('drain', onDrain);
    stream.on('close', onClose);
    stream.on('ssh-closed', onClose);
    stream.on('error', onError);
    gone.then(onClose, onClose);
  });
}

/**
 * Feeds `input` to the stream with backpressure and closes its write side at the end, so that the
 * command sees end of input. Stops with InputRefused as soon as the command's output ended (it
 * exited: what it said is in its exit code and stderr), and always closes `input`'s iterator when
 * it stops early, so that a dump being copied is not left running.
 */
async function feedInput(stream: Duplex, input: AsyncIterable<Uint8Array>, outputEnded: Promise<void>): Promise<void> {
  const it = input[Symbol.asyncIterator]();
  let gone = false;
  // One waiter at a time (not a Promise.race per chunk, whose reactions would pile up on one promise).
  let interrupt: ((v: 'gone') => void) | undefined;
  void outputEnded.then(() => {
    gone = true;
    interrupt?.('gone');
  });
  let complete = false;
  try {
    for (;;) {
      const next = await new Promise<IteratorResult<Uint8Array> | 'gone'>((resolve, reject) => {
        if (gone) return resolve('gone');
        interrupt = resolve;
        it.next().then(resolve, reject);
      });
      interrupt = undefined;
      if (next === 'gone') throw new InputRefused('the command exited before it read all its input');
      if (next.done) {
        complete = true;
        break;
      }
      if (gone || !stream.writable) throw new InputRefused('the command exited before it read all its input');
      if (!stream.write(next.value)) await drainOrClose(stream, outputEnded);
    }
    stream.end();
  } finally {
    if (!complete) void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

export class EngineHost implements ContainerHost, Closable {
  protected readonly conn: EngineConnection;
  protected readonly docker: Docker;
  protected readonly where: string;
  private helperImageChosen?: string;
  /**
   * The container an exec goes to, by project and service, so that an exec is one create, start and
   * inspect instead of a list and an inspect per container first. Dropped when this host deploys or
   * removes the project, and looked up again when the engine says the container is gone (404) or not
   * running (409): recreated by someone else, or stopped.
   */
  private readonly execTargets = new Map<string, { id: string; tty: boolean }>();

  constructor(
    protected readonly config: EngineConfig,
    protected readonly logger?: Logger,
  ) {
    this.conn = openConnection(config.connection);
    this.docker = this.conn.docker;
    this.where = describeConnection(config.connection);
  }

  /** Checks the engine answers `/_ping`; connection problems become NotReadyError or AuthFailedError. */
  async connect(signal?: AbortSignal): Promise<void> {
    await this.call('ping the engine', async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${PING_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })), PING_TIMEOUT_MS);
      });
      const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
      try {
        await Promise.race([this.docker.ping(), timeout, aborted]);
      } finally {
        clearTimeout(timer);
      }
    });
  }

  async close(): Promise<void> {
    this.conn.close();
  }

  /** Runs an engine call, mapping whatever it throws to Warren's errors. */
  protected async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toWarrenError(e, what, this.where);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Engine

  async info(signal?: AbortSignal): Promise<EngineInfo> {
    return this.call('read engine info', async () => {
      // dockerode passes abortSignal to the request though its types omit the options: a hung engine
      // must not keep a device's poll (which aborts at its deadline) unfinished for good.
      const docker = this.docker as unknown as { info(o: { abortSignal?: AbortSignal }): Promise<InfoLike>; version(o: { abortSignal?: AbortSignal }): Promise<VersionLike> };
      const [info, version] = await Promise.all([docker.info({ abortSignal: signal }), docker.version({ abortSignal: signal })]);
      return toEngineInfo(info, version);
    });
  }

  async hasImage(ref: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.imageId(ref, signal)) !== undefined;
  }

  async listImages(signal?: AbortSignal): Promise<string[]> {
    return this.call('list images', async () => imageRefs(await this.docker.listImages({ abortSignal: signal }), { localAliases: this.shortNamesResolveLocally }));
  }

  /** Whether the engine resolves a short name `x` to a local `localhost/x` (Podman) before any registry. */
  protected readonly shortNamesResolveLocally: boolean = false;

  protected async imageId(ref: string, signal?: AbortSignal): Promise<string | undefined> {
    return this.call(`inspect image ${ref}`, async () => {
      try {
        const img = await this.docker.getImage(ref).inspect();
        return stripSha(img.Id);
      } catch (e) {
        if (isGone(e)) return undefined;
        throw e;
      }
    });
  }

  async pullImage(ref: string, onProgress: OnProgress = () => {}, signal?: AbortSignal): Promise<void> {
    const progress = new PullProgress(ref);
    try {
      const stream = (await this.docker.pull(ref, { abortSignal: signal })) as Readable;
      const onAbort = () => stream.destroy(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await new Promise<void>((resolve, reject) => {
          this.docker.modem.followProgress(
            stream,
            (err: unknown, events: PullEvent[]) => {
              const failed = events?.find((e) => e.error || e.errorDetail);
              if (err) reject(err);
              // An error inside the stream is the engine's answer (registry unreachable, no such image).
              else if (failed) reject(new WarrenError('WARREN_ERR_ENGINE', `could not pull ${ref}: ${failed.errorDetail?.message ?? failed.error}`));
              else resolve();
            },
            (e: PullEvent) => {
              if (!e.error) onProgress(progress.next(e));
            },
          );
        });
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } catch (e) {
      const mapped = toWarrenError(e, `could not pull ${ref}`, this.where);
      if (mapped instanceof WarrenError && mapped.code === 'WARREN_ERR_ENGINE') {
        throw new WarrenError('WARREN_ERR_ENGINE', mapped.message, {
          hint: `check that the device reaches the image's registry, or load the image onto the device (docker save | docker load)`,
          cause: e,
        });
      }
      throw mapped;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Stacks

  /** Inspected containers of a project (helpers excluded), keyed by service. */
  protected async projectContainers(project: string, signal?: AbortSignal): Promise<Map<string, InspectLike>> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.project}=${project}`] }, abortSignal: signal });
    const out = new Map<string, InspectLike>();
    const inspected = await Promise.all(
      list.map((c) =>
        this.docker
          .getContainer(c.Id)
          .inspect({ abortSignal: signal })
          .catch((e: unknown) => (isGone(e) ? undefined : Promise.reject(e))),
      ),
    );
    for (const c of inspected) {
      const labels = c?.Config?.Labels ?? {};
      if (!c || labels[LABEL.helper] || labels[LABEL.oneoff] === 'True') continue;
      out.set(labels[LABEL.service] ?? c.Name, c as InspectLike);
    }
    return out;
  }

  async deployStack(input: StackSpec, onProgress: OnProgress = () => {}, signal?: AbortSignal): Promise<DeployResult> {
    const spec = assertValidStack(input);
    onProgress({ phase: 'validate', subject: spec.project, message: 'stack is valid' });
    this.forgetExecTargets(spec.project);
    return this.call(`deploy ${spec.project}`, async () => {
      const existing = await this.projectContainers(spec.project, signal);
      const wanted = [...new Set(Object.values(spec.services).map((s) => s.image))];
      // Lookups only, side by side: the first create waits for all of them anyway.
      const [, present] = await Promise.all([this.preflight(spec, existing, signal), Promise.all(wanted.map((i) => this.imageId(i, signal)))]);

      const images = new Map<string, string>();
      for (const [i, image] of wanted.entries()) {
        let id = present[i];
        if (!id) {
          await this.pullImage(image, onProgress, signal);
          id = await this.imageId(image, signal);
        }
        images.set(image, id!);
      }

      for (const key of stackNetworkKeys(spec)) await this.ensureNetwork(spec, key, onProgress, signal);
      for (const key of stackVolumeKeys(spec)) await this.ensureVolume(spec, key, onProgress, signal);

      const result: DeployResult = { project: spec.project, created: [], recreated: [], unchanged: [] };
      const ids = new Map<string, string>();
      for (const name of startOrder(spec)) {
        const svc = spec.services[name]!;
        for (const [dep, condition] of Object.entries(serviceDependencies(svc))) {
          await this.waitForCondition(dep, ids.get(dep)!, condition, onProgress, signal);
        }
        const imageId = images.get(svc.image)!;
        const current = existing.get(name);
        const same =
          current &&
          current.Config?.Labels?.[LABEL.configHash] === serviceConfigHash(spec, name) &&
          stripSha(current.Image) === imageId;
        if (same) {
          ids.set(name, current.Id);
          result.unchanged.push(name);
          if (!current.State?.Running) await this.startContainer(name, current.Id, onProgress, signal);
          continue;
        }
        if (current) {
          onProgress({ phase: 'remove', subject: name, message: `recreating ${name}: its configuration or image changed` });
          await this.docker.getContainer(current.Id).remove({ force: true });
        }
        ids.set(name, await this.createContainer(spec, name, imageId, onProgress, signal));
        await this.startContainer(name, ids.get(name)!, onProgress, signal);
        (current ? result.recreated : result.created).push(name);
      }

      // Services no longer in the spec (Compose's orphans) go: the stack is what the spec says.
      for (const [name, c] of existing) {
        if (spec.services[name]) continue;
        onProgress({ phase: 'remove', subject: name, message: `removing ${name}: no longer in the stack` });
        await this.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch((e: unknown) => (isGone(e) ? undefined : Promise.reject(e)));
      }
      onProgress({ phase: 'done', subject: spec.project, message: `${result.created.length} created, ${result.recreated.length} recreated, ${result.unchanged.length} unchanged` });
      return result;
    });
  }

  /** Everything that can fail without creating anything is checked before the first create. */
  private async preflight(spec: StackSpec, existing: Map<string, InspectLike>, signal?: AbortSignal): Promise<void> {
    const problems: { path: string; message: string }[] = [];
    const taken = await Promise.all(
      Object.keys(spec.services)
        .filter((name) => !existing.has(name))
        .map(async (name) => {
          const cname = containerName(spec.project, name);
          try {
            const other = await this.docker.getContainer(cname).inspect({ abortSignal: signal });
            const owner = other.Config?.Labels?.[LABEL.project];
            return { path: `/services/${name}`, message: `a container named ${cname} already exists${owner ? ` (project ${owner})` : ''}` };
          } catch (e) {
            if (isGone(e)) return undefined;
            throw e;
          }
        }),
    );
    for (const p of taken) if (p) problems.push(p);
    for (const [kind, defs] of [
      ['networks', spec.networks],
      ['volumes', spec.volumes],
    ] as const) {
      for (const [key, def] of Object.entries(defs ?? {})) {
        if (!def.external) continue;
        const name = kind === 'networks' ? networkName(spec, key) : volumeName(spec, key);
        try {
          if (kind === 'networks') await this.docker.getNetwork(name).inspect();
          else await this.docker.getVolume(name).inspect({ abortSignal: signal });
        } catch (e) {
          if (!isGone(e)) throw e;
          problems.push({ path: `/${kind}/${key}`, message: `external ${kind === 'networks' ? 'network' : 'volume'} ${name} does not exist` });
        }
      }
    }
    if (problems.length) {
      throw new WarrenError('WARREN_ERR_CONFLICT', `cannot deploy ${spec.project}: ${problems.map((p) => p.message).join('; ')}`, {
        hint: 'remove or rename the conflicting container, or create the external network/volume first; nothing was created',
        details: problems,
      });
    }
  }

  private async ensureNetwork(spec: StackSpec, key: string, onProgress: OnProgress, signal?: AbortSignal): Promise<void> {
    const name = networkName(spec, key);
    const def = spec.networks?.[key];
    try {
      await this.docker.getNetwork(name).inspect();
      return;
    } catch (e) {
      if (!isGone(e)) throw e;
    }
    onProgress({ phase: 'network', subject: name, message: `creating network ${name}` });
    await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      ...(def?.internal ? { Internal: true } : {}),
      Labels: { ...projectLabels(spec), ...(def?.labels ?? {}), [LABEL.network]: key },
      abortSignal: signal,
    });
  }

  private async ensureVolume(spec: StackSpec, key: string, onProgress: OnProgress, signal?: AbortSignal): Promise<void> {
    const name = volumeName(spec, key);
    try {
      await this.docker.getVolume(name).inspect({ abortSignal: signal });
      return;
    } catch (e) {
      if (!isGone(e)) throw e;
    }
    onProgress({ phase: 'volume', subject: name, message: `creating volume ${name}` });
    await this.docker.createVolume({
      Name: name,
      Labels: { ...projectLabels(spec), ...(spec.volumes?.[key]?.labels ?? {}), [LABEL.volume]: key },
      abortSignal: signal,
    });
  }

  private async createContainer(spec: StackSpec, name: string, imageId: string, onProgress: OnProgress, signal?: AbortSignal): Promise<string> {
    onProgress({ phase: 'create', subject: name, message: `creating ${containerName(spec.project, name)}` });
    const plan = toCreateOptions(spec, name, imageId);
    const container = await this.docker.createContainer({ ...plan.options, abortSignal: signal } as Docker.ContainerCreateOptions);
    for (const extra of plan.extraNetworks) {
      await this.docker.getNetwork(extra.network).connect({ Container: container.id, EndpointConfig: { Aliases: extra.aliases } });
    }
    return container.id;
  }

  private async startContainer(name: string, id: string, onProgress: OnProgress, signal?: AbortSignal): Promise<void> {
    onProgress({ phase: 'start', subject: name, message: `starting ${name}` });
    await this.docker
      .getContainer(id)
      .start({ abortSignal: signal })
      .catch((e: unknown) => (nothingToDo(e) ? undefined : Promise.reject(e)));
  }

  /**
   * Runs a container's healthcheck once, for engines that only run checks from a scheduler that may
   * not be there. Docker schedules its own checks, so nothing to do here.
   */
  protected async runHealthcheck(_id: string, _signal?: AbortSignal): Promise<void> {}

  /** Waits until a dependency meets its `depends_on` condition; fails when it never can. */
  private async waitForCondition(
    service: string,
    id: string,
    condition: 'service_started' | 'service_healthy' | 'service_completed_successfully',
    onProgress: OnProgress,
    signal?: AbortSignal,
  ): Promise<void> {
    if (condition === 'service_started') return;
    let first = await this.docker.getContainer(id).inspect({ abortSignal: signal });
    const hc = first.Config?.Healthcheck as { Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number } | undefined;
    const s = (ns: number | undefined, dflt: number) => (ns ? ns / 1e9 : dflt);
    // Docker's own defaults: 30 s interval and timeout, 3 retries; then a margin for a slow machine.
    const budgetS = s(hc?.StartPeriod, 0) + (s(hc?.Interval, 30) + s(hc?.Timeout, 30)) * ((hc?.Retries ?? 3) + 1) + 30;
    const pollMs = Math.min(1000, Math.max(200, s(hc?.Interval, 1) * 250));
    const deadline = Date.now() + budgetS * 1000;
    for (;;) {
      const c = first;
      if (condition === 'service_healthy') {
        const health = c.State?.Health?.Status;
        if (health === 'healthy') {
          onProgress({ phase: 'healthy', subject: service, message: `${service} is healthy` });
          return;
        }
        if (health === 'unhealthy') throw new WarrenError('WARREN_ERR_ENGINE', `${service} became unhealthy, so the services that depend on it were not started`, { hint: `see its logs and healthcheck` });
        if (!c.State?.Running) throw new WarrenError('WARREN_ERR_ENGINE', `${service} stopped (exit ${c.State?.ExitCode}) before it became healthy`, { hint: 'see its logs' });
      } else if (!c.State?.Running && c.State?.Status !== 'created') {
        if (c.State?.ExitCode === 0) return;
        throw new WarrenError('WARREN_ERR_ENGINE', `${service} exited with ${c.State?.ExitCode}; services depending on its successful completion were not started`, { hint: 'see its logs' });
      }
      if (Date.now() > deadline) {
        throw new WarrenError('WARREN_ERR_TIMEOUT', `${service} did not become ${condition === 'service_healthy' ? 'healthy' : 'complete'} within ${Math.round(budgetS)} s`, { hint: 'see its logs and healthcheck' });
      }
      if (condition === 'service_healthy') await this.runHealthcheck(id, signal);
      await sleep(pollMs, signal);
      first = await this.docker.getContainer(id).inspect({ abortSignal: signal });
    }
  }

  /** A chance for engines whose health is only updated on demand to bring it up to date. */
  protected async freshHealth(c: InspectLike, _signal?: AbortSignal): Promise<InspectLike> {
    return c;
  }

  async stackStatus(project: string, signal?: AbortSignal): Promise<StackStatus> {
    return this.call(`read status of ${project}`, async () => {
      const containers = [...(await this.projectContainers(project, signal)).values()];
      const fresh = await Promise.all(containers.map((c) => this.freshHealth(c, signal)));
      return summariseStack(project, fresh.map(toServiceStatus));
    });
  }

  async listStacks(signal?: AbortSignal): Promise<StackStatus[]> {
    return this.call('list stacks', async () => {
      const list = await this.docker.listContainers({ all: true, filters: { label: [LABEL.project] }, abortSignal: signal });
      const projects = [...new Set(list.filter((c) => !c.Labels[LABEL.helper]).map((c) => c.Labels[LABEL.project]!))].sort();
      return Promise.all(projects.map((p) => this.stackStatus(p, signal)));
    });
  }

  private async orderedContainers(project: string, signal?: AbortSignal): Promise<InspectLike[]> {
    const containers = await this.projectContainers(project, signal);
    const order = startOrderFromLabels(
      [...containers.entries()].map(([service, c]) => ({ service, dependsOn: c.Config?.Labels?.[LABEL.dependsOn] ?? '' })),
    );
    return order.map((s) => containers.get(s)!);
  }

  async startStack(project: string, signal?: AbortSignal): Promise<void> {
    await this.call(`start ${project}`, async () => {
      const containers = await this.orderedContainers(project, signal);
      const ids = new Map(containers.map((c) => [c.Config?.Labels?.[LABEL.service] ?? c.Id, c.Id]));
      for (const c of containers) {
        for (const dep of (c.Config?.Labels?.[LABEL.dependsOn] ?? '').split(',').filter(Boolean)) {
          const [name, condition] = dep.split(':') as [string, 'service_started' | 'service_healthy' | 'service_completed_successfully'];
          // A completed one-shot dependency stays exited; starting the stack again does not rerun it.
          if (ids.has(name) && condition === 'service_healthy') await this.waitForCondition(name, ids.get(name)!, condition, () => {}, signal);
        }
        await this.startContainer(c.Config?.Labels?.[LABEL.service] ?? c.Id, c.Id, () => {}, signal);
      }
    });
  }

  async stopStack(project: string, signal?: AbortSignal): Promise<void> {
    await this.call(`stop ${project}`, async () => {
      for (const c of (await this.orderedContainers(project, signal)).reverse()) {
        await this.docker
          .getContainer(c.Id)
          .stop({ abortSignal: signal })
          .catch((e: unknown) => (nothingToDo(e) || isGone(e) ? undefined : Promise.reject(e)));
      }
    });
  }

  async removeStack(project: string, opts: { removeVolumes?: boolean } = {}, signal?: AbortSignal): Promise<void> {
    this.forgetExecTargets(project);
    await this.call(`remove ${project}`, async () => {
      const filter = { label: [`${LABEL.project}=${project}`] };
      for (const c of (await this.orderedContainers(project, signal)).reverse()) {
        await this.docker
          .getContainer(c.Id)
          .remove({ force: true, v: opts.removeVolumes ?? false })
          .catch((e: unknown) => (isGone(e) || statusOf(e) === 409 ? undefined : Promise.reject(e)));
      }
      // A network or volume another stack still uses stays: removing this stack must not break that one.
      const inUse = (what: string) => (e: unknown) => {
        if (isGone(e)) return;
        // Docker answers 403/409; Podman 500 with "is being used".
        if (statusOf(e) === 409 || statusOf(e) === 403 || /in use|being used|active endpoints/i.test(engineMessage(e))) {
          this.logger?.warn(`${what} is still in use by another container; left in place`, { project });
          return;
        }
        throw e;
      };
      for (const n of await this.docker.listNetworks({ filters: filter, abortSignal: signal })) {
        // By name: Podman 4.3 skips its in-use check when a network is removed by ID.
        await this.docker.getNetwork(n.Name).remove().catch(inUse(`network ${n.Name}`));
      }
      if (opts.removeVolumes) {
        const { Volumes } = await this.docker.listVolumes({ filters: filter, abortSignal: signal });
        for (const v of Volumes ?? []) await this.docker.getVolume(v.Name).remove().catch(inUse(`volume ${v.Name}`));
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // Logs

  async *logs(project: string, opts: LogOptions = {}): AsyncGenerator<LogLine> {
    const containers = [...(await this.call(`read logs of ${project}`, () => this.projectContainers(project, opts.signal))).entries()].filter(
      ([service]) => !opts.service || service === opts.service,
    );
    if (opts.service && containers.length === 0) {
      throw new WarrenError('WARREN_ERR_NOT_FOUND', `${project} has no service ${opts.service}`);
    }
    const base = {
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
    };
    if (!opts.follow) {
      const all: LogLine[] = [];
      for (const [service, c] of containers) {
        const raw = (await this.call(`read logs of ${service}`, () =>
          this.docker.getContainer(c.Id).logs({ ...base, follow: false, abortSignal: opts.signal }),
        )) as unknown as Buffer;
        all.push(...this.decodeLogs(service, !!c.Config?.Tty, [Buffer.from(raw)], true));
      }
      // Interleave services by time, as `docker compose logs` does; the sort keeps each service's order.
      yield* all.sort((a, b) => (timeKey(a.at) < timeKey(b.at) ? -1 : timeKey(a.at) > timeKey(b.at) ? 1 : 0));
      return;
    }

    const queue = new LineQueue();
    const streams: Readable[] = [];
    const stopAll = () => {
      for (const s of streams) s.destroy();
      queue.end();
    };
    if (opts.signal?.aborted) return;
    opts.signal?.addEventListener('abort', stopAll, { once: true });
    try {
      let open = containers.length;
      for (const [service, c] of containers) {
        const stream = (await this.call(`follow logs of ${service}`, () =>
          this.docker.getContainer(c.Id).logs({ ...base, follow: true, abortSignal: opts.signal }),
        )) as unknown as Readable;
        streams.push(stream);
        const demux = new DockerStreamDemuxer();
        const tty = !!c.Config?.Tty;
        const split = { stdout: new LineSplitter(), stderr: new LineSplitter() };
        const emit = (stream: 'stdout' | 'stderr', lines: string[]) => {
          for (const l of lines) queue.push({ service, stream, ...splitTimestamp(l) });
        };
        stream.on('data', (chunk: Buffer) => {
          const frames = tty ? [{ stream: 'stdout' as const, data: chunk }] : demux.push(chunk);
          for (const f of frames) emit(f.stream, split[f.stream].push(f.data));
        });
        const finish = () => {
          emit('stdout', split.stdout.flush());
          emit('stderr', split.stderr.flush());
          if (--open === 0) queue.end();
        };
        stream.once('end', finish);
        stream.once('error', (e) => (opts.signal?.aborted ? finish() : queue.end(toWarrenError(e, `follow logs of ${service}`, this.where))));
      }
      if (open === 0) queue.end();
      yield* queue.drain();
    } finally {
      opts.signal?.removeEventListener('abort', stopAll);
      for (const s of streams) s.destroy();
    }
  }

  private decodeLogs(service: string, tty: boolean, chunks: Buffer[], flush: boolean): LogLine[] {
    const demux = new DockerStreamDemuxer();
    const split = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const out: LogLine[] = [];
    for (const chunk of chunks) {
      for (const f of tty ? [{ stream: 'stdout' as const, data: chunk }] : demux.push(chunk)) {
        for (const l of split[f.stream].push(f.data)) out.push({ service, stream: f.stream, ...splitTimestamp(l) });
      }
    }
    if (flush) {
      for (const stream of ['stdout', 'stderr'] as const) {
        for (const l of split[stream].flush()) out.push({ service, stream, ...splitTimestamp(l) });
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // The device itself, through short-lived helper containers

  protected async helperImage(signal?: AbortSignal): Promise<string> {
    if (this.helperImageChosen) return this.helperImageChosen;
    const candidates = this.config.helperImage ? [this.config.helperImage] : DEFAULT_HELPER_IMAGES;
    for (const image of candidates) {
      if (await this.hasImage(image, signal)) return (this.helperImageChosen = image);
    }
    // A device with a registry gets the smallest candidate; one without must be told what to load.
    try {
      await this.pullImage(candidates[0]!, undefined, signal);
      return (this.helperImageChosen = candidates[0]!);
    } catch (e) {
      throw new WarrenError('WARREN_ERR_ENGINE', `no helper image on ${this.where} to look at the device (tried ${candidates.join(', ')})`, {
        hint: 'set helperImage to any local image that has sh, cat and test (e.g. busybox), or load busybox onto the device',
        cause: e,
      });
    }
  }

  /** Runs a helper container to completion and returns its exit code and stdout. */
  protected async runHelper(cmd: string[], hostConfig: Record<string, unknown>, signal?: AbortSignal): Promise<{ exitCode: number; output: string }> {
    const image = await this.helperImage(signal);
    const container = await this.docker.createContainer({
      Image: image,
      Entrypoint: [],
      Cmd: cmd,
      Labels: { [LABEL.helper]: 'true', [LABEL.managed]: 'true' },
      NetworkDisabled: hostConfig.NetworkMode === undefined,
      HostConfig: { NetworkMode: 'none', ...hostConfig },
      abortSignal: signal,
    } as Docker.ContainerCreateOptions);
    try {
      await container.start({ abortSignal: signal });
      const { StatusCode } = (await container.wait({ abortSignal: signal })) as { StatusCode: number };
      const raw = (await container.logs({ stdout: true, stderr: false, follow: false })) as unknown as Buffer;
      const text = new DockerStreamDemuxer()
        .push(Buffer.from(raw))
        .filter((f) => f.stream === 'stdout')
        .map((f) => f.data.toString('utf8'))
        .join('');
      return { exitCode: StatusCode, output: text };
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  async listeningPorts(signal?: AbortSignal): Promise<ListeningPort[]> {
    return this.call('list listening ports', async () => {
      // The host's network namespace shows every socket on the device, not only containers'.
      const [{ exitCode, output }, running] = await Promise.all([
        this.runHelper(['sh', '-c', LISTENER_SCRIPT], { NetworkMode: 'host' }, signal),
        this.docker.listContainers({ abortSignal: signal }),
      ]);
      if (exitCode !== 0) throw new WarrenError('WARREN_ERR_ENGINE', `reading /proc/net on the device failed (exit ${exitCode})`);
      const published = running.flatMap((c) =>
        (c.Ports ?? [])
          .filter((p) => p.PublicPort)
          .map((p) => ({ port: p.PublicPort, protocol: p.Type === 'udp' ? ('udp' as const) : ('tcp' as const), container: (c.Names?.[0] ?? c.Id).replace(/^\//, '') })),
      );
      return attributeListeners(parseListenerDump(output), published);
    });
  }

  async hasDevicePath(path: string, signal?: AbortSignal): Promise<boolean> {
    if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0') || path.split('/').includes('..')) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `device path must be absolute without "..": ${JSON.stringify(path)}`, {
        details: [{ path: '/path', message: 'must be an absolute path without ..' }],
      });
    }
    return this.call(`check ${path}`, async () => {
      // The host's root, read-only and recursively (so /dev, /mnt, /sys submounts are there), and the
      // path passed as an argument, never spliced into the script.
      const { exitCode } = await this.runHelper(['sh', '-c', 'test -e "$1"', 'sh', `/host${path}`], { Binds: ['/:/host:ro'] }, signal);
      return exitCode === 0;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Stats and exec

  async containerStats(signal?: AbortSignal): Promise<ContainerStats[]> {
    return this.call('read container stats', async () => {
      const running = (await this.docker.listContainers({ abortSignal: signal })).filter((c) => !c.Labels?.[LABEL.helper]);
      const out = await Promise.all(
        running.map(async (c): Promise<ContainerStats | undefined> => {
          // Aborted with the poll: a slow engine's stats otherwise outlive it. @types/dockerode omits
          // the abortSignal that docker-modem honours.
          const s = (await this.docker
            .getContainer(c.Id)
            .stats({ stream: false, abortSignal: signal } as { stream: false })
            .catch((e: unknown) => (isGone(e) ? undefined : Promise.reject(e)))) as StatsLike | undefined;
          if (!s) return undefined;
          return {
            containerId: c.Id,
            name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
            ...(c.Labels?.[LABEL.project] ? { project: c.Labels[LABEL.project] } : {}),
            ...(c.Labels?.[LABEL.service] ? { service: c.Labels[LABEL.service] } : {}),
            memoryBytes: memoryWithoutCache(s),
            ...(hasMemoryBreakdown(s) ? {} : { memoryIncludesFileCache: true as const }),
            ...(s.memory_stats?.limit ? { memoryLimitBytes: s.memory_stats.limit } : {}),
            cpuTotalNs: cpuTotalNs(s),
            at: Date.now(),
          };
        }),
      );
      return out.filter((s): s is ContainerStats => s !== undefined);
    });
  }

  private async execTarget(project: string, service: string, fresh: boolean, signal?: AbortSignal): Promise<{ id: string; tty: boolean; cached: boolean }> {
    const key = `${project}\u0000${service}`;
    const hit = fresh ? undefined : this.execTargets.get(key);
    if (hit) return { ...hit, cached: true };
    const c = (await this.projectContainers(project, signal)).get(service);
    if (!c) {
      this.execTargets.delete(key);
      throw new WarrenError('WARREN_ERR_NOT_FOUND', `${project} has no container for service ${service}`);
    }
    const target = { id: c.Id, tty: Boolean(c.Config?.Tty) };
    this.execTargets.set(key, target);
    return { ...target, cached: false };
  }

  private forgetExecTargets(project: string): void {
    for (const key of this.execTargets.keys()) if (key.startsWith(`${project}\u0000`)) this.execTargets.delete(key);
  }

  /** An exec created in the service's container; a remembered container that is gone or stopped is looked up again once. */
  private async createExec(project: string, service: string, opts: Docker.ExecCreateOptions & { abortSignal?: AbortSignal }): Promise<{ exec: Docker.Exec; tty: boolean }> {
    const signal = opts.abortSignal;
    const target = await this.execTarget(project, service, false, signal);
    try {
      return { exec: await this.docker.getContainer(target.id).exec(opts), tty: target.tty };
    } catch (e) {
      if (!target.cached || (statusOf(e) !== 404 && statusOf(e) !== 409)) throw e;
      const fresh = await this.execTarget(project, service, true, signal);
      return { exec: await this.docker.getContainer(fresh.id).exec(opts), tty: fresh.tty };
    }
  }

  async execStream(project: string, service: string, cmd: string[], opts: { stdin?: AsyncIterable<Uint8Array>; signal?: AbortSignal } = {}): Promise<ExecStream> {
    const { stdin, signal } = opts;
    const { exec, stream, tty } = await this.call(`exec in ${project}/${service}`, async () => {
      const { exec, tty } = await this.createExec(project, service, { Cmd: cmd, AttachStdin: !!stdin, AttachStdout: true, AttachStderr: true, abortSignal: signal });
      const stream = (await exec.start({ hijack: true, stdin: !!stdin })) as unknown as Duplex;
      return { exec, stream, tty };
    });
    const where = this.where;
    const close = () => {
      if (!stream.readableEnded || !stream.writableFinished) stream.destroy();
    };
    const onAbort = () => stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    // Settles when the command's output has ended (the command exited, or the stream was closed).
    let outputEnded!: () => void;
    const ended = new Promise<void>((resolve) => (outputEnded = resolve));
    let fed: Promise<void> = Promise.resolve();
    if (stdin) fed = feedInput(stream, stdin, ended);
    // The input failed (the dump being copied broke off, say): the command must not take a cut input for a whole one.
    fed.catch((e) => {
      if (!(e instanceof InputRefused)) close();
    });
    const demux = new DockerStreamDemuxer();
    let stderr = '';
    let finished = false;
    // Podman resets the attach connection when a command exits while its input is still being sent
    // (read ECONNRESET). The output then ends here and wait() judges it: the command's exit code when
    // it failed, an error when it exited 0 or is still running (its output may be cut).
    let reset: Error | undefined;
    const output = (async function* () {
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          for (const f of tty ? [{ stream: 'stdout' as const, data: chunk }] : demux.push(chunk)) {
            if (f.stream === 'stdout') yield new Uint8Array(f.data);
            else if (stderr.length < 65536) stderr += f.data.toString('utf8');
          }
        }
      } catch (e) {
        if (!stdin || (e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
        reset = e as Error;
      } finally {
        // Left early (the reader stopped): the command is cut off rather than left blocked on its output.
        close();
        finished = true;
        outputEnded();
        signal?.removeEventListener('abort', onAbort);
      }
    })();
    // A reader that gives up before its first read still closes the stream (an async generator's
    // return() before its first next() would not run its finally).
    const stdout: AsyncIterableIterator<Uint8Array> = {
      next: () => output.next(),
      return: async (value?: unknown) => {
        if (!finished) {
          close();
          finished = true;
          outputEnded();
          signal?.removeEventListener('abort', onAbort);
        }
        return output.return(value as undefined);
      },
      throw: (e?: unknown) => output.throw(e),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return {
      stdout,
      wait: async () => {
        if (!finished) for await (const _ of stdout) void _;
        const feedError = await fed.then(
          () => undefined,
          (e: unknown) => e,
        );
        if (reset) {
          // As below, the engine may record the exit a moment late: -1 when it has none (still running).
          const exitCode = await this.exitCodeOf(exec, signal);
          if (exitCode <= 0) {
            throw new WarrenError('WARREN_ERR_ENGINE', `exec in ${project}/${service} on ${where}: the engine reset the stream while the command ${exitCode === 0 ? 'ended' : 'was still running'}; its output may be incomplete`, { cause: reset });
          }
          const note = 'the engine reset the stream when the command stopped reading its input: its own error output may be cut';
          return { exitCode, stderr: stderr ? `${stderr.trimEnd()}\n(${note})` : `(${note})` };
        }
        if (feedError && !(feedError instanceof InputRefused)) throw feedError;
        const exitCode = await this.exitCodeOf(exec, signal);
        // The command stopped reading its input: its own exit code and stderr say why (psql's error).
        if (feedError && exitCode === 0) {
          throw new WarrenError('WARREN_ERR_ENGINE', `exec in ${project}/${service} on ${where}: the command exited before it read all its input`);
        }
        return { exitCode, stderr };
      },
    };
  }

  /** The exit code of a finished exec; the engine may record it a moment after the output ends. */
  private async exitCodeOf(exec: Docker.Exec, signal?: AbortSignal): Promise<number> {
    for (let i = 0; ; i++) {
      const { ExitCode, Running } = await exec.inspect({ abortSignal: signal });
      if ((ExitCode !== null && ExitCode !== undefined && !Running) || i >= 20) return ExitCode ?? -1;
      await sleep(50, signal);
    }
  }

  async exec(project: string, service: string, cmd: string[], signal?: AbortSignal): Promise<{ exitCode: number; output: string }> {
    return this.call(`exec in ${project}/${service}`, async () => {
      const { exec, tty } = await this.createExec(project, service, { Cmd: cmd, AttachStdout: true, AttachStderr: true, abortSignal: signal });
      const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
      const demux = new DockerStreamDemuxer();
      const parts: Buffer[] = [];
      const onAbort = () => stream.destroy(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await new Promise<void>((resolve, reject) => {
          stream.on('data', (chunk: Buffer) => {
            for (const f of tty ? [{ data: chunk }] : demux.push(chunk)) parts.push(f.data);
          });
          stream.once('end', resolve);
          stream.once('close', resolve);
          stream.once('error', reject);
        });
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      // As execStream: the engine may record the exit code (and Running: false) a moment after the output ends.
      return { exitCode: await this.exitCodeOf(exec, signal), output: Buffer.concat(parts).toString('utf8') };
    });
  }
}
