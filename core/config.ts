// The hub's settings, from the environment, with sensible defaults for a homelab box.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { WarrenError } from './errors.js';

export interface HubConfig {
  dataDir: string;
  port: number;
  host: string;
  databaseUrl?: string;
  adminPassword?: string;
  adminUser: string;
  /** Extra plugin folders (tests, development). */
  pluginPaths: string[];
  /** Skip registering the local Docker/Podman socket as the first device. */
  noLocalDevice: boolean;
  setupWarnMs?: number;
  setupTimeoutMs?: number;
  logLevel: string;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WARREN_DATA_DIR) return resolve(env.WARREN_DATA_DIR);
  if (process.getuid?.() === 0) return '/var/lib/warren';
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'warren');
}

function int(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${name}=${raw} is not a whole number from ${min} to ${max}`, {
      details: [{ path: `/env/${name}`, message: `must be an integer in [${min}, ${max}]` }],
    });
  }
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): HubConfig {
  return {
    dataDir: defaultDataDir(env),
    port: int(env, 'WARREN_PORT', 0, 65535) ?? 8420,
    host: env.WARREN_HOST ?? '0.0.0.0',
    databaseUrl: env.WARREN_DATABASE_URL || undefined,
    adminPassword: env.WARREN_ADMIN_PASSWORD || undefined,
    adminUser: env.WARREN_ADMIN_USER || 'admin',
    pluginPaths: (env.WARREN_PLUGIN_PATHS ?? '').split(':').filter(Boolean).map((p) => resolve(p)),
    noLocalDevice: env.WARREN_NO_LOCAL_DEVICE === '1',
    setupWarnMs: int(env, 'WARREN_PLUGIN_SETUP_WARN_MS', 1, 3_600_000),
    setupTimeoutMs: int(env, 'WARREN_PLUGIN_SETUP_TIMEOUT_MS', 1, 3_600_000),
    logLevel: env.WARREN_LOG_LEVEL ?? 'info',
  };
}
