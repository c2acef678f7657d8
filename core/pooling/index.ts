// The pooling feature: `hub.services.pooling`, recovery of interrupted pooling operations on start, and
// the RAM savings figure for the fleet summary, refreshed in the background.
import { join } from 'node:path';
import { WarrenError } from '../errors.js';
import type { Hub, HubExtension } from '../hub.js';
import type { DatabaseEngine } from '../providers/database-pool.js';
import { PoolingService, type PoolingOptions } from './service.js';

export { PoolingService } from './service.js';
export type { EnsureRequest, EnsureResult, PoolView, PoolingOptions, PoolingSavingsReport } from './service.js';
export { poolName, poolNames, sanitise, dedicatedReason, connectionBudget, type DatabaseNeed } from './names.js';

const SAVINGS_EVERY_MS = 5 * 60_000;

function json<T>(env: NodeJS.ProcessEnv, name: string): T | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch (e) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${name} is not valid JSON: ${(e as Error).message}`, { details: [{ path: `/env/${name}`, message: 'must be a JSON object' }] });
  }
}

/**
 * Settings from the environment: WARREN_IMAGE_REWRITES (`{"postgres:16": "mirror/postgres:16"}`),
 * WARREN_POOL_IMAGES (`{"postgres": "postgres:16"}`), WARREN_POOL_MEMORY_BYTES, WARREN_POOL_MAX_CONNECTIONS,
 * WARREN_POOL_PUBLISH_PORTS (per engine), WARREN_POOL_CONNECTION_LIMIT, WARREN_POOL_HEALTH_TIMEOUT_MS.
 */
export function poolingOptionsFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): PoolingOptions {
  type PerEngine = Partial<Record<DatabaseEngine, number>>;
  const n = (name: string) => (env[name] ? Number(env[name]) : undefined);
  const opts: PoolingOptions = { dumpDir: join(dataDir, 'dumps') };
  const set = <K extends keyof PoolingOptions>(k: K, v: PoolingOptions[K] | undefined) => { if (v !== undefined) opts[k] = v; };
  set('imageRewrites', json<Record<string, string>>(env, 'WARREN_IMAGE_REWRITES'));
  set('images', json<Partial<Record<DatabaseEngine, string>>>(env, 'WARREN_POOL_IMAGES'));
  set('memoryBytes', json<PerEngine>(env, 'WARREN_POOL_MEMORY_BYTES'));
  set('maxConnections', json<PerEngine>(env, 'WARREN_POOL_MAX_CONNECTIONS'));
  set('publishPorts', json<PerEngine>(env, 'WARREN_POOL_PUBLISH_PORTS'));
  set('connectionLimit', n('WARREN_POOL_CONNECTION_LIMIT'));
  set('healthTimeoutMs', n('WARREN_POOL_HEALTH_TIMEOUT_MS'));
  return opts;
}

export class PoolingFeature implements HubExtension {
  readonly name = 'pooling';
  private timer?: NodeJS.Timeout;
  private service?: PoolingService;

  constructor(private readonly opts?: Partial<PoolingOptions>) {}

  async start(hub: Hub): Promise<void> {
    const service = new PoolingService(hub, { ...poolingOptionsFromEnv(hub.config.dataDir), ...this.opts });
    this.service = service;
    hub.services.pooling = service;
    // Devices connect in the background after start; recovery and savings wait for them rather than hold the hub.
    const refresh = async () => {
      if (this.service !== service) return;
      await service.recover().catch((e) => hub.logger.warn({ err: e }, 'pooling recovery will be retried'));
      await service.savings().catch((e) => hub.logger.debug({ err: e }, 'pooling savings not measured'));
    };
    this.timer = setInterval(() => void refresh(), SAVINGS_EVERY_MS);
    this.timer.unref();
    setTimeout(() => void refresh(), 5_000).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.service = undefined;
  }
}
