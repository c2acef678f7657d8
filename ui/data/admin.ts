// Database pools, plugins and provider instances, and the event log over REST.
import { HubError, request } from './api.js';
import type { JsonSchema } from './catalog.js';

export interface Provider { kind: string; id: string; title: string; configSchema: JsonSchema; configVersion: number; hasTest: boolean }
/** A problem as the hub reports it (older hubs sent a plain string). */
export type Problem = string | { code?: string; message: string; hint?: string; details?: { path: string; message: string }[] };
export interface Plugin { name: string; version: string; builtIn: boolean; isolation: string; state: string; error?: Problem; providers: Provider[] }
export interface Instance { id: string; plugin: string; provider: string; kind: string; state: string; attempts: number; error?: Problem; message?: string; config: Record<string, unknown>; secretsSet: string[]; since: number }
export interface TestOutcome { ok: boolean; message?: string }

/** A reported problem in plain words, with where and what to do when the hub says so. */
export function problem(p: Problem): string {
  if (typeof p === 'string') return p;
  const details = (p.details ?? []).map((d) => `${d.path || '(config)'}: ${d.message}`).join('; ');
  return [p.message, details && `(${details})`, p.hint && `— ${p.hint}`].filter(Boolean).join(' ');
}
export interface HubEvent { id: number; at: number; domain: string; type: string; payload: Record<string, unknown> }

export const plugins = () => request<{ plugins: Plugin[]; instances: Instance[] }>('GET', '/plugins');
export const testConfig = (plugin: string, provider: string, config: Record<string, unknown>) => request<TestOutcome>('POST', '/plugins/test', { plugin, provider, config });
export const testInstance = (id: string, config?: Record<string, unknown>) => request<TestOutcome>('POST', `/plugins/instances/${encodeURIComponent(id)}/test`, config ? { config } : {});
export const updateInstance = (id: string, config: Record<string, unknown>) => request<{ instance: Instance }>('PUT', `/plugins/instances/${encodeURIComponent(id)}`, { config });
export const createInstance = (input: { id: string; plugin: string; provider: string; config: Record<string, unknown> }) => request<{ instance: Instance }>('POST', '/plugins/instances', input);
export const removeInstance = (id: string) => request<{ ok: true }>('DELETE', `/plugins/instances/${encodeURIComponent(id)}`);
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

const dbPath = (app: string, ref: string, action: string) => `/pools/databases/${encodeURIComponent(app)}/${encodeURIComponent(ref)}/${action}`;

/** Moves an app's database into the device's shared server or onto a dedicated one (copied, verified by row counts). */
export const moveDatabase = (app: string, ref: string, to: 'pool' | 'dedicated') =>
  request<{ mode: 'pooled' | 'dedicated'; server: string }>('POST', dbPath(app, ref, 'move'), { to });

/** Reads a failed response's error the way `request` does. */
async function failure(res: Response): Promise<HubError> {
  const data = (await res.json().catch(() => ({}))) as { error?: HubError['error'] };
  return new HubError(data.error ?? { code: 'WARREN_ERR_INTERNAL', message: `The hub answered HTTP ${res.status}` }, res.status);
}

/** Streams an app's database dump, reporting the bytes received so far; the result is a Blob (kept by the browser, on disk when large). */
export async function dumpDatabase(app: string, ref: string, onProgress: (bytes: number) => void, signal?: AbortSignal): Promise<{ blob: Blob; filename: string }> {
  const res = await fetch(`/api${dbPath(app, ref, 'dump')}`, { credentials: 'same-origin', ...(signal ? { signal } : {}) });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      received += value.byteLength;
      onProgress(received);
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    // The hub cuts a dump short when the server fails after the first byte: what arrived is incomplete.
    throw new HubError({ code: 'WARREN_ERR_INTERNAL', message: `the dump broke off after ${received} bytes, so it is incomplete and was not saved`, hint: 'The hub\'s log says why; try again.' }, 0);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `${app}-${ref}.sql`;
  return { blob: new Blob(parts as BlobPart[], { type: res.headers.get('content-type') ?? 'application/sql' }), filename: name };
}

/**
 * Replaces an app's database content with a dump file. The file is sent as the raw request body, read
 * from disk by the browser as it goes (never held in a JSON string); progress counts the bytes sent.
 */
export function restoreDatabase(app: string, ref: string, file: Blob, onProgress: (sent: number, total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api${dbPath(app, ref, 'restore')}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new Error('the connection to the hub broke during the upload'));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let error: HubError['error'] = { code: 'WARREN_ERR_INTERNAL', message: `The hub answered HTTP ${xhr.status}` };
      try {
        error = (JSON.parse(xhr.responseText) as { error?: HubError['error'] }).error ?? error;
      } catch {
        // not JSON: keep the status line
      }
      reject(new HubError(error, xhr.status));
    };
    xhr.send(file);
  });
}
