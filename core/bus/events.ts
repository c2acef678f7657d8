/**
 * The one typed event map of the hub. Every bridge (socket.io, MQTT) and every listener speaks these
 * names and payloads. Payloads never carry secrets.
 */
export type ProviderState = 'starting' | 'ready' | 'retrying' | 'needs_reconfiguring' | 'failed' | 'stopped';
export type PluginState = 'loaded' | 'refused' | 'failed' | 'crashed' | 'restarting' | 'unloaded';

export interface WarrenEvents {
  'hub.started': { version: string; port: number };
  'hub.stopping': { reason: string };
  'plugin.state': { plugin: string; state: PluginState; code?: string; message?: string };
  'provider.state': { instance: string; plugin: string; provider: string; state: ProviderState; code?: string; message?: string; retryInSeconds?: number };
  /** An event a plugin emitted through its context. */
  'plugin.event': { instance: string; type: string; payload: Record<string, unknown> };
  'device.added': { device: string; name: string };
  'device.removed': { device: string };
  'device.updated': { device: string };
  'device.state': { device: string; state: 'fresh' | 'stale' | 'offline' | 'unknown'; reason?: string };
  'device.metrics': { device: string; at: number; ramUsedBytes?: number; ramTotalBytes?: number; cpu?: number; storageAvailableBytes?: number; load1?: number };
  'summary.updated': { revision: number; summary: Record<string, unknown> };
  'app.state': { app: string; device?: string; status: string; message?: string };
  'app.removed': { app: string };
  'operation.progress': { operation: string; kind: string; target: string; step: string; message: string; fraction?: number };
  'operation.finished': { operation: string; kind: string; target: string; state: 'done' | 'failed' | 'rolled_back'; error?: { code: string; message: string } };
  'auth.login': { user: string };
}

export type EventName = keyof WarrenEvents;
