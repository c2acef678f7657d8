// The hub's feature services, by name. Each feature (devices, metrics, catalog, apps, pooling, MQTT)
// is a HubExtension that sets its entry here when it starts; routes and other features reach each
// other through `hub.services`, never through module-level singletons. Type-only imports keep this
// file free of cycles.
import type { AppService } from './apps/service.js';
import type { DeviceService } from './devices/device-service.js';
import type { MetricsService } from './devices/metrics-service.js';
import type { PoolingService } from './pooling/service.js';

export interface HubServices {
  [name: string]: unknown;
  /** The device inventory (core/devices). */
  devices?: DeviceService;
  /** Live metrics, fleet summary and history (core/devices/metrics-service.ts). */
  metrics?: MetricsService;
  /** Installed apps and their journaled operations (core/apps). */
  apps?: AppService;
  /** Shared database servers and per-app databases (core/pooling). */
  pooling?: PoolingService;
}
