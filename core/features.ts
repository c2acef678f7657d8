// The composition root of the hub's features: which REST route modules and hub extensions run.
// Each feature folder (devices, metrics, catalog, apps, pooling, MQTT) adds itself here.
import type { RouteModule } from './api/server.js';
import type { HubExtension } from './hub.js';

export function featureRoutes(): RouteModule[] {
  return [];
}

export function featureExtensions(): HubExtension[] {
  return [];
}
