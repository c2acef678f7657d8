// The devices feature as the hub runs it: inventory (DeviceService) and live metrics (MetricsService)
// started together, published as `hub.services.devices` and `hub.services.metrics`.
import { WarrenError } from '../errors.js';
import type { Hub, HubExtension } from '../hub.js';
import { DeviceService, type DeviceServiceOptions } from './device-service.js';
import { MetricsService } from './metrics-service.js';

export { DeviceService, PROBED_DEVICE_PATHS, type DeviceView, type DeviceTestResult } from './device-service.js';
export { MetricsService, HISTORY_RANGES, type HistoryRange, type SummaryView, type SummaryDeviceRow } from './metrics-service.js';

export interface DevicesFeatureOptions {
  /** Default: WARREN_POLL_INTERVAL_SECONDS, else 15 s. */
  pollIntervalMs?: number;
  /** While someone watches a device. Default 3 s. */
  watchedIntervalMs?: number;
  /** Default: unless the hub's config says WARREN_NO_LOCAL_DEVICE=1. */
  localDevice?: boolean;
  localSockets?: DeviceServiceOptions['localSockets'];
}

export function pollIntervalMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WARREN_POLL_INTERVAL_SECONDS;
  if (raw === undefined || raw === '') return 15_000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0.2 || n > 3600) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `WARREN_POLL_INTERVAL_SECONDS=${raw} is not a number of seconds from 0.2 to 3600`, {
      details: [{ path: '/env/WARREN_POLL_INTERVAL_SECONDS', message: 'must be a number in [0.2, 3600]' }],
    });
  }
  return Math.round(n * 1000);
}

export class DevicesFeature implements HubExtension {
  readonly name = 'devices';
  private metrics?: MetricsService;
  private devices?: DeviceService;

  constructor(private readonly opts: DevicesFeatureOptions = {}) {}

  async start(hub: Hub): Promise<void> {
    const metrics = new MetricsService(hub, {
      intervalMs: this.opts.pollIntervalMs ?? pollIntervalMsFromEnv(),
      ...(this.opts.watchedIntervalMs ? { watchedIntervalMs: this.opts.watchedIntervalMs } : {}),
    });
    const devices = new DeviceService(hub, metrics, {
      localDevice: this.opts.localDevice ?? !hub.config.noLocalDevice,
      ...(this.opts.localSockets ? { localSockets: this.opts.localSockets } : {}),
    });
    this.metrics = metrics;
    this.devices = devices;
    hub.services.devices = devices;
    hub.services.metrics = metrics;
    hub.sockets.registerRoom('device', async (id) => {
      if (!id) throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'subscribe to device:<id>');
      return devices.get(id);
    });
    await devices.start();
    metrics.start();
  }

  async stop(): Promise<void> {
    await this.metrics?.stop();
    await this.devices?.stop();
  }
}
