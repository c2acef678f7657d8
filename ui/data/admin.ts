// Database pools, plugins and provider instances, and the event log over REST.
import { request } from './api.js';
import type { JsonSchema } from './catalog.js';

export interface Provider { kind: string; id: string; title: string; configSchema: JsonSchema; configVersion: number; hasTest: boolean }
export interface Plugin { name: string; version: string; builtIn: boolean; isolation: string; state: string; error?: string; providers: Provider[] }
export interface Instance { id: string; plugin: string; provider: string; kind: string; state: string; attempts: number; error?: string; message?: string; config: Record<string, unknown>; secretsSet: string[]; since: number }
export interface TestOutcome { ok: boolean; message?: string }
export interface HubEvent { id: number; at: number; domain: string; type: string; payload: Record<string, unknown> }

export const plugins = () => request<{ plugins: Plugin[]; instances: Instance[] }>('GET', '/plugins');
export const testConfig = (plugin: string, provider: string, config: Record<string, unknown>) => request<TestOutcome>('POST', '/plugins/test', { plugin, provider, config });
export const testInstance = (id: string, config?: Record<string, unknown>) => request<TestOutcome>('POST', `/plugins/instances/${encodeURIComponent(id)}/test`, config ? { config } : {});
export const updateInstance = (id: string, config: Record<string, unknown>) => request<{ instance: Instance }>('PUT', `/plugins/instances/${encodeURIComponent(id)}`, { config });
export const restartInstance = (id: string) => request<{ instance: Instance }>('POST', `/plugins/instances/${encodeURIComponent(id)}/restart`);

export interface PoolView {
  id: string;
  device: string;
  engine: 'postgres' | 'mariadb';
  mode: 'pooled' | 'dedicated';
  app: string | null;
  version: string | null;
  state: string;
  memoryBytes?: number;
  connections?: { used: number; max: number };
  databases: { database: string; owner: string; sizeBytes: number; connections: number; connectionLimit?: number; app?: string; ref?: string; isolation?: { ok?: boolean; checks?: { name: string; ok: boolean; message: string }[]; [k: string]: unknown } }[];
  error?: string;
}
export interface Savings { bytes: number; basis: 'measured' | 'estimated'; servers: { server: string; engine: string; apps: number; sharedBytes?: number; baselineBytes?: number; savedBytes: number; basis: string }[] }

export const pools = () => request<PoolView[]>('GET', '/pools');
export const poolSavings = () => request<Savings>('GET', '/pools/savings');

export const events = (opts: { domain?: string; after?: number; limit?: number }) => {
  const q = new URLSearchParams();
  if (opts.domain) q.set('domain', opts.domain);
  if (opts.after !== undefined) q.set('after', String(opts.after));
  q.set('limit', String(opts.limit ?? 200));
  return request<{ events: HubEvent[] }>('GET', `/events?${q}`).then((r) => r.events);
};
