// The device inventory. A device is a row in `store.devices` plus provider instances: its engine
// (`device-<id>`, docker-host or podman-host), the engine's metrics (`device-<id>-engine-metrics`) and,
// when it has one, a host metrics source (`device-<id>-host`: ssh-procfs or node-exporter; a local
// socket's host is read from this machine's /proc). Unreachable devices are polled like any other and
// show as offline with the reason; nothing here lets one device's trouble reach the rest of the hub.
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { describeError, WarrenError, type ErrorDetail } from '../errors.js';
import type { Hub } from '../hub.js';
import { normalizeDeviceArch, normalizeImageRef, type DeviceSnapshot, type Snapshot } from '../placement/index.js';
import { DeviceTable } from '../placement/table.js';
import type { ConnectionTestResult } from '../plugin/types.js';
import type { ContainerHost, EngineInfo } from '../providers/container-host.js';
import type { MetricsSource } from '../providers/metrics-source.js';
import type { Device } from '../store/index.js';
import { DeviceSource } from './device-source.js';
import {
  ENGINE_PLUGINS,
  engineConfig,
  hostSourcePlan,
  instanceIds,
  parseDeviceInput,
  parseTestInput,
  publicConnection,
  slugify,
  type DeviceInput,
  type EngineKind,
} from './input.js';
import { LocalHostSource } from './local-host-source.js';
import type { MetricsService, SummaryDeviceRow } from './metrics-service.js';

/** Device paths apps commonly ask for (GPU transcoding, Zigbee/Z-Wave sticks, VPNs). */
export const PROBED_DEVICE_PATHS = ['/dev/dri', '/dev/ttyUSB0', '/dev/ttyACM0', '/dev/net/tun'];

// Generous: a loaded two-core box takes seconds to start a container.
const PROBE_TIMEOUT_MS = 60_000;
const INFO_TIMEOUT_MS = 15_000;

export interface DeviceView {
  id: string;
  name: string;
  engine: string | null;
  connection: Record<string, unknown>;
  labels: Record<string, string>;
  reserve: Record<string, unknown>;
  cordoned: boolean;
  arch: string | null;
  state: 'fresh' | 'stale' | 'offline';
  online: boolean;
  reason: string;
  message: string;
  /** Age of the newest reading; null before the first one. */
  ageSeconds: number | null;
  lastFailure?: { at: number; code: string; message: string };
  /** The host figures' source, and its newest failure while the engine still answered. */
  hostMetrics: { source: string; failure?: string };
  instances: { role: 'engine' | 'engine-metrics' | 'host'; id: string; state: string; error?: string }[];
  figures: Pick<SummaryDeviceRow, 'memory' | 'storage' | 'cpu' | 'load1'>;
  cpuScore: { perCore: number; basis: 'benchmark' | 'default' | 'assumed'; note?: string };
  availability7d: number | null;
  engineInfo?: EngineInfo;
  createdAt: number;
}

export interface DeviceTestResult {
  ok: boolean;
  message: string;
  engine: ConnectionTestResult;
  metrics?: { source: string; ok: boolean; message: string };
}

export interface DeviceServiceOptions {
  /** Register this machine's Docker (or Podman) socket as the first device. */
  localDevice: boolean;
  /** Where to look for it, in order. */
  localSockets?: { engine: EngineKind; socketPath: string }[];
}

export function defaultLocalSockets(env: NodeJS.ProcessEnv = process.env): { engine: EngineKind; socketPath: string }[] {
  return [
    { engine: 'docker', socketPath: '/var/run/docker.sock' },
    { engine: 'podman', socketPath: '/run/podman/podman.sock' },
    ...(env.XDG_RUNTIME_DIR ? [{ engine: 'podman' as const, socketPath: `${env.XDG_RUNTIME_DIR}/podman/podman.sock` }] : []),
  ];
}

const isSocket = (p: string) => {
  try {
    return statSync(p).isSocket();
  } catch {
    return false;
  }
};

function withTimeout<T>(ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  return Promise.race([
    fn(signal),
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new WarrenError('WARREN_ERR_TIMEOUT', `no answer within ${ms / 1000} s`)), { once: true })),
  ]);
}

interface Inventory {
  at: number;
  listeningPorts: string[];
  devicePaths: string[];
  /** Device paths change with hardware, not with every app: probed less often. */
  devicePathsAt: number;
  stackImages: string[];
  /**
   * The engine's image listing: every ref its images answer to, normalized. Undefined while listing
   * fails (or before it first answered): placement then asks the engine about an app's images one by
   * one (hasImage), as it did before engines listed them.
   */
  imageRefs?: ReadonlySet<string>;
  /** When the read of imageRefs started, to keep a newer one (read after a deploy) over an older refresh's. */
  imagesAt: number;
  /** stackImages and imageRefs, normalized and sorted: a placement row's images, one array kept as is. */
  knownImages: string[];
}

/** An inventory's images as a placement row holds them. */
function knownImagesOf(stackImages: readonly string[], imageRefs: ReadonlySet<string> | undefined): string[] {
  return [...new Set([...stackImages.map((r) => normalizeImageRef(r)), ...(imageRefs ?? [])])].sort();
}

function sameSet(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * A row's images from the engine's listing, no engine call: all the device's images for the kept table
 * (the inventory's array itself, so an unchanged row compares equal at once), else its stacks' images
 * and those of `wanted` it holds. A `name:tag@digest` ref found by its digest is added as asked.
 */
function imagesListed(inv: Inventory, wanted: readonly string[], known: boolean): string[] {
  const refs = inv.imageRefs!;
  const found = wanted.filter((r) => listed(refs, r)).map((r) => normalizeImageRef(r));
  if (known) return found.every((r) => refs.has(r)) ? inv.knownImages : [...new Set([...inv.knownImages, ...found])].sort();
  return [...new Set([...inv.stackImages.map((r) => normalizeImageRef(r)), ...found])].sort();
}

/** Whether a listing holds `ref`; a `name:tag@digest` ref is found by its digest as the engine finds it. */
function listed(refs: ReadonlySet<string>, ref: string): boolean {
  const n = normalizeImageRef(ref);
  if (refs.has(n)) return true;
  const at = n.indexOf('@');
  if (at < 0) return false;
  const colon = n.lastIndexOf(':', at);
  return colon > n.lastIndexOf('/', at) && refs.has(n.slice(0, colon) + n.slice(at));
}

const DEVICE_PATHS_MAX_AGE_MS = 10 * 60_000;

export class DeviceService {
  private readonly engineInfos = new Map<string, { at: number; info: EngineInfo }>();
  private readonly inventories = new Map<string, Inventory>();
  private readonly probing = new Map<string, Promise<Inventory>>();
  /** provider instance id → device id, to poll a device as soon as its engine connection is ready. */
  private readonly byInstance = new Map<string, string>();
  private readonly owner = 'devices';
  /**
   * For a device whose engine's listing fails: image refs found present by the image checks of
   * placements (normalized), so that its row still holds its known images, not one app's.
   */
  private readonly knownImages = new Map<string, Set<string>>();
  /**
   * The live inventory as placement ranks it, kept between rankings: a row is rewritten only when its
   * device's snapshot (figures, age, lists, reservations) differs from the one the row holds.
   */
  private readonly table = new DeviceTable();

  constructor(
    private readonly hub: Hub,
    private readonly metrics: MetricsService,
    private readonly opts: DeviceServiceOptions,
  ) {}

  async start(): Promise<void> {
    const { hub } = this;
    hub.bus.on(
      'provider.state',
      (e) => {
        const id = this.byInstance.get(e.instance);
        if (id && e.state === 'ready') void this.metrics.pollNow([id]);
      },
      this.owner,
    );
    hub.bus.on(
      'device.state',
      (e) => {
        const host = e.state === 'fresh' && !this.inventories.has(e.device) ? this.containerHost(e.device) : undefined;
        if (host) void this.refreshInventory(e.device, host);
        this.publish(e.device);
      },
      this.owner,
    );
    hub.bus.on('device.metrics', (e) => this.publish(e.device), this.owner);
    hub.bus.on('device.updated', (e) => this.publish(e.device), this.owner);
    const devices = await hub.store.devices.list();
    for (const d of devices) this.follow(d);
    if (devices.length === 0 && this.opts.localDevice) {
      // After the plugin host has read its stored instances: an instance created earlier would be
      // started twice (once here, once by the hub's own start of every stored instance).
      hub.bus.on('hub.started', () => void this.registerLocalDevice(), this.owner);
    }
  }

  async stop(): Promise<void> {
    this.hub.bus.releaseOwner(this.owner);
    await Promise.allSettled([...this.probing.values()]);
  }

  /** The room `device:<id>` gets the whole device view, the same shape as its snapshot; built only while watched. */
  private publish(id: string): void {
    if (!this.metrics.polled(id)?.watched) return;
    this.get(id).then(
      (view) => this.hub.sockets.publish(`device:${id}`, view),
      () => {}, // removed meanwhile
    );
  }

  private follow(d: Device): void {
    const ids = instanceIds(d.id);
    for (const i of Object.values(ids)) this.byInstance.set(i, d.id);
    const metricsSource = (d.connection.metrics as { source?: string } | undefined)?.source;
    const host: { instance: string } | { source: MetricsSource } | undefined =
      metricsSource === 'ssh-procfs' || metricsSource === 'node-exporter' ? { instance: ids.host } : metricsSource === 'local' ? { source: new LocalHostSource() } : undefined;
    const source = new DeviceSource(
      { deviceId: d.id, engineInstance: ids.engineMetrics, ...(host ? { host } : {}) },
      {
        provider: (id) => this.hub.plugins.provider(id, 'metrics-source'),
        info: (id) => this.hub.plugins.instanceInfo(id),
      },
      (seconds, ok) => this.metrics.observePoll(d.id, seconds, ok),
    );
    this.metrics.track(d.id, d.name, source);
  }

  private async registerLocalDevice(): Promise<void> {
    try {
      if ((await this.hub.store.devices.list()).length > 0) return;
      const found = (this.opts.localSockets ?? defaultLocalSockets()).find((s) => isSocket(s.socketPath));
      if (!found) {
        this.hub.logger.info('no local Docker or Podman socket found; add devices with `warren devices add`');
        return;
      }
      const d = await this.add({ name: hostname() || 'local', engine: found.engine, connection: { type: 'socket', socketPath: found.socketPath } });
      this.hub.logger.info({ device: d.id }, `registered this machine's ${found.engine} (${found.socketPath}) as device "${d.name}"`);
    } catch (err) {
      this.hub.logger.warn({ err }, 'registering the local engine as a device failed');
    }
  }

  // ---- changes --------------------------------------------------------------------------------

  async add(raw: unknown): Promise<DeviceView> {
    const input = parseDeviceInput(raw);
    const { store, plugins } = this.hub;
    if (await store.devices.findByName(input.name)) {
      throw new WarrenError('WARREN_ERR_CONFLICT', `a device named "${input.name}" exists already`, { details: [{ path: '/name', message: 'is taken' }] });
    }
    const id = await this.freeId(slugify(input.name));
    const ids = instanceIds(id);
    const engine = ENGINE_PLUGINS[input.engine];
    const plan = hostSourcePlan(input);
    const row = await store.devices.insert({
      id,
      name: input.name,
      connection: publicConnection(input),
      engine: input.engine,
      labels: input.labels,
      reserve: input.reserve,
    });
    const created: string[] = [];
    try {
      const create = async (instance: string, plugin: string, provider: string, config: Record<string, unknown>, base: string) => {
        try {
          await plugins.createInstance({ id: instance, plugin, provider, config });
          created.push(instance);
        } catch (e) {
          throw rebase(e, base);
        }
      };
      await create(ids.engine, engine.plugin, engine.provider, engineConfig(input), '');
      await create(ids.engineMetrics, engine.plugin, 'engine-metrics', engineConfig(input), '');
      if (plan.kind === 'ssh-procfs' || plan.kind === 'node-exporter') {
        const base = plan.kind === 'node-exporter' ? '/nodeExporterUrl' : input.ssh ? '/ssh' : '/connection';
        await create(ids.host, plan.plugin, plan.provider, plan.config, base);
      }
    } catch (e) {
      for (const i of created.reverse()) await plugins.removeInstance(i).catch(() => {});
      await store.devices.delete(id).catch(() => {});
      throw e;
    }
    this.follow(row);
    this.hub.bus.emit('device.added', { device: id, name: input.name });
    void this.metrics.pollNow([id]);
    return this.view(row);
  }

  private async freeId(base: string): Promise<string> {
    for (let n = 1; ; n++) {
      const id = n === 1 ? base : `${base}-${n}`;
      if (!(await this.hub.store.devices.get(id)) && !this.hub.plugins.instanceInfo(instanceIds(id).engine)) return id;
    }
  }

  async remove(id: string): Promise<void> {
    const d = await this.row(id);
    const apps = await this.hub.store.apps.list({ device: id });
    if (apps.length > 0) {
      throw new WarrenError('WARREN_ERR_CONFLICT', `device "${d.name}" still runs ${apps.length} app(s): ${apps.map((a) => a.id).join(', ')}`, {
        hint: 'Move or remove those apps first.',
      });
    }
    this.metrics.untrack(id);
    const ids = instanceIds(id);
    for (const i of [ids.host, ids.engineMetrics, ids.engine]) {
      await this.hub.plugins.removeInstance(i);
      this.byInstance.delete(i);
    }
    await this.hub.store.devices.delete(id);
    this.engineInfos.delete(id);
    this.inventories.delete(id);
    this.knownImages.delete(id);
    this.table.remove(id);
    this.hub.bus.emit('device.removed', { device: id });
  }

  async setCordoned(id: string, cordoned: boolean): Promise<DeviceView> {
    await this.row(id);
    const row = await this.hub.store.devices.update(id, { cordoned });
    this.hub.bus.emit('device.updated', { device: id });
    return this.view(row);
  }

  /** "Test connection" before saving: nothing is stored, nothing stays open. */
  async test(raw: unknown): Promise<DeviceTestResult> {
    const input = parseTestInput(raw);
    const engine = ENGINE_PLUGINS[input.engine];
    const plan = hostSourcePlan(input);
    const [eng, host] = await Promise.all([
      this.hub.plugins.testConfig(engine.plugin, engine.provider, engineConfig(input)),
      plan.kind === 'ssh-procfs' || plan.kind === 'node-exporter'
        ? this.hub.plugins.testConfig(plan.plugin, plan.provider, plan.config)
        : plan.kind === 'local'
          ? new LocalHostSource().collect().then(
              (r) => ({ ok: true, message: `read this machine's /proc: ${r.cpu?.cores} cores, ${((r.memory?.totalBytes ?? 0) / 2 ** 30).toFixed(1)} GiB RAM` }),
              (e: Error) => ({ ok: false, message: e.message }),
            )
          : undefined,
    ]);
    return testResult(eng, plan.kind, host);
  }

  /** "Test connection" with a saved device's stored configuration (secrets included). */
  async testSaved(id: string): Promise<DeviceTestResult> {
    const d = await this.row(id);
    const ids = instanceIds(id);
    const run = (instance: string) => {
      const info = this.hub.plugins.instanceInfo(instance);
      if (!info) return Promise.resolve({ ok: false, message: `provider instance ${instance} is missing` });
      return this.hub.plugins.testConfig(info.plugin, info.provider, info.config, info.id);
    };
    const source = (d.connection.metrics as { source?: string } | undefined)?.source ?? 'none';
    const [eng, host] = await Promise.all([
      run(ids.engine),
      source === 'ssh-procfs' || source === 'node-exporter'
        ? run(ids.host)
        : source === 'local'
          ? new LocalHostSource().collect().then(
              () => ({ ok: true, message: "read this machine's /proc" }),
              (e: Error) => ({ ok: false, message: e.message }),
            )
          : undefined,
    ]);
    return testResult(eng, source, host);
  }

  // ---- queries --------------------------------------------------------------------------------

  private async row(id: string): Promise<Device> {
    const d = await this.hub.store.devices.get(id);
    if (!d) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no device "${id}"`, { hint: 'GET /api/devices (or `warren devices list`) lists them.' });
    return d;
  }

  async get(id: string): Promise<DeviceView> {
    return this.view(await this.row(id));
  }

  async list(): Promise<DeviceView[]> {
    return Promise.all((await this.hub.store.devices.list()).map((d) => this.view(d)));
  }

  private containerHost(id: string): ContainerHost | undefined {
    return this.hub.plugins.provider(instanceIds(id).engine, 'container-host');
  }

  /** The engine's own description, refreshed at most every ten polls; undefined while unreachable. */
  private async engineInfo(d: Device, online: boolean): Promise<EngineInfo | undefined> {
    const cached = this.engineInfos.get(d.id);
    if (cached && Date.now() - cached.at < 10 * this.metrics.intervalMs) return cached.info;
    const host = this.containerHost(d.id);
    if (!host || !online) return cached?.info;
    try {
      const info = await withTimeout(INFO_TIMEOUT_MS, (signal) => host.info(signal));
      this.engineInfos.set(d.id, { at: Date.now(), info });
      // With the variant the engine reports (`arm/v7`): placement matches images by it.
      const arch = info.variant ? `${info.arch}/${info.variant}` : info.arch;
      if (d.arch !== arch) {
        await this.hub.store.devices.update(d.id, { arch }).catch(() => {});
        d.arch = arch;
      }
      return info;
    } catch (err) {
      this.hub.logger.debug({ err, device: d.id }, 'reading engine info failed');
      return cached?.info;
    }
  }

  private async view(d: Device): Promise<DeviceView> {
    const polled = this.metrics.polled(d.id);
    const status = polled?.status ?? { state: 'stale' as const, reason: 'no-sample-yet' as const, message: 'not polled yet' };
    const online = status.state !== 'offline';
    const now = Date.now();
    const ids = instanceIds(d.id);
    const source = (d.connection.metrics as { source?: string } | undefined)?.source ?? 'none';
    const roles = [
      ['engine', ids.engine],
      ['engine-metrics', ids.engineMetrics],
      ...(source === 'ssh-procfs' || source === 'node-exporter' ? [['host', ids.host] as const] : []),
    ] as const;
    const f = polled?.figures ?? {};
    const fsList = f.filesystems?.list ?? [];
    const sum = (k: 'totalBytes' | 'usedBytes' | 'availableBytes') => fsList.reduce((a, x) => a + x[k], 0);
    const ageOf = (at: number) => Math.round((now - at) / 100) / 10;
    const hostFailure = this.metrics.hostFailure(d.id);
    const [engineInfo, availability7d] = await Promise.all([this.engineInfo(d, online), this.metrics.availability7d(d.id, now)]);
    return {
      id: d.id,
      name: d.name,
      engine: d.engine,
      connection: d.connection,
      labels: d.labels,
      reserve: d.reserve,
      cordoned: d.cordoned,
      arch: platformOf(f.arch?.arch, engineInfo ? (engineInfo.variant ? `${engineInfo.arch}/${engineInfo.variant}` : engineInfo.arch) : undefined, d.arch),
      state: status.state,
      online,
      reason: status.reason,
      message: status.message,
      ageSeconds: status.ageMs === undefined ? null : Math.round(status.ageMs / 100) / 10,
      ...(polled?.lastFailure ? { lastFailure: polled.lastFailure } : {}),
      hostMetrics: { source, ...(hostFailure ? { failure: hostFailure.message } : {}) },
      instances: roles.map(([role, id]) => {
        const info = this.hub.plugins.instanceInfo(id);
        return { role, id, state: info?.state ?? 'missing', ...(info?.error ? { error: info.error.message } : {}) };
      }),
      figures: {
        ...(f.memory ? { memory: { totalBytes: f.memory.totalBytes, usedBytes: f.memory.usedBytes, availableBytes: f.memory.availableBytes, ageSeconds: ageOf(f.memory.at) } } : {}),
        ...(f.filesystems ? { storage: { totalBytes: sum('totalBytes'), usedBytes: sum('usedBytes'), availableBytes: sum('availableBytes'), ageSeconds: ageOf(f.filesystems.at) } } : {}),
        ...(f.cpu ? { cpu: { utilisation: f.cpu.utilisation, cores: f.cpu.cores, ageSeconds: ageOf(f.cpu.at) } } : {}),
        ...(f.load ? { load1: f.load.load1 } : {}),
      },
      cpuScore: f.cpuScore
        ? { perCore: f.cpuScore.perCore, basis: f.cpuScore.basis }
        : { perCore: 1, basis: 'assumed', note: 'no benchmark has run on this device (it runs over SSH); 1.0 = the reference core is assumed' },
      availability7d,
      ...(engineInfo ? { engineInfo } : {}),
      createdAt: d.createdAt,
    };
  }

  /**
   * Ports, device paths and the images of the device's stacks. Each port or path probe is a helper
   * container (seconds on a small box), so a snapshot answers from the cache and refreshes it in the
   * background once it is older than a poll interval; only a device never probed is waited for. The
   * first probe starts as soon as a device is fresh, so placement rarely waits at all.
   */
  private inventory(id: string, host: ContainerHost): Promise<Inventory> {
    const cached = this.inventories.get(id);
    if (cached && Date.now() - cached.at < this.metrics.intervalMs) return Promise.resolve(cached);
    const refreshing = this.refreshInventory(id, host);
    return cached ? Promise.resolve(cached) : refreshing;
  }

  /** One refresh at a time per device; a part that fails keeps its previous value and says so in the log. */
  private refreshInventory(id: string, host: ContainerHost): Promise<Inventory> {
    const running = this.probing.get(id);
    if (running) return running;
    const cached = this.inventories.get(id);
    const part = async <T>(what: string, fn: (signal: AbortSignal) => Promise<T>, previous: T): Promise<T> => {
      try {
        return await withTimeout(PROBE_TIMEOUT_MS, fn);
      } catch (err) {
        // Expected while a device lacks a helper image; the message says which, a stack trace would not.
        const d = describeError(err);
        this.hub.logger.warn({ device: id, code: d.code }, `device ${id}: reading its ${what} failed: ${d.message}`);
        return previous;
      }
    };
    const pathsDue = !cached || Date.now() - cached.devicePathsAt >= DEVICE_PATHS_MAX_AGE_MS;
    const startedAt = Date.now();
    const p = (async () => {
      const [listeningPorts, devicePaths, stackImages, imageRefs] = await Promise.all([
        part('listening ports', async (signal) => [...new Set((await host.listeningPorts(signal)).map((x) => `${x.port}/${x.protocol}`))].sort(), cached?.listeningPorts ?? []),
        pathsDue
          ? part(
              'device paths',
              async (signal) => {
                const found = await Promise.all(PROBED_DEVICE_PATHS.map(async (path) => ((await host.hasDevicePath(path, signal)) ? path : undefined)));
                return found.filter((x): x is string => x !== undefined);
              },
              cached?.devicePaths ?? [],
            )
          : cached.devicePaths,
        part('stacks', (signal) => this.stackImages(host, signal), cached?.stackImages ?? []),
        part<ReadonlySet<string> | undefined>('images', (signal) => this.imageRefs(host, signal), undefined),
      ]);
      const now = Date.now();
      // A listing read meanwhile (after a deploy) is newer than this refresh's.
      const newer = this.inventories.get(id);
      const images = newer && newer.imagesAt > startedAt ? { imageRefs: newer.imageRefs, imagesAt: newer.imagesAt } : { imageRefs, imagesAt: startedAt };
      const inv: Inventory = {
        at: now,
        listeningPorts,
        devicePaths,
        devicePathsAt: pathsDue ? now : cached!.devicePathsAt,
        stackImages,
        ...images,
        knownImages: cached && sameValue(cached.stackImages, stackImages) && sameSet(cached.imageRefs, images.imageRefs) ? cached!.knownImages : knownImagesOf(stackImages, images.imageRefs),
      };
      if (images.imageRefs) this.knownImages.delete(id);
      // A device removed while it was probed keeps no inventory.
      if (this.byInstance.has(instanceIds(id).engine)) this.inventories.set(id, inv);
      return inv;
    })().finally(() => this.probing.delete(id));
    this.probing.set(id, p);
    return p;
  }

  private async stackImages(host: ContainerHost, signal: AbortSignal): Promise<string[]> {
    return [...new Set((await host.listStacks(signal)).flatMap((s) => s.services.map((v) => v.image)).filter(Boolean))].sort();
  }

  private async imageRefs(host: ContainerHost, signal: AbortSignal): Promise<ReadonlySet<string>> {
    return new Set((await host.listImages(signal)).map((r) => normalizeImageRef(r)));
  }

  /**
   * Reads the device's images and stacks again now (two engine calls, no helper container), for
   * whoever just changed them through Warren (a deploy pulls): the next placement sees them without
   * waiting for the inventory's next refresh. A device never probed waits for its first inventory.
   */
  async refreshImages(id: string): Promise<void> {
    const host = this.containerHost(id);
    if (!host || !this.inventories.has(id)) return;
    const startedAt = Date.now();
    const [stackImages, imageRefs] = await Promise.all([
      withTimeout(INFO_TIMEOUT_MS, (signal) => this.stackImages(host, signal)).catch(() => undefined),
      withTimeout(INFO_TIMEOUT_MS, (signal) => this.imageRefs(host, signal)).catch((err: unknown) => {
        this.hub.logger.warn({ device: id, code: describeError(err).code }, `device ${id}: listing its images failed: ${describeError(err).message}`);
        return undefined;
      }),
    ]);
    const cached = this.inventories.get(id);
    // Removed meanwhile, or a refresh that started later has answered.
    if (!cached || cached.imagesAt > startedAt) return;
    const stacks = stackImages ?? cached.stackImages;
    const refs = imageRefs ?? cached.imageRefs;
    this.inventories.set(id, { ...cached, stackImages: stacks, imageRefs: refs, imagesAt: imageRefs ? startedAt : cached.imagesAt, knownImages: knownImagesOf(stacks, refs) });
  }

  /**
   * The live inventory in the placement engine's Snapshot shape. `images`: refs to look for on each
   * online device (the app being placed), besides the images its stacks already use.
   */
  async snapshot(opts: { images?: string[] } = {}): Promise<Snapshot> {
    return this.buildSnapshot(opts.images ?? [], false);
  }

  /**
   * The live inventory for the kept placement table: as snapshot(), except that each device's `images`
   * are all the refs known present on it (its stacks' images and every image a placement's check found
   * there, `images` checked now), not one app's. Rank it through keptTable().
   */
  async placementSnapshot(opts: { images?: string[] } = {}): Promise<Snapshot> {
    return this.buildSnapshot(opts.images ?? [], true);
  }

  /**
   * The kept DeviceTable made to hold exactly `devices` (placementSnapshot's, with reservations applied):
   * a device whose snapshot equals its row's keeps the row untouched (its age aside when both give the
   * same sample time: the table works the age out when ranking); the rest are upserted, devices gone
   * are removed. The table is current until the next call: rank it synchronously.
   */
  keptTable(devices: readonly DeviceSnapshot[]): DeviceTable {
    const seen = new Set<string>();
    const t = this.table;
    for (const d of devices) {
      seen.add(d.id);
      const i = t.row(d.id);
      if (i !== undefined && sameDevice(t.snapshots[i]!, d)) continue;
      t.upsert(d);
    }
    if (t.size !== seen.size) for (const id of t.ids.slice(0, t.size)) if (!seen.has(id)) t.remove(id);
    return t;
  }

  private async buildSnapshot(wanted: string[], known: boolean): Promise<Snapshot> {
    const rows = await this.hub.store.devices.list();
    // The shared database servers install would use: placement judges a database need against them.
    const pools = (await this.hub.services.pooling?.sharedServers().catch((err: unknown) => {
      this.hub.logger.warn({ err }, 'listing the shared database servers for a snapshot failed');
      return undefined;
    })) ?? [];
    const devices = await Promise.all(rows.map((d) => this.deviceSnapshot(d, wanted, pools.filter((p) => p.device === d.id), known)));
    return { devices, takenAt: new Date().toISOString() };
  }

  /**
   * A row's images where the engine's listing is not known (it fails, or an offline device): each of
   * `wanted` asked of the engine (hasImage), as before engines listed images. A ref whose check failed
   * counts as absent; an offline device, checked for nothing, shows its stacks' images only.
   */
  private async imagesChecked(id: string, host: ContainerHost | undefined, inv: Inventory | undefined, wanted: string[], known: boolean): Promise<string[]> {
    const present = host
      ? await Promise.all(
          wanted.map((ref) =>
            withTimeout(INFO_TIMEOUT_MS, (signal) => host.hasImage(ref, signal)).then(
              (ok) => (ok ? ref : (false as const)),
              () => undefined,
            ),
          ),
        )
      : [];
    let found = present.filter((x): x is string => !!x);
    if (known && host) {
      // Each check answered updates what is known of the device; a ref whose check failed stays known.
      let set = this.knownImages.get(id);
      if (!set) this.knownImages.set(id, (set = new Set()));
      const failed = new Set<string>();
      for (let k = 0; k < wanted.length; k++) {
        const ref = normalizeImageRef(wanted[k]!);
        if (typeof present[k] === 'string') set.add(ref);
        else if (present[k] === false) set.delete(ref);
        else failed.add(ref);
      }
      found = failed.size === 0 ? [...set] : [...set].filter((r) => !failed.has(r));
    }
    return [...new Set([...(inv?.stackImages ?? []), ...found].map((r) => normalizeImageRef(r)))].sort();
  }

  private async deviceSnapshot(d: Device, wanted: string[], pools: { engine: string; version: string; extensions?: string[] }[] = [], known = false): Promise<DeviceSnapshot> {
    const v = await this.view(d);
    const polled = this.metrics.polled(d.id);
    const f = polled?.figures ?? {};
    const host = v.online ? this.containerHost(d.id) : undefined;
    const inv = host ? await this.inventory(d.id, host) : this.inventories.get(d.id);
    const images = inv?.imageRefs && host ? imagesListed(inv, wanted, known) : await this.imagesChecked(d.id, host, inv, wanted, known);
    const reserve = d.reserve as { memoryBytes?: number; diskBytes?: number };
    const now = Date.now();
    // Placement judges free space on the filesystem apps write to: the root one, else the roomiest.
    const fsList = f.filesystems?.list ?? [];
    const dataFs = fsList.find((x) => x.mount === '/') ?? [...fsList].sort((a, b) => b.availableBytes - a.availableBytes)[0];
    // The figure placement relies on most is free memory; its age is the device's metrics age.
    const newest = f.memory?.at ?? (polled?.status.ageMs !== undefined ? now - polled.status.ageMs : undefined);
    return {
      id: d.id,
      name: d.name,
      online: v.online,
      metricsAgeSeconds: newest === undefined ? null : Math.max(0, Math.round((now - newest) / 1000)),
      // For the kept table: a row keeps the sample's time, so it stays unchanged until a new sample.
      ...(known && f.memory ? { sampledAtMs: f.memory.at } : {}),
      cordoned: d.cordoned,
      arch: v.arch ?? 'unknown',
      cores: f.cores?.count ?? v.engineInfo?.cpus ?? 1,
      cpuScorePerCore: v.cpuScore.perCore,
      memory: {
        ...(f.memory || v.engineInfo ? { totalBytes: f.memory?.totalBytes ?? v.engineInfo!.memoryBytes } : {}),
        availableBytes: f.memory?.availableBytes ?? 0,
        reserveBytes: reserve.memoryBytes ?? 0,
      },
      storage: { availableBytes: dataFs?.availableBytes ?? 0, reserveBytes: reserve.diskBytes ?? 0 },
      load1: f.load?.load1 ?? null,
      availability7d: v.availability7d,
      devicePaths: inv?.devicePaths ?? [],
      listeningPorts: inv?.listeningPorts ?? [],
      images,
      // Reservations live in the placement ledger, which the apps feature owns and applies on top.
      reservations: [],
      databases: pools.map((p) => ({ engine: p.engine, version: p.version, ...(p.extensions ? { extensions: p.extensions } : {}) })),
    };
  }
}

/** Two snapshots of a device equal as table rows: with the same sample time, their ages do not matter. */
export function sameDevice(a: DeviceSnapshot, b: DeviceSnapshot): boolean {
  if (a.sampledAtMs === undefined || a.sampledAtMs !== b.sampledAtMs) return sameValue(a, b);
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] === undefined || k === 'metricsAgeSeconds') continue;
    n++;
    if (!sameValue(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined && k !== 'metricsAgeSeconds') n--;
  return n === 0;
}

/** Deep equality of JSON values (snapshots): same keys with equal values, arrays in order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a !== a && b !== b;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) if (!sameValue(a[k], b[k])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    n++;
    if (!sameValue(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
}

/**
 * The device's platform from its sources in order of precedence (host metrics, engine, stored), in OCI
 * spelling. A source that knows the variant of the same architecture wins over one that does not: a
 * bare `arm` from one source and `arm/v7` from another is an arm/v7 device.
 */
export function platformOf(...names: (string | null | undefined)[]): string | null {
  const known = names.filter((x): x is string => !!x && x !== 'unknown').map(normalizeDeviceArch);
  const first = known[0];
  if (first === undefined) return null;
  const family = first.split('/')[0]!;
  return first.includes('/') ? first : (known.find((x) => x.startsWith(`${family}/`)) ?? first);
}

function testResult(engine: ConnectionTestResult, source: string, host: { ok: boolean; message: string } | undefined): DeviceTestResult {
  const metrics = host ? { source, ok: host.ok, message: host.message } : undefined;
  const ok = engine.ok && (metrics?.ok ?? true);
  const message = !engine.ok
    ? `engine: ${engine.message}`
    : metrics && !metrics.ok
      ? `engine answers (${engine.message}), but ${source}: ${metrics.message}`
      : metrics
        ? `${engine.message}; ${source}: ${metrics.message}`
        : engine.message;
  return { ok, message, engine, ...(metrics ? { metrics } : {}) };
}

/** A provider's config error, with paths that point into the device input instead. */
function rebase(e: unknown, base: string): unknown {
  if (!(e instanceof WarrenError) || !e.details?.length || e.code !== 'WARREN_ERR_PLUGIN_CONFIG') return e;
  const mapPath = (p: string) => (base === '/nodeExporterUrl' ? base : `${base}${p === '/' ? '' : p}`) || '/';
  const details: ErrorDetail[] = e.details.map((x) => ({ path: mapPath(x.path), message: x.message }));
  return new WarrenError('WARREN_ERR_INVALID_INPUT', e.message, { details, ...(e.hint ? { hint: e.hint } : {}) });
}
