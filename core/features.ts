// The composition root of the hub's features: which REST route modules and hub extensions run.
// Each feature folder (devices, metrics, catalog, apps, pooling, MQTT) adds itself here.
import { deviceRoutes } from './api/routes/devices.js';
import { poolRoutes } from './api/routes/pools.js';
import { summaryRoutes } from './api/routes/summary.js';
import type { RouteModule } from './api/server.js';
import { DevicesFeature } from './devices/index.js';
import type { HubExtension } from './hub.js';
import { PoolingFeature } from './pooling/index.js';

export function featureRoutes(): RouteModule[] {
  return [deviceRoutes, summaryRoutes, poolRoutes];
}

export function featureExtensions(): HubExtension[] {
  return [new DevicesFeature(), new PoolingFeature()];
}
