/**
 * The plugin contract. A plugin is a package whose package.json has a `warren` section
 * (`apiVersion`, `providers`, optional `isolation`) and whose default export is `definePlugin(...)`.
 * Plugins import only this module and `core/providers/*`; everything else of the hub reaches them
 * through the one {@link PluginContext} passed to `setup`.
 */
import type { ContainerHost } from '../providers/container-host.js';
import type { DatabasePoolDriver } from '../providers/database-pool.js';
import type { MetricsSource } from '../providers/metrics-source.js';

/** The plugin API version this host implements. Plugins declare a semver range that must include it. */
export const PLUGIN_API_VERSION = '1.0.0';

export type ProviderKind = 'container-host' | 'database-pool' | 'metrics-source';

export interface ProviderTypes {
  'container-host': ContainerHost;
  'database-pool': DatabasePoolDriver;
  'metrics-source': MetricsSource;
}

/** A JSON Schema (draft 2020-12 subset). Properties may carry `"x-secret": true`. */
export type JsonSchema = Record<string, unknown>;

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

/** Per-instance key-value storage, persisted by the hub. Values are JSON. */
export interface KeyValueStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** Per-instance secrets, encrypted at rest. Never logged, never sent on a bus. */
export interface SecretStorage {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/** The part of the hub's event bus a plugin may use; listeners are released when the plugin unloads. */
export interface PluginBus {
  emit(type: string, payload: Record<string, unknown>): void;
  on(type: string, listener: (payload: Record<string, unknown>) => void): () => void;
}

/** Everything a provider gets from the hub, as one object. */
export interface PluginContext {
  /** `plugin/provider#instance`, stable for the lifetime of the instance. */
  instanceId: string;
  /** Logger already prefixed with the plugin and provider id. */
  logger: Logger;
  bus: PluginBus;
  /** Aborted when the instance is being unloaded or its setup timed out. */
  signal: AbortSignal;
  storage: KeyValueStorage;
  secrets: SecretStorage;
  /** A directory the instance may write to (created on demand). */
  dataDir: string;
  /** Registers a hook run when the instance stops, in reverse order of registration. */
  onStop(hook: () => void | Promise<void>): void;
}

export interface ConnectionTestResult {
  ok: boolean;
  message: string;
  details?: Record<string, unknown>;
}

/** Every provider instance can be closed; `close` undoes what `setup` did and is idempotent. */
export interface Closable {
  close(): Promise<void>;
}

export interface ProviderDefinition<K extends ProviderKind = ProviderKind, C = Record<string, unknown>> {
  kind: K;
  /** Unique within the plugin; `[a-z0-9-]+`. */
  id: string;
  title: string;
  /** JSON Schema of the config; validated by the hub before `setup` sees it, and used to render the form. */
  configSchema: JsonSchema;
  /** Current config version; stored configs with a lower version go through `migrateConfig`. Default 1. */
  configVersion?: number;
  migrateConfig?(config: Record<string, unknown>, fromVersion: number): Record<string, unknown>;
  /** "Test connection": may do I/O, must not keep anything open. */
  testConfig?(config: C, ctx: PluginContext): Promise<ConnectionTestResult>;
  /**
   * Creates the provider instance. May do I/O. Throw {@link NotReadyError} when the thing behind it is
   * not there yet (retried with backoff), {@link AuthFailedError} when credentials are refused.
   */
  setup(config: C, ctx: PluginContext): Promise<ProviderTypes[K] & Closable>;
}

export interface PluginDefinition {
  providers: ProviderDefinition<any, any>[];
}

export function definePlugin(def: PluginDefinition): PluginDefinition {
  return def;
}

export function defineProvider<K extends ProviderKind, C = Record<string, unknown>>(
  def: ProviderDefinition<K, C>,
): ProviderDefinition<K, C> {
  return def;
}

/** The thing behind the provider is not ready yet (engine starting, host rebooting): retried with backoff. */
export class NotReadyError extends Error {
  readonly code = 'WARREN_ERR_NOT_READY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotReadyError';
  }
}

/** Credentials were refused: the instance needs reconfiguring, retrying will not help. */
export class AuthFailedError extends Error {
  readonly code = 'WARREN_ERR_AUTH_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuthFailedError';
  }
}

/** The `warren` section of a plugin's package.json. */
export interface PluginManifest {
  apiVersion: string;
  providers: { kind: ProviderKind; id: string; title: string }[];
  isolation?: 'process' | 'none';
}
