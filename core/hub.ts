// The hub: the one object that owns everything running — store, bus, auth, plugin host, HTTP and
// socket.io — and starts and stops it in order. Routes and bridges reach the hub's services through it.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, type RouteModule } from './api/server.js';
import { SocketHub } from './api/socket.js';
import { Auth } from './auth/auth.js';
import { EventBus } from './bus/bus.js';
import type { HubConfig } from './config.js';
import { WarrenError } from './errors.js';
import { MetricsRegistry } from './hub-metrics.js';
import { createLogger, type HubLogger } from './log.js';
import { splitSecrets } from './plugin/config.js';
import { PluginHost } from './plugin/host.js';
import { storePersistence } from './plugin/store-persistence.js';
import type { HubServices } from './services.js';
import { openStore, type Store } from './store/index.js';

/** Where the hub's files are: the repository in source form, or the folder of the esbuild bundle. */
export function installLayout(): { builtinPluginsDir: string; uiDir: string; version: string } {
  const here = fileURLToPath(import.meta.url);
  const root = here.endsWith('.ts') ? resolve(dirname(here), '..') : dirname(here);
  const fromSource = here.endsWith('.ts');
  const pkgPath = fromSource ? join(root, 'package.json') : join(root, '..', 'package.json');
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  } catch {
    // A bundle copied elsewhere has no package.json beside it; the version is cosmetic.
  }
  return {
    builtinPluginsDir: fromSource ? join(root, 'plugins') : join(root, 'plugins'),
    uiDir: fromSource ? join(root, 'dist', 'ui') : join(root, 'ui'),
    version,
  };
}

/** Events too frequent to keep in the event log. */
const UNLOGGED_EVENTS = new Set(['device.metrics', 'summary.updated', 'operation.progress']);

export interface HubOptions {
  logger?: HubLogger;
  routeModules?: RouteModule[];
  /** Runs after plugins are loaded and before the HTTP server listens (feature wiring). */
  extensions?: HubExtension[];
}

/** A feature that hangs off the hub (devices, metrics, MQTT...): started after plugins, stopped before them. */
export interface HubExtension {
  name: string;
  start(hub: Hub): Promise<void>;
  stop(): Promise<void>;
}

export class Hub {
  readonly version: string;
  readonly logger: HubLogger;
  readonly bus: EventBus;
  readonly metrics = new MetricsRegistry();
  /** Feature services, set by the extensions as they start (see core/services.ts). */
  readonly services: HubServices = {};
  store!: Store;
  auth!: Auth;
  plugins!: PluginHost;
  sockets!: SocketHub;
  private server?: Server;
  private readonly extensions: HubExtension[];
  private started: HubExtension[] = [];
  private stopping?: Promise<void>;
  url = '';

  private constructor(readonly config: HubConfig, private readonly opts: HubOptions) {
    this.version = installLayout().version;
    this.logger = opts.logger ?? createLogger({ level: config.logLevel });
    this.bus = new EventBus((err, info) => this.logger.error({ err, event: info.type, owner: info.owner }, 'an event listener failed'));
    this.extensions = opts.extensions ?? [];
  }

  static async start(config: HubConfig, opts: HubOptions = {}): Promise<Hub> {
    const hub = new Hub(config, opts);
    try {
      await hub.startInner();
    } catch (e) {
      await hub.stop('failed to start').catch(() => {});
      throw e;
    }
    return hub;
  }

  private async startInner(): Promise<void> {
    const { config, logger } = this;
    const layout = installLayout();
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    this.store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, logger: { debug: () => {}, info: () => {}, warn: (m) => logger.warn(m), error: (m) => logger.error(m) } });
    const applied = await this.store.migrate();
    logger.info({ store: this.store.location, engine: this.store.engine, migrations: applied.length }, 'store ready');

    this.bus.onAny(async (payload, type) => {
      if (UNLOGGED_EVENTS.has(type)) return;
      await this.store.events.append({ domain: type.split('.')[0], type, payload: payload as Record<string, unknown> });
    }, 'event-log');

    this.auth = new Auth(this.store, logger);
    this.plugins = new PluginHost({
      builtinDir: layout.builtinPluginsDir,
      dataDir: config.dataDir,
      extraPluginPaths: config.pluginPaths,
      logger,
      bus: this.bus,
      persistence: storePersistence(this.store),
      timings: {
        ...(config.setupWarnMs ? { setupWarnMs: config.setupWarnMs } : {}),
        ...(config.setupTimeoutMs ? { setupTimeoutMs: config.setupTimeoutMs } : {}),
      },
    });
    await this.plugins.loadAll();
    await this.applyDeclaredInstances();

    const { app } = createApp(this, { uiDir: layout.uiDir, routeModules: this.opts.routeModules });
    this.server = createServer(app);
    // Longer than the usual client keep-alive, so a client never sends on a socket the hub is closing.
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.sockets = new SocketHub(this.server, this);
    this.bus.onAny((payload, type) => {
      if (type !== 'device.metrics') this.sockets.io.to('events').emit('event', { type, payload, at: Date.now() });
    }, 'socket-events');
    await new Promise<void>((resolvePromise, reject) => {
      this.server!.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'EADDRINUSE'
            ? new WarrenError('WARREN_ERR_CONFLICT', `port ${config.port} is already in use`, { hint: 'Set WARREN_PORT to a free port.' })
            : e,
        ),
      );
      this.server!.listen(config.port, config.host, () => resolvePromise());
    });
    const addr = this.server.address() as AddressInfo;
    const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    this.url = `http://${shownHost}:${addr.port}`;

    for (const ext of this.extensions) {
      await ext.start(this);
      this.started.push(ext);
    }
    await this.auth.bootstrap({ adminPassword: config.adminPassword, adminUser: config.adminUser, baseUrl: this.url });
    // Instances start in the background: a slow device must not hold up the hub's start.
    void this.plugins.startInstances().catch((e) => logger.error({ err: e }, 'starting provider instances failed'));
    this.bus.emit('hub.started', { version: this.version, port: addr.port });
    logger.info({ url: this.url, dataDir: config.dataDir }, `Warren ${this.version} listening on ${this.url}`);
  }

  /**
   * Instances declared in `<dataDir>/instances.json` (`[{ id, plugin, provider, config }]`) are added
   * on start when missing — configuration as a file for those who prefer it. A declaration that
   * does not validate is still recorded, so that its instance shows as failed with every reason.
   */
  private async applyDeclaredInstances(): Promise<void> {
    const file = join(this.config.dataDir, 'instances.json');
    if (!existsSync(file)) return;
    let decl: unknown;
    try {
      decl = JSON.parse(await readFile(file, 'utf8'));
    } catch (e) {
      this.logger.error(`${file}: not valid JSON (${(e as Error).message}); ignored`);
      return;
    }
    if (!Array.isArray(decl)) {
      this.logger.error(`${file}: must be a JSON array of { id, plugin, provider, config }; ignored`);
      return;
    }
    const persistence = storePersistence(this.store);
    const existing = new Set((await persistence.list()).map((i) => i.id));
    for (const [i, d] of decl.entries()) {
      const item = d as { id?: unknown; plugin?: unknown; provider?: unknown; config?: unknown };
      if (typeof item?.id !== 'string' || typeof item.plugin !== 'string' || typeof item.provider !== 'string') {
        this.logger.error(`${file}: entry ${i} needs string id, plugin and provider; skipped`);
        continue;
      }
      if (existing.has(item.id)) continue;
      const config = (item.config && typeof item.config === 'object' ? item.config : {}) as Record<string, unknown>;
      const schema = this.plugins.listPlugins().find((p) => p.name === item.plugin)?.providers.find((p) => p.id === item.provider)?.configSchema ?? {};
      const { plain, secrets } = splitSecrets(schema, config);
      await persistence.save({ id: item.id, plugin: item.plugin, provider: item.provider, config: plain, configVersion: 1, enabled: true }, secrets);
      this.logger.info(`instance ${item.id} added from ${file}`);
    }
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.metrics.observe('warren_api_request_duration_seconds', 'REST API latency', { method, route, status: String(status) }, seconds);
  }

  prometheusText(startedAt: number): string {
    this.metrics.set('warren_uptime_seconds', 'Seconds since the hub started', {}, Math.round((Date.now() - startedAt) / 1000));
    this.metrics.reset('warren_plugin_instances');
    for (const i of this.plugins.listInstances()) {
      this.metrics.set('warren_plugin_instances', 'Provider instances by state', { plugin: i.plugin, provider: i.provider, instance: i.id, state: i.state }, 1);
    }
    return this.metrics.text();
  }

  /** Closes in reverse order of start: extensions, sockets and HTTP, plugins (reverse), store. */
  stop(reason = 'stop requested'): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.info({ reason }, 'stopping');
      if (this.store) this.bus.emit('hub.stopping', { reason });
      for (const ext of this.started.reverse()) {
        await ext.stop().catch((e) => this.logger.error({ err: e, extension: ext.name }, 'stopping failed'));
      }
      if (this.sockets) await this.sockets.close().catch(() => {});
      if (this.server) {
        this.server.closeAllConnections?.();
        await new Promise<void>((r) => this.server!.close(() => r()));
      }
      if (this.plugins) await this.plugins.stop();
      this.bus.releaseOwner('event-log');
      this.bus.releaseOwner('socket-events');
      if (this.store) await this.store.close();
      this.logger.info('stopped');
      this.logger.flush?.();
    })();
    return this.stopping;
  }
}
