// Where a plugin's code runs. InProcessRuntime imports it into the hub; ChildProcessRuntime (in
// child-runtime.ts) runs the same InProcessRuntime inside a forked process and forwards calls, so a
// plugin that crashes, hangs its event loop or exits takes only its own process down.
import { mkdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { WarrenError } from '../errors.js';
import type {
  Closable,
  ConnectionTestResult,
  JsonSchema,
  KeyValueStorage,
  Logger,
  PluginBus,
  PluginContext,
  PluginDefinition,
  ProviderDefinition,
  ProviderKind,
  SecretStorage,
} from './types.js';

export interface ProviderMeta {
  kind: ProviderKind;
  id: string;
  title: string;
  configSchema: JsonSchema;
  configVersion: number;
  hasTest: boolean;
  hasMigrate: boolean;
}

/** What the hub lends one provider instance: the backing of its PluginContext. */
export interface ContextBackend {
  logger: Logger;
  storage: KeyValueStorage;
  secrets: SecretStorage;
  bus: PluginBus;
  dataDir: string;
}

export interface PluginRuntime {
  readonly isolation: 'process' | 'none';
  load(): Promise<ProviderMeta[]>;
  migrate(providerId: string, config: Record<string, unknown>, fromVersion: number): Promise<Record<string, unknown>>;
  test(instanceId: string, providerId: string, config: Record<string, unknown>, backend: ContextBackend): Promise<ConnectionTestResult>;
  /** Resolves with the provider instance (a forwarding proxy for child processes). */
  setup(instanceId: string, providerId: string, config: Record<string, unknown>, backend: ContextBackend, signal: AbortSignal): Promise<Closable>;
  close(instanceId: string): Promise<void>;
  shutdown(): Promise<void>;
  /** Called when the runtime dies on its own (child process exit); never for in-process. */
  onExit(listener: (reason: string) => void): void;
}

interface LiveInstance {
  instance?: Closable;
  controller: AbortController;
  hooks: (() => void | Promise<void>)[];
  backend: ContextBackend;
}

export class InProcessRuntime implements PluginRuntime {
  readonly isolation = 'none' as const;
  private definition?: PluginDefinition;
  private readonly live = new Map<string, LiveInstance>();

  constructor(private readonly entry: string, private readonly pluginName: string) {}

  async load(): Promise<ProviderMeta[]> {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(this.entry).href)) as { default?: unknown };
    } catch (e) {
      throw new WarrenError('WARREN_ERR_PLUGIN_LOAD', `${this.pluginName}: could not be loaded: ${(e as Error).message}`, { cause: e });
    }
    const def = mod.default as PluginDefinition | undefined;
    if (!def || !Array.isArray(def.providers)) {
      throw new WarrenError('WARREN_ERR_PLUGIN_LOAD', `${this.pluginName}: the default export is not definePlugin({ providers: [...] })`, {
        hint: 'export default definePlugin({ providers: [defineProvider({...})] })',
      });
    }
    this.definition = def;
    return def.providers.map((p) => ({
      kind: p.kind,
      id: p.id,
      title: p.title,
      configSchema: p.configSchema ?? { type: 'object' },
      configVersion: p.configVersion ?? 1,
      hasTest: typeof p.testConfig === 'function',
      hasMigrate: typeof p.migrateConfig === 'function',
    }));
  }

  private provider(providerId: string): ProviderDefinition<any, any> {
    const p = this.definition?.providers.find((x) => x.id === providerId);
    if (!p) throw new WarrenError('WARREN_ERR_NOT_FOUND', `${this.pluginName} has no provider "${providerId}"`);
    return p;
  }

  async migrate(providerId: string, config: Record<string, unknown>, fromVersion: number): Promise<Record<string, unknown>> {
    const p = this.provider(providerId);
    if (!p.migrateConfig) return config;
    return p.migrateConfig(config, fromVersion);
  }

  private makeContext(instanceId: string, backend: ContextBackend, live: LiveInstance): PluginContext {
    return {
      instanceId,
      logger: backend.logger,
      bus: backend.bus,
      signal: live.controller.signal,
      storage: backend.storage,
      secrets: backend.secrets,
      dataDir: backend.dataDir,
      onStop: (hook) => {
        live.hooks.push(hook);
      },
    };
  }

  async test(instanceId: string, providerId: string, config: Record<string, unknown>, backend: ContextBackend): Promise<ConnectionTestResult> {
    const p = this.provider(providerId);
    if (!p.testConfig) return { ok: true, message: 'This provider has no connection test; the configuration is valid.' };
    const live: LiveInstance = { controller: new AbortController(), hooks: [], backend };
    try {
      return await p.testConfig(config, this.makeContext(instanceId, backend, live));
    } finally {
      live.controller.abort();
      await runHooks(live.hooks, backend.logger);
    }
  }

  async setup(instanceId: string, providerId: string, config: Record<string, unknown>, backend: ContextBackend, signal: AbortSignal): Promise<Closable> {
    const p = this.provider(providerId);
    await mkdir(backend.dataDir, { recursive: true });
    const live: LiveInstance = { controller: new AbortController(), hooks: [], backend };
    const onAbort = () => live.controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    this.live.set(instanceId, live);
    try {
      const instance = (await p.setup(config, this.makeContext(instanceId, backend, live))) as Closable;
      if (signal.aborted) {
        // Setup finished after the hub gave up on it: undo it at once.
        await safeClose(instance, backend.logger);
        throw new WarrenError('WARREN_ERR_PLUGIN_TIMEOUT', 'setup finished after it had been abandoned');
      }
      live.instance = instance;
      return instance;
    } catch (e) {
      this.live.delete(instanceId);
      live.controller.abort();
      await runHooks(live.hooks, backend.logger);
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  instance(instanceId: string): Closable | undefined {
    return this.live.get(instanceId)?.instance;
  }

  async close(instanceId: string): Promise<void> {
    const live = this.live.get(instanceId);
    if (!live) return;
    this.live.delete(instanceId);
    live.controller.abort();
    if (live.instance) await safeClose(live.instance, live.backend.logger);
    await runHooks(live.hooks, live.backend.logger);
  }

  async shutdown(): Promise<void> {
    for (const id of [...this.live.keys()].reverse()) await this.close(id);
  }

  onExit(): void {}
}

async function safeClose(instance: Closable, logger: Logger): Promise<void> {
  try {
    if (typeof instance.close === 'function') await instance.close();
  } catch (e) {
    logger.warn('close() failed', { error: (e as Error).message });
  }
}

async function runHooks(hooks: (() => void | Promise<void>)[], logger: Logger): Promise<void> {
  for (const hook of hooks.splice(0).reverse()) {
    try {
      await hook();
    } catch (e) {
      logger.warn('an onStop hook failed', { error: (e as Error).message });
    }
  }
}
