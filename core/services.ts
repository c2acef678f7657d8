// The hub's feature services, by name. Each feature (devices, metrics, catalog, apps, pooling, MQTT)
// is a HubExtension that sets its entry here when it starts; routes and other features reach each
// other through `hub.services`, never through module-level singletons. Type-only imports keep this
// file free of cycles.
export interface HubServices {
  [name: string]: unknown;
}
