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
import { MqttBridge, mqttSettingsFromEnv } from './bus/mqtt-bridge.js';
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
  // MQTT is off unless a broker is configured, and last: it publishes what the others hold.
  const mqtt = mqttSettingsFromEnv(env);
  return [new DevicesFeature(), new PoolingFeature(), new CatalogFeature(), new AppsFeature(), ...(mqtt ? [new MqttBridge(mqtt)] : [])];
}
