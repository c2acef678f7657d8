// The composition root of the hub's features: which REST route modules and hub extensions run.
// Each feature folder (devices, metrics, catalog, apps, pooling, MQTT) adds itself here.
import { AppsFeature } from './apps/index.js';
import { appRoutes } from './api/routes/apps.js';
import { deviceRoutes } from './api/routes/devices.js';
import { operationRoutes } from './api/routes/operations.js';
import { placementRoutes } from './api/routes/placement.js';
import { poolRoutes } from './api/routes/pools.js';
import { summaryRoutes } from './api/routes/summary.js';
import type { RouteModule } from './api/server.js';
import { MqttFeature } from './bus/mqtt-feature.js';
import { mqttRoutes } from './api/routes/mqtt.js';
import { CatalogFeature, catalogRouteModule } from './catalog/index.js';
import { DevicesFeature } from './devices/index.js';
import type { HubExtension } from './hub.js';
import { PoolingFeature } from './pooling/index.js';

export function featureRoutes(): RouteModule[] {
  return [deviceRoutes, summaryRoutes, poolRoutes, catalogRouteModule, placementRoutes, appRoutes, operationRoutes, mqttRoutes];
}

/** In start order: apps need the catalog, devices and pooling running. */
export function featureExtensions(env: NodeJS.ProcessEnv = process.env): HubExtension[] {
  // MQTT last: it publishes what the others hold (and stays off until a broker is configured).
  return [new DevicesFeature(), new PoolingFeature(), new CatalogFeature(), new AppsFeature(), new MqttFeature(env)];
}
