// Live metrics inside the hub: the core/metrics Poller over every device's source, history in the
// store (thinned hourly), fresh/stale/offline states on the bus and in the device rows, the fleet
// summary in the socket.io room `summary`, and the hub's own Prometheus series.
import type { Hub } from '../hub.js';
import { availabilityOf } from '../metrics/availability.js';
import { summarize, type FleetSummary, type PoolingSavings } from '../metrics/aggregate.js';
import { toMetricPoints } from '../metrics/derive.js';
import { Poller, type DeviceSnapshot as PolledDevice } from '../metrics/poller.js';
import { DEFAULT_STALE_AFTER_INTERVALS } from '../metrics/device-state.js';
import type { DerivedSample, DeviceStatus } from '../metrics/types.js';
import type { MetricSample } from '../store/index.js';
import { WarrenError } from '../errors.js';
import type { DeviceSource } from './device-source.js';
import { availability7d, UP_METRIC } from './history.js';

export interface MetricsServiceOptions {
  /** Normal poll interval (WARREN_POLL_INTERVAL_SECONDS, default 15 s). */
  intervalMs: number;
  /** While a socket watches `device:<id>`. Default 3 s (never slower than intervalMs). */
  watchedIntervalMs?: number;
  /** One attempt longer than this fails. Default 10 s. */
  timeoutMs?: number;
  thinEveryMs?: number;
  /** Summary recomputations are coalesced over this window. Default 250 ms. */
  summaryDebounceMs?: number;
}

export const HISTORY_RANGES = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

export interface SummaryDeviceRow {
  id: string;
  name: string;
  state: DeviceStatus['state'];
  reason: DeviceStatus['reason'];
  message: string;
  ageSeconds: number | null;
  memory?: { totalBytes: number; usedBytes: number; availableBytes: number; ageSeconds: number };
  storage?: {
    totalBytes: number;
    usedBytes: number;
    availableBytes: number;
    ageSeconds: number;
    /** Each filesystem, so a total over devices sharing a machine can be checked filesystem by filesystem. */
    filesystems?: { mount: string; device?: string; totalBytes: number; availableBytes: number }[];
  };
  cpu?: { utilisation: number; cores: number; ageSeconds: number };
  load1?: number;
  /** The kernel under the device (boot id, host name); devices sharing one are counted once in the totals. */
  machine?: { bootId?: string; hostname?: string };
}

export interface SummaryView {
  revision: number;
  summary: FleetSummary;
  devices: SummaryDeviceRow[];
}

const secondsOf = (ms: number) => Math.round(ms / 100) / 10;
const age = (now: number, at: number) => secondsOf(Math.max(0, now - at));

export class MetricsService {
  readonly poller: Poller;
  private readonly names = new Map<string, string>();
  private readonly sources = new Map<string, DeviceSource>();
  /** The containers of each device's newest engine sample, for the placement ledger. */
  private readonly containerSamples = new Map<string, { at: number; list: NonNullable<DerivedSample['containers']> }>();
  private readonly watchReleases = new Map<string, () => void>();
  private pooling: PoolingSavings = { bytes: 0, basis: 'estimated', at: Date.now() };
  private revision = 0;
  private summaryTimer?: NodeJS.Timeout;
  private thinTimer?: NodeJS.Timeout;
  private writes = new Set<Promise<unknown>>();
  private stopped = false;
  readonly intervalMs: number;

  constructor(
    private readonly hub: Hub,
    private readonly opts: MetricsServiceOptions,
  ) {
    this.intervalMs = opts.intervalMs;
    this.poller = new Poller(
      {
        onSample: (id, sample) => this.onSample(id, sample),
        onFailure: (id, failure) => {
          this.recordUp(id, failure.at);
          this.hub.logger.debug({ device: id, code: failure.code }, `device ${id}: poll failed: ${failure.message}`);
        },
        onStateChange: (id, status, previous) => this.onStateChange(id, status, previous),
      },
      {
        intervalMs: opts.intervalMs,
        watchedIntervalMs: opts.watchedIntervalMs ?? 3_000,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        onCallbackError: (err, cb) => this.hub.logger.error({ err, callback: cb }, 'a metrics callback failed'),
      },
    );
  }

  start(): void {
    const { hub } = this;
    hub.sockets.registerRoom('summary', async () => this.computeSummary());
    // A viewer on a device's page wants live figures: poll that device faster while watched.
    hub.sockets.onWatchChange((room, count) => {
      if (this.stopped || !room.startsWith('device:')) return;
      const id = room.slice('device:'.length);
      const release = this.watchReleases.get(id);
      if (count > 0 && !release && this.names.has(id)) this.watchReleases.set(id, this.poller.watch(id));
      else if (count === 0 && release) {
        release();
        this.watchReleases.delete(id);
      }
    });
    hub.bus.on('app.state', () => this.scheduleSummary(), 'metrics');
    hub.bus.on('app.removed', () => this.scheduleSummary(), 'metrics');
    hub.metrics.onCollect(() => this.setGauges());
    const thin = () => {
      const p = hub.store.metrics.thin().catch((err) => hub.logger.warn({ err }, 'thinning metric history failed'));
      this.own(p);
    };
    thin();
    this.thinTimer = setInterval(thin, this.opts.thinEveryMs ?? 3_600_000);
    this.thinTimer.unref();
    this.poller.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.thinTimer);
    clearTimeout(this.summaryTimer);
    this.hub.bus.releaseOwner('metrics');
    for (const release of this.watchReleases.values()) release();
    this.watchReleases.clear();
    await this.poller.stop();
    await Promise.allSettled([...this.writes]);
  }

  /** Starts polling a device. */
  track(deviceId: string, name: string, source: DeviceSource): void {
    this.names.set(deviceId, name);
    this.sources.set(deviceId, source);
    this.poller.add({ deviceId, source });
    this.scheduleSummary();
  }

  rename(deviceId: string, name: string): void {
    if (this.names.has(deviceId)) this.names.set(deviceId, name);
  }

  untrack(deviceId: string): void {
    this.poller.remove(deviceId);
    this.names.delete(deviceId);
    this.sources.delete(deviceId);
    this.containerSamples.delete(deviceId);
    this.watchReleases.get(deviceId)?.();
    this.watchReleases.delete(deviceId);
    this.scheduleSummary();
  }

  /** The containers the engine's metrics listed in the device's newest sample that had them. */
  containers(deviceId: string): { at: number; list: NonNullable<DerivedSample['containers']> } | undefined {
    return this.containerSamples.get(deviceId);
  }

  polled(deviceId: string): PolledDevice | undefined {
    return this.poller.snapshot(deviceId);
  }

  hostFailure(deviceId: string): { at: number; message: string } | undefined {
    return this.sources.get(deviceId)?.hostFailure;
  }

  /** Polls now (after a device is added or its engine connection becomes ready). */
  pollNow(deviceIds?: string[]): Promise<void> {
    return this.poller.pollNow(deviceIds);
  }

  /** For the pooling feature: RAM the shared database servers save, measured or estimated. */
  setPoolingSavings(savings: { bytes: number; basis: 'measured' | 'estimated'; at?: number }): void {
    if (!(savings.bytes >= 0) || !['measured', 'estimated'].includes(savings.basis)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'pooling savings need bytes >= 0 and basis measured|estimated');
    }
    this.pooling = { bytes: savings.bytes, basis: savings.basis, at: savings.at ?? Date.now() };
    this.scheduleSummary();
  }

  async availability7d(deviceId: string, now = Date.now()): Promise<number | null> {
    const points = await this.hub.store.metrics.range({ device: deviceId, metric: UP_METRIC, from: now - HISTORY_RANGES['7d'] });
    return availability7d(points, now, this.opts.intervalMs * DEFAULT_STALE_AFTER_INTERVALS);
  }

  async history(deviceId: string, range: HistoryRange, now = Date.now()): Promise<{ from: number; to: number; series: Record<string, [number, number][]> }> {
    const from = now - HISTORY_RANGES[range];
    const series: Record<string, [number, number][]> = {};
    for (const s of await this.hub.store.metrics.range({ device: deviceId, from, to: now + 1 })) (series[s.metric] ??= []).push([s.at, s.value]);
    return { from, to: now, series };
  }

  /** Computed on request, so that it never lags behind a state change still being debounced. */
  summary(): Promise<SummaryView> {
    return this.computeSummary();
  }

  // ---- callbacks ------------------------------------------------------------------------------

  private onSample(deviceId: string, sample: DerivedSample): void {
    const rows: MetricSample[] = toMetricPoints(sample).map((p) => ({ device: deviceId, ...p }));
    if (sample.containers) {
      if (this.names.has(deviceId)) this.containerSamples.set(deviceId, { at: sample.at, list: sample.containers });
      rows.push({ device: deviceId, metric: 'containers.count', value: sample.containers.length, at: sample.at });
      rows.push({ device: deviceId, metric: 'containers.memory_bytes', value: sample.containers.reduce((a, c) => a + c.memoryBytes, 0), at: sample.at });
    }
    rows.push({ device: deviceId, metric: UP_METRIC, value: 1, at: sample.at });
    this.write(rows);
    const fs = sample.filesystems;
    this.hub.bus.emit('device.metrics', {
      device: deviceId,
      at: sample.at,
      ...(sample.memory ? { ramUsedBytes: sample.memory.usedBytes, ramTotalBytes: sample.memory.totalBytes } : {}),
      ...(sample.cpu ? { cpu: sample.cpu.utilisation } : {}),
      ...(fs?.length ? { storageAvailableBytes: fs.reduce((a, f) => a + f.availableBytes, 0) } : {}),
      ...(sample.load ? { load1: sample.load.load1 } : {}),
    });
    this.scheduleSummary();
  }

  /** After a failed attempt: offline counts as down, fresh as up, stale is unknown and not recorded. */
  private recordUp(deviceId: string, at: number): void {
    const state = this.poller.snapshot(deviceId)?.status.state;
    const a = state && availabilityOf(state);
    if (a === 'up' || a === 'down') this.write([{ device: deviceId, metric: UP_METRIC, value: a === 'up' ? 1 : 0, at }]);
  }

  private onStateChange(deviceId: string, status: DeviceStatus, previous: DeviceStatus | undefined): void {
    const log = status.state === 'offline' ? 'warn' : 'info';
    if (previous || status.state !== 'stale') this.hub.logger[log]({ device: deviceId, state: status.state, reason: status.reason }, `device ${this.names.get(deviceId) ?? deviceId} is ${status.state}: ${status.message}`);
    this.hub.bus.emit('device.state', { device: deviceId, state: status.state, reason: status.message });
    this.own(
      this.hub.store.devices.update(deviceId, { state: status.state, stateReason: status.message }).catch((err: WarrenError) => {
        // The device may have been removed while its last poll ran.
        if (err.code !== 'WARREN_ERR_NOT_FOUND') this.hub.logger.warn({ err, device: deviceId }, 'recording the device state failed');
      }),
    );
    this.scheduleSummary();
  }

  private write(rows: MetricSample[]): void {
    if (this.stopped) return;
    this.own(
      this.hub.store.metrics.insert(rows).catch((err: WarrenError) => {
        // A sample that lands just after its device was removed has nowhere to go (foreign key).
        if (this.names.has(rows[0]!.device)) this.hub.logger.warn({ err, device: rows[0]!.device }, 'recording metric samples failed');
      }),
    );
  }

  // ---- summary --------------------------------------------------------------------------------

  private scheduleSummary(): void {
    if (this.stopped || this.summaryTimer) return;
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = undefined;
      const p = this.computeSummary().then(
        (view) => {
          if (this.stopped) return;
          this.revision++;
          const latest = { ...view, revision: this.revision };
          this.hub.sockets.publish('summary', latest);
          this.hub.bus.emit('summary.updated', { revision: this.revision, summary: latest as unknown as Record<string, unknown> });
        },
        (err) => this.hub.logger.warn({ err }, 'computing the summary failed'),
      );
      this.own(p);
    }, this.opts.summaryDebounceMs ?? 250);
  }

  private async computeSummary(): Promise<SummaryView> {
    const now = Date.now();
    const polled = this.poller.snapshots().map((d) => ({ ...d, name: this.names.get(d.id) ?? d.id }));
    const apps = (await this.hub.store.apps.list()).map((a) => ({ id: a.id, status: a.status }));
    const summary = summarize(polled, apps, this.pooling, now);
    const devices = polled
      .map((d): SummaryDeviceRow => {
        const f = d.figures;
        const counted = d.status.state !== 'offline';
        const fsList = f.filesystems?.list ?? [];
        const sum = (k: 'totalBytes' | 'usedBytes' | 'availableBytes') => fsList.reduce((a, x) => a + x[k], 0);
        return {
          id: d.id,
          name: d.name,
          state: d.status.state,
          reason: d.status.reason,
          message: d.status.message,
          ageSeconds: d.status.ageMs === undefined ? null : secondsOf(d.status.ageMs),
          ...(counted && f.memory ? { memory: { totalBytes: f.memory.totalBytes, usedBytes: f.memory.usedBytes, availableBytes: f.memory.availableBytes, ageSeconds: age(now, f.memory.at) } } : {}),
          ...(counted && f.filesystems ? { storage: { totalBytes: sum('totalBytes'), usedBytes: sum('usedBytes'), availableBytes: sum('availableBytes'), ageSeconds: age(now, f.filesystems.at), filesystems: fsList.map((x) => ({ mount: x.mount, ...(x.device && { device: x.device }), totalBytes: x.totalBytes, availableBytes: x.availableBytes })) } } : {}),
          ...(counted && f.cpu ? { cpu: { utilisation: f.cpu.utilisation, cores: f.cpu.cores, ageSeconds: age(now, f.cpu.at) } } : {}),
          ...(counted && f.load ? { load1: f.load.load1 } : {}),
          ...(f.machine ? { machine: { ...(f.machine.bootId && { bootId: f.machine.bootId }), ...(f.machine.hostname && { hostname: f.machine.hostname }) } } : {}),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    return { revision: this.revision, summary, devices };
  }

  private setGauges(): void {
    const m = this.hub.metrics;
    m.reset('warren_device_state');
    m.reset('warren_devices');
    const counts = { fresh: 0, stale: 0, offline: 0 };
    for (const d of this.poller.snapshots()) {
      counts[d.status.state]++;
      for (const s of ['fresh', 'stale', 'offline'] as const) {
        m.set('warren_device_state', 'Device state (1 for the current one)', { device: d.id, name: this.names.get(d.id) ?? d.id, state: s }, s === d.status.state ? 1 : 0);
      }
    }
    for (const [state, n] of Object.entries(counts)) m.set('warren_devices', 'Devices by state', { state }, n);
  }

  /** Store writes and summary work in flight, so that stop() waits for them. */
  private own(p: Promise<unknown>): void {
    this.writes.add(p);
    void p.then(
      () => this.writes.delete(p),
      () => this.writes.delete(p),
    );
  }

  observePoll(deviceId: string, seconds: number, ok: boolean): void {
    this.hub.metrics.observe('warren_poll_duration_seconds', 'Time to read one device (engine and host figures)', { device: deviceId, result: ok ? 'ok' : 'failed' }, seconds);
  }
}
