// A device read through its Prometheus node_exporter over HTTP.
import { WarrenError } from '../../core/errors.js';
import { AuthFailedError, NotReadyError, type Closable } from '../../core/plugin/types.js';
import type { HostReading, MetricName, MetricsSource } from '../../core/providers/metrics-source.js';
import { parseExposition, toHostReading } from './translate.js';

export interface NodeExporterConfig {
  url: string;
  /** Only these mount points count; every real filesystem when unset. */
  mountpoints?: string[];
  bearerToken?: string;
  timeoutMs?: number;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']);

/** `http://nas:9100` and `http://nas:9100/metrics` both mean the metrics page. */
export function metricsUrl(url: string): string {
  const u = new URL(url);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/metrics';
  return u.toString();
}

export class NodeExporterSource implements MetricsSource, Closable {
  readonly provides: readonly MetricName[] = ['cpu', 'memory', 'swap', 'filesystems', 'load', 'boot'];
  private readonly url: string;
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly config: NodeExporterConfig) {
    this.url = metricsUrl(config.url);
  }

  async collect(signal?: AbortSignal): Promise<HostReading> {
    signal?.throwIfAborted();
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeoutMs = this.config.timeoutMs ?? 10_000;
    const timer = setTimeout(() => controller.abort(new NotReadyError(`${this.url}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = () => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let res: Response;
      try {
        res = await fetch(this.url, {
          signal: controller.signal,
          headers: {
            accept: 'text/plain;version=0.0.4',
            ...(this.config.bearerToken ? { authorization: `Bearer ${this.config.bearerToken}` } : {}),
          },
        });
      } catch (e) {
        throw controller.signal.aborted ? controller.signal.reason : this.mapError(e);
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new AuthFailedError(`${this.url}: HTTP ${res.status}; the exporter refused the credentials`);
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw new WarrenError('WARREN_ERR_PLUGIN_CONFIG', `${this.url}: HTTP 404`, {
          hint: 'Point the URL at the exporter\'s metrics page, e.g. http://device:9100/metrics',
          details: [{ path: '/url', message: 'no metrics page there' }],
        });
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new NotReadyError(`${this.url}: HTTP ${res.status}`);
      }
      const text = await res.text();
      return toHostReading(parseExposition(text), Date.now(), { mountpoints: this.config.mountpoints });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.inFlight.delete(controller);
    }
  }

  async close(): Promise<void> {
    for (const c of this.inFlight) c.abort(new NotReadyError('the source is closed'));
    this.inFlight.clear();
  }

  private mapError(e: unknown): unknown {
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    if (cause?.code && CONNECTION_ERRORS.has(cause.code)) return new NotReadyError(`${this.url}: ${cause.message ?? cause.code}`, { cause: e });
    if (e instanceof TypeError && /fetch failed/.test(e.message)) return new NotReadyError(`${this.url}: ${cause?.message ?? e.message}`, { cause: e });
    return e;
  }
}
