// The plugin host: discovers plugin packages, checks their manifests, loads them (built-ins in the
// hub's process, third-party ones in a child process each), and runs provider instances through
// their lifecycle. Failure is contained here: whatever a plugin does, the hub goes on and the
// instance's state says what happened and what to do.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, WarrenError, type ErrorDetail } from '../errors.js';
import type { EventBus } from '../bus/bus.js';
import type { PluginState, ProviderState } from '../bus/events.js';
import type { HubLogger } from '../log.js';
import { scopedLogger } from '../log.js';
import { ChildProcessRuntime } from './child-runtime.js';
import { mergeSecrets, redactConfig, splitSecrets, validateConfig } from './config.js';
import { readPluginPackage, type PluginPackage } from './manifest.js';
import { InProcessRuntime, type ContextBackend, type PluginRuntime, type ProviderMeta } from './runtime.js';
import type { Closable, ConnectionTestResult, KeyValueStorage, ProviderKind, ProviderTypes, SecretStorage } from './types.js';

export interface HostTimings {
  /** A setup still running after this logs a warning. */
  setupWarnMs: number;
  /** A setup still running after this is abandoned and the instance fails. */
  setupTimeoutMs: number;
  /** NotReadyError retry: base·2^min(n,4) + jitter. */
  retryBaseMs: number;
  retryJitterMs: number;
  /** Child process restart after a crash: base·2^min(n,4) + jitter. */
  restartBaseMs: number;
}

export const DEFAULT_TIMINGS: HostTimings = {
  setupWarnMs: 10_000,
  setupTimeoutMs: 300_000,
  retryBaseMs: 5_000,
  retryJitterMs: 1_000,
  restartBaseMs: 5_000,
};

export function backoffMs(attempt: number, baseMs: number, jitterMs: number, random: () => number = Math.random): number {
  return baseMs * 2 ** Math.min(Math.max(attempt, 0), 4) + random() * jitterMs;
}

export interface StoredInstance {
  id: string;
  plugin: string;
  provider: string;
  /** Config without its secret fields. */
  config: Record<string, unknown>;
  configVersion: number;
  enabled: boolean;
}

/** How the host keeps instances, their secrets and their per-instance storage (the store, or memory in tests). */
export interface InstancePersistence {
  list(): Promise<StoredInstance[]>;
  save(rec: StoredInstance, secrets: Record<string, string>): Promise<void>;
  secretsOf(id: string): Promise<Record<string, string>>;
  delete(id: string): Promise<void>;
  recordState(id: string, state: ProviderState, message?: string): Promise<void>;
  storage(instanceId: string): KeyValueStorage;
  secrets(instanceId: string): SecretStorage;
}

export interface PluginInfo {
  name: string;
  version: string;
  builtIn: boolean;
  isolation: 'process' | 'none';
  state: PluginState;
  error?: { code: string; message: string; hint?: string; details?: ErrorDetail[] };
  providers: { kind: ProviderKind; id: string; title: string; configSchema: Record<string, unknown>; configVersion: number; hasTest: boolean }[];
  restarts: number;
  dir: string;
}

export interface InstanceInfo {
  id: string;
  plugin: string;
  provider: string;
  kind?: ProviderKind;
  state: ProviderState;
  error?: { code: string; message: string; hint?: string; details?: ErrorDetail[] };
  attempts: number;
  retryAt?: number;
  config: Record<string, unknown>;
  secretsSet: string[];
  since: number;
}

interface LoadedPlugin {
  pkg?: PluginPackage;
  info: PluginInfo;
  runtime?: PluginRuntime;
  metas: ProviderMeta[];
  restartTimer?: NodeJS.Timeout;
}

interface LiveInstance {
  stored: StoredInstance;
  info: InstanceInfo;
  provider?: Closable;
  retryTimer?: NodeJS.Timeout;
  generation: number;
}

export interface PluginHostOptions {
  builtinDir?: string;
  /** Third-party plugins: `<dataDir>/plugins/node_modules/*` with the keyword `warren-plugin`. */
  dataDir: string;
  /** Extra folders holding plugin packages (each a package, or a folder of packages). */
  extraPluginPaths?: string[];
  logger: HubLogger;
  bus: EventBus;
  persistence: InstancePersistence;
  timings?: Partial<HostTimings>;
  random?: () => number;
}

export class PluginHost {
  private readonly plugins = new Map<string, LoadedPlugin>();
  private readonly instances = new Map<string, LiveInstance>();
  /** Ready order, so that shutdown closes in reverse. */
  private readyOrder: string[] = [];
  private readonly timings: HostTimings;
  private stopped = false;

  constructor(private readonly opts: PluginHostOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...opts.timings };
  }

  // ---- discovery and loading ------------------------------------------------------------------

  async discover(): Promise<{ dir: string; builtIn: boolean }[]> {
    const found: { dir: string; builtIn: boolean }[] = [];
    const listDirs = async (root: string) => {
      if (!existsSync(root)) return [] as string[];
      const out: string[] = [];
      for (const e of (await readdir(root, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        if (!e.isDirectory() && !e.isSymbolicLink()) continue;
        if (e.name.startsWith('@')) {
          for (const s of (await readdir(join(root, e.name))).sort()) out.push(join(root, e.name, s));
        } else if (!e.name.startsWith('.')) out.push(join(root, e.name));
      }
      return out;
    };
    if (this.opts.builtinDir) {
      for (const dir of await listDirs(this.opts.builtinDir)) {
        if (existsSync(join(dir, 'package.json'))) found.push({ dir, builtIn: true });
      }
    }
    const thirdPartyRoots = [join(this.opts.dataDir, 'plugins', 'node_modules'), ...(this.opts.extraPluginPaths ?? [])];
    for (const root of thirdPartyRoots) {
      if (existsSync(join(root, 'package.json'))) found.push({ dir: root, builtIn: false });
      else for (const dir of await listDirs(root)) if (existsSync(join(dir, 'package.json'))) found.push({ dir, builtIn: false });
    }
    return found;
  }

  async loadAll(): Promise<void> {
    for (const { dir, builtIn } of await this.discover()) await this.loadPlugin(dir, builtIn);
  }

  private log(scope: string) {
    return scopedLogger(this.opts.logger, scope);
  }

  private setPluginState(p: LoadedPlugin, state: PluginState, err?: unknown): void {
    p.info.state = state;
    p.info.error = err === undefined ? undefined : describeError(err);
    this.opts.bus.emit('plugin.state', { plugin: p.info.name, state, ...(p.info.error ? { code: p.info.error.code, message: p.info.error.message } : {}) });
  }

  async loadPlugin(dir: string, builtIn: boolean): Promise<PluginInfo> {
    let pkg: PluginPackage;
    try {
      pkg = await readPluginPackage(dir, { preferTs: builtIn && !existsSync(join(dir, 'index.js')) });
    } catch (e) {
      const err = describeError(e);
      const raw = await readPackageJson(dir);
      const name = typeof raw?.name === 'string' ? raw.name : dir;
      const p: LoadedPlugin = {
        metas: [],
        info: { name, version: typeof raw?.version === 'string' ? raw.version : '?', builtIn, isolation: builtIn ? 'none' : 'process', state: 'refused', error: err, providers: [], restarts: 0, dir },
      };
      const isWarrenPlugin = (Array.isArray(raw?.keywords) && raw.keywords.includes('warren-plugin')) || raw?.warren !== undefined;
      if (!builtIn && err.code === 'WARREN_ERR_PLUGIN_MANIFEST' && raw && !isWarrenPlugin) return p.info; // not a Warren plugin at all
      this.plugins.set(name, p);
      this.log(`plugin:${name}`).error(err.message, { code: err.code, details: err.details });
      this.opts.bus.emit('plugin.state', { plugin: name, state: 'refused', code: err.code, message: err.message });
      return p.info;
    }
    if (!builtIn && !pkg.keywords.includes('warren-plugin')) {
      this.log('plugins').debug(`${pkg.name}: no "warren-plugin" keyword, ignored`);
      return { name: pkg.name, version: pkg.version, builtIn, isolation: 'process', state: 'unloaded', providers: [], restarts: 0, dir };
    }
    if (this.plugins.has(pkg.name)) {
      const existing = this.plugins.get(pkg.name)!;
      this.log(`plugin:${pkg.name}`).warn(`a second copy in ${dir} is ignored; using ${existing.info.dir}`);
      return existing.info;
    }
    const isolation: 'process' | 'none' = builtIn ? (pkg.warren.isolation === 'process' ? 'process' : 'none') : 'process';
    const p: LoadedPlugin = {
      pkg,
      metas: [],
      info: { name: pkg.name, version: pkg.version, builtIn, isolation, state: 'restarting', providers: [], restarts: 0, dir },
    };
    this.plugins.set(pkg.name, p);
    await this.startRuntime(p);
    return p.info;
  }

  private async startRuntime(p: LoadedPlugin): Promise<boolean> {
    const pkg = p.pkg!;
    const runtime: PluginRuntime =
      p.info.isolation === 'process' ? new ChildProcessRuntime(pkg.entry, pkg.name) : new InProcessRuntime(pkg.entry, pkg.name);
    p.runtime = runtime;
    try {
      const metas = await runtime.load();
      const declared = new Set(pkg.warren.providers.map((x) => `${x.kind}/${x.id}`));
      const missing = metas.filter((m) => !declared.has(`${m.kind}/${m.id}`));
      if (missing.length) {
        throw new WarrenError('WARREN_ERR_PLUGIN_MANIFEST', `${pkg.name}: providers not declared in package.json: ${missing.map((m) => m.id).join(', ')}`, {
          hint: 'List every provider in the "warren.providers" section of package.json.',
        });
      }
      p.metas = metas;
      p.info.providers = metas.map((m) => ({ kind: m.kind, id: m.id, title: m.title, configSchema: m.configSchema, configVersion: m.configVersion, hasTest: m.hasTest }));
      runtime.onExit((reason) => this.onRuntimeExit(p, runtime, reason));
      this.setPluginState(p, 'loaded');
      this.log(`plugin:${pkg.name}`).info(`loaded (${p.info.isolation === 'process' ? 'own process' : 'in hub process'})`);
      return true;
    } catch (e) {
      await runtime.shutdown().catch(() => {});
      this.setPluginState(p, 'failed', e);
      this.log(`plugin:${pkg.name}`).error(`failed to load: ${(e as Error).message}`);
      return false;
    }
  }

  private onRuntimeExit(p: LoadedPlugin, runtime: PluginRuntime, reason: string): void {
    if (this.stopped || p.runtime !== runtime) return;
    const delay = backoffMs(p.info.restarts, this.timings.restartBaseMs, this.timings.retryJitterMs, this.opts.random);
    p.info.restarts++;
    this.setPluginState(p, 'crashed', new WarrenError('WARREN_ERR_PLUGIN_CRASHED', `process ${reason}; restarting in ${(delay / 1000).toFixed(1)} s`));
    this.log(`plugin:${p.info.name}`).error(`process ${reason}; restart #${p.info.restarts} in ${(delay / 1000).toFixed(1)} s`);
    for (const inst of this.instances.values()) {
      if (inst.stored.plugin !== p.info.name) continue;
      clearTimeout(inst.retryTimer);
      inst.generation++;
      inst.provider = undefined;
      this.readyOrder = this.readyOrder.filter((id) => id !== inst.info.id);
      if (inst.info.state === 'failed' || inst.info.state === 'needs_reconfiguring' || inst.info.state === 'stopped') continue;
      this.setInstanceState(inst, 'retrying', new WarrenError('WARREN_ERR_PLUGIN_CRASHED', `the plugin's process ${reason}`));
    }
    p.restartTimer = setTimeout(async () => {
      p.restartTimer = undefined;
      if (this.stopped) return;
      this.setPluginState(p, 'restarting');
      if (await this.startRuntime(p)) {
        for (const inst of this.instances.values()) {
          if (inst.stored.plugin === p.info.name && inst.info.state === 'retrying') void this.startInstance(inst);
        }
      }
    }, delay);
  }

  // ---- instances -------------------------------------------------------------------------------

  private meta(plugin: string, provider: string): { p: LoadedPlugin; meta: ProviderMeta } {
    const p = this.plugins.get(plugin);
    if (!p) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no plugin "${plugin}"`, { hint: 'GET /api/plugins lists the installed plugins.' });
    const meta = p.metas.find((m) => m.id === provider);
    if (!meta) {
      if (p.info.state !== 'loaded') {
        throw new WarrenError('WARREN_ERR_NOT_READY', `plugin "${plugin}" is ${p.info.state}${p.info.error ? `: ${p.info.error.message}` : ''}`);
      }
      throw new WarrenError('WARREN_ERR_NOT_FOUND', `plugin "${plugin}" has no provider "${provider}"`, {
        hint: `Its providers: ${p.metas.map((m) => m.id).join(', ') || 'none'}.`,
      });
    }
    return { p, meta };
  }

  private backend(inst: { id: string; plugin: string; provider: string }): ContextBackend {
    const owned = this.opts.bus.owned(`instance:${inst.id}`);
    return {
      logger: this.log(`${inst.plugin}/${inst.provider}#${inst.id}`),
      storage: this.opts.persistence.storage(inst.id),
      secrets: this.opts.persistence.secrets(inst.id),
      bus: {
        emit: (type, payload) => owned.emit('plugin.event', { instance: inst.id, type, payload }),
        on: (type, listener) => owned.on(type as never, listener as never),
      },
      dataDir: join(this.opts.dataDir, 'instances', inst.id.replace(/[^a-zA-Z0-9_.-]/g, '_')),
    };
  }

  private setInstanceState(inst: LiveInstance, state: ProviderState, err?: unknown, retryInMs?: number): void {
    inst.info.state = state;
    inst.info.error = err === undefined ? undefined : describeError(err);
    inst.info.since = Date.now();
    inst.info.retryAt = retryInMs === undefined ? undefined : Date.now() + retryInMs;
    this.opts.bus.emit('provider.state', {
      instance: inst.info.id,
      plugin: inst.stored.plugin,
      provider: inst.stored.provider,
      state,
      ...(inst.info.error ? { code: inst.info.error.code, message: inst.info.error.message } : {}),
      ...(retryInMs !== undefined ? { retryInSeconds: Math.round(retryInMs / 1000) } : {}),
    });
    void this.opts.persistence.recordState(inst.info.id, state, inst.info.error?.message).catch(() => {});
  }

  /** Starts every stored, enabled instance (concurrently: one slow device must not hold up the rest). */
  async startInstances(): Promise<void> {
    const stored = await this.opts.persistence.list();
    // Instances created meanwhile (by an extension during start) are already running: leave them.
    const fresh = stored.filter((s) => s.enabled && (this.instances.get(s.id)?.info.state ?? 'stopped') === 'stopped');
    await Promise.all(fresh.map((s) => this.startInstance(this.track(s))));
  }

  private track(stored: StoredInstance): LiveInstance {
    let inst = this.instances.get(stored.id);
    if (!inst) {
      inst = {
        stored,
        generation: 0,
        info: { id: stored.id, plugin: stored.plugin, provider: stored.provider, state: 'stopped', attempts: 0, config: {}, secretsSet: [], since: Date.now() },
      };
      this.instances.set(stored.id, inst);
    } else inst.stored = stored;
    return inst;
  }

  private async startInstance(inst: LiveInstance): Promise<void> {
    if (this.stopped) return;
    const generation = ++inst.generation;
    clearTimeout(inst.retryTimer);
    const { stored } = inst;
    const log = this.log(`${stored.plugin}/${stored.provider}#${stored.id}`);
    let p: LoadedPlugin;
    let meta: ProviderMeta;
    try {
      ({ p, meta } = this.meta(stored.plugin, stored.provider));
    } catch (e) {
      this.setInstanceState(inst, 'failed', e);
      return;
    }
    inst.info.kind = meta.kind;
    this.setInstanceState(inst, 'starting');
    let config: Record<string, unknown>;
    try {
      const secrets = await this.opts.persistence.secretsOf(stored.id);
      config = mergeSecrets(meta.configSchema, stored.config, secrets);
      if (stored.configVersion !== meta.configVersion) {
        const what = `${stored.plugin}/${stored.provider}`;
        if (stored.configVersion > meta.configVersion) {
          throw new WarrenError('WARREN_ERR_PLUGIN_CONFIG', `${what}: stored config is version ${stored.configVersion}, newer than the plugin's ${meta.configVersion}`, {
            hint: 'Update the plugin, or reconfigure the instance.',
          });
        }
        if (!meta.hasMigrate) {
          throw new WarrenError('WARREN_ERR_PLUGIN_CONFIG', `${what}: stored config is version ${stored.configVersion} but the plugin expects ${meta.configVersion} and offers no migrateConfig`, {
            hint: 'Reconfigure the instance.',
          });
        }
        // Migration is plugin code, so it runs in the plugin's runtime, one version step per call.
        let current = config;
        for (let v = stored.configVersion; v < meta.configVersion; v++) current = await p.runtime!.migrate(stored.provider, current, v);
        config = validateConfig(meta.configSchema, current, `${stored.plugin}/${stored.provider}`);
        const split = splitSecrets(meta.configSchema, config);
        inst.stored = { ...stored, config: split.plain, configVersion: meta.configVersion };
        await this.opts.persistence.save(inst.stored, split.secrets);
        log.info(`config migrated from version ${stored.configVersion} to ${meta.configVersion}`);
      } else {
        config = validateConfig(meta.configSchema, config, `${stored.plugin}/${stored.provider}`);
      }
      const redacted = redactConfig(meta.configSchema, config);
      inst.info.config = redacted.config;
      inst.info.secretsSet = redacted.secretsSet;
    } catch (e) {
      log.error((e as Error).message, { code: describeError(e).code, details: describeError(e).details });
      this.setInstanceState(inst, 'failed', e);
      return;
    }

    const controller = new AbortController();
    const warnTimer = setTimeout(() => log.warn(`setup is still running after ${Math.round(this.timings.setupWarnMs / 1000)} s`), this.timings.setupWarnMs);
    let timeoutTimer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeoutTimer = setTimeout(() => {
        controller.abort(new Error('setup timed out'));
        reject(new WarrenError('WARREN_ERR_PLUGIN_TIMEOUT', `setup did not finish within ${Math.round(this.timings.setupTimeoutMs / 1000)} s`, {
          hint: 'Check that the device or service it connects to answers; the instance can be restarted from the Plugins page.',
        }));
      }, this.timings.setupTimeoutMs);
    });
    try {
      const setup = p.runtime!.setup(stored.id, stored.provider, config, this.backend(stored), controller.signal);
      setup.catch(() => {});
      const provider = await Promise.race([setup, timedOut]);
      if (generation !== inst.generation || this.stopped) {
        await provider.close().catch(() => {});
        return;
      }
      inst.provider = provider;
      inst.info.attempts = 0;
      this.readyOrder.push(stored.id);
      this.setInstanceState(inst, 'ready');
      log.info('ready');
    } catch (e) {
      if (generation !== inst.generation || this.stopped) return;
      const err = e as { name?: string; code?: string };
      if (err.name === 'NotReadyError' || err.code === 'WARREN_ERR_NOT_READY') {
        const delay = backoffMs(inst.info.attempts, this.timings.retryBaseMs, this.timings.retryJitterMs, this.opts.random);
        inst.info.attempts++;
        log.warn(`not ready: ${(e as Error).message}; retry #${inst.info.attempts} in ${(delay / 1000).toFixed(1)} s`);
        this.setInstanceState(inst, 'retrying', new WarrenError('WARREN_ERR_NOT_READY', (e as Error).message, {
          hint: `Retrying by itself in ${Math.round(delay / 1000)} s.`,
        }), delay);
        inst.retryTimer = setTimeout(() => void this.startInstance(inst), delay);
      } else if (err.name === 'AuthFailedError' || err.code === 'WARREN_ERR_AUTH_FAILED') {
        log.error(`credentials refused: ${(e as Error).message}`);
        this.setInstanceState(inst, 'needs_reconfiguring', Object.assign(new WarrenError('WARREN_ERR_AUTH_FAILED', (e as Error).message, {
          hint: 'Update the credentials in this instance\'s configuration.',
        })));
      } else {
        const wrapped = err.code?.startsWith?.('WARREN_ERR_') ? e : new WarrenError('WARREN_ERR_PLUGIN_SETUP', `setup failed: ${(e as Error).message}`);
        log.error((wrapped as Error).message);
        this.setInstanceState(inst, 'failed', wrapped);
        if (err.code === 'WARREN_ERR_PLUGIN_TIMEOUT' && p.runtime instanceof ChildProcessRuntime && !(await p.runtime.ping())) {
          log.error('the plugin process does not answer any more; ending it');
          p.runtime.kill();
        }
      }
    } finally {
      clearTimeout(warnTimer);
      clearTimeout(timeoutTimer);
    }
  }

  private async stopInstance(inst: LiveInstance): Promise<void> {
    inst.generation++;
    clearTimeout(inst.retryTimer);
    const provider = inst.provider;
    inst.provider = undefined;
    this.readyOrder = this.readyOrder.filter((id) => id !== inst.info.id);
    this.opts.bus.releaseOwner(`instance:${inst.info.id}`);
    if (provider) {
      try {
        await Promise.race([provider.close(), new Promise((r) => setTimeout(r, 10_000))]);
      } catch (e) {
        this.log(`${inst.stored.plugin}/${inst.stored.provider}#${inst.info.id}`).warn(`close failed: ${(e as Error).message}`);
      }
    }
  }

  /** Validates, stores (secrets encrypted) and starts a new instance; invalid config is refused with every error's path. */
  async createInstance(input: { id: string; plugin: string; provider: string; config: Record<string, unknown>; enabled?: boolean }): Promise<InstanceInfo> {
    if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/.test(input.id)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `instance id "${input.id}" is not allowed`, {
        details: [{ path: '/id', message: 'must match ^[a-z0-9][a-z0-9_.-]{0,62}$' }],
      });
    }
    if (this.instances.has(input.id)) throw new WarrenError('WARREN_ERR_CONFLICT', `an instance "${input.id}" exists already`, { hint: 'Choose another id, or update that one.' });
    const { meta } = this.meta(input.plugin, input.provider);
    const config = validateConfig(meta.configSchema, input.config, `${input.plugin}/${input.provider}`);
    const { plain, secrets } = splitSecrets(meta.configSchema, config);
    const stored: StoredInstance = { id: input.id, plugin: input.plugin, provider: input.provider, config: plain, configVersion: meta.configVersion, enabled: input.enabled ?? true };
    await this.opts.persistence.save(stored, secrets);
    const inst = this.track(stored);
    if (stored.enabled) await this.startInstance(inst);
    return this.instanceInfo(input.id)!;
  }

  /** Changes an instance's config; secret fields left out keep their stored values. */
  async updateInstance(id: string, config: Record<string, unknown>): Promise<InstanceInfo> {
    const inst = this.instances.get(id);
    if (!inst) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no instance "${id}"`);
    const { meta } = this.meta(inst.stored.plugin, inst.stored.provider);
    const merged = mergeSecrets(meta.configSchema, config, await this.opts.persistence.secretsOf(id));
    const valid = validateConfig(meta.configSchema, merged, `${inst.stored.plugin}/${inst.stored.provider}`);
    const { plain, secrets } = splitSecrets(meta.configSchema, valid);
    await this.stopInstance(inst);
    inst.stored = { ...inst.stored, config: plain, configVersion: meta.configVersion };
    await this.opts.persistence.save(inst.stored, secrets);
    inst.info.attempts = 0;
    if (inst.stored.enabled) await this.startInstance(inst);
    return this.instanceInfo(id)!;
  }

  async restartInstance(id: string): Promise<InstanceInfo> {
    const inst = this.instances.get(id);
    if (!inst) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no instance "${id}"`);
    await this.stopInstance(inst);
    inst.info.attempts = 0;
    await this.startInstance(inst);
    return this.instanceInfo(id)!;
  }

  async removeInstance(id: string): Promise<void> {
    const inst = this.instances.get(id);
    if (!inst) return;
    await this.stopInstance(inst);
    this.instances.delete(id);
    await this.opts.persistence.delete(id);
  }

  /** "Test connection" with a config that is not saved. */
  async testConfig(plugin: string, provider: string, config: Record<string, unknown>, existingId?: string): Promise<ConnectionTestResult> {
    const { p, meta } = this.meta(plugin, provider);
    const merged = existingId ? mergeSecrets(meta.configSchema, config, await this.opts.persistence.secretsOf(existingId)) : config;
    const valid = validateConfig(meta.configSchema, merged, `${plugin}/${provider}`);
    const id = existingId ?? `test-${Date.now().toString(36)}`;
    try {
      return await withTimeout(p.runtime!.test(id, provider, valid, this.backend({ id, plugin, provider })), this.timings.setupTimeoutMs);
    } catch (e) {
      const d = describeError(e);
      return { ok: false, message: d.message, details: { code: d.code } };
    } finally {
      this.opts.bus.releaseOwner(`instance:${id}`);
    }
  }

  // ---- queries ---------------------------------------------------------------------------------

  listPlugins(): PluginInfo[] {
    return [...this.plugins.values()].map((p) => structuredClone(p.info)).sort((a, b) => a.name.localeCompare(b.name));
  }

  listInstances(): InstanceInfo[] {
    return [...this.instances.values()].map((i) => structuredClone(i.info)).sort((a, b) => a.id.localeCompare(b.id));
  }

  instanceInfo(id: string): InstanceInfo | undefined {
    const i = this.instances.get(id);
    return i ? structuredClone(i.info) : undefined;
  }

  /** A ready provider instance, or undefined. */
  provider<K extends ProviderKind>(id: string, kind: K): ProviderTypes[K] | undefined {
    const i = this.instances.get(id);
    if (!i?.provider || i.info.state !== 'ready' || i.info.kind !== kind) return undefined;
    return i.provider as unknown as ProviderTypes[K];
  }

  providersOfKind<K extends ProviderKind>(kind: K): { id: string; provider: ProviderTypes[K] }[] {
    return this.readyOrder
      .map((id) => ({ id, provider: this.provider(id, kind) }))
      .filter((x): x is { id: string; provider: ProviderTypes[K] } => x.provider !== undefined);
  }

  /** Closes ready instances in reverse order of readiness, then the plugins in reverse load order. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const inst of this.instances.values()) clearTimeout(inst.retryTimer);
    for (const id of [...this.readyOrder].reverse()) {
      const inst = this.instances.get(id);
      if (inst) await this.stopInstance(inst);
    }
    for (const inst of this.instances.values()) await this.stopInstance(inst);
    for (const p of [...this.plugins.values()].reverse()) {
      clearTimeout(p.restartTimer);
      await p.runtime?.shutdown().catch(() => {});
      if (p.info.state === 'loaded') p.info.state = 'unloaded';
    }
  }
}

async function readPackageJson(dir: string): Promise<{ name?: unknown; version?: unknown; keywords?: unknown[]; warren?: unknown } | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new WarrenError('WARREN_ERR_TIMEOUT', `no answer within ${Math.round(ms / 1000)} s`)), ms);
    }),
  ]);
}
