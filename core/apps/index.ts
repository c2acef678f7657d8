// The apps feature: `hub.services.apps`, recovery of operations a previous hub left unfinished, the
// reconcile loop, and the socket.io rooms `apps` (the list) and `operation:<id>` (one operation).
//
// Settings: WARREN_APPS_RECONCILE_SECONDS (default 30), WARREN_APPS_HEALTH_TIMEOUT_SECONDS (default
// 300), WARREN_IMAGE_REWRITES (shared with pooling).
//
// Test hook: WARREN_TEST_CRASH_AT=<kind>:<step>:<before|after> (e.g. `install:deploy:after`) makes the
// hub SIGKILL itself at that step boundary, as a power cut would. Only the crash tests set it.
import type { Hub, HubExtension } from '../hub.js';
import { poolingOptionsFromEnv } from '../pooling/index.js';
import { AppService, type AppsOptions } from './service.js';

export { AppService, operationView, statusFrom, type AppDetail, type AppView, type AppsOptions, type InstallRequest, type OperationView } from './service.js';
export { Journal, type OperationKind, type Step, type StepData } from './journal.js';

export function appsOptionsFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): AppsOptions {
  const seconds = (name: string, dflt: number) => {
    const n = Number(env[name] ?? dflt);
    return Number.isFinite(n) && n > 0 ? n * 1000 : dflt * 1000;
  };
  const rewrites = poolingOptionsFromEnv(dataDir, env).imageRewrites;
  return {
    reconcileIntervalMs: seconds('WARREN_APPS_RECONCILE_SECONDS', 30),
    healthTimeoutMs: seconds('WARREN_APPS_HEALTH_TIMEOUT_SECONDS', 300),
    ...(rewrites ? { imageRewrites: rewrites } : {}),
    ...(env.WARREN_TEST_CRASH_AT ? { crashAt: env.WARREN_TEST_CRASH_AT } : {}),
  };
}

export class AppsFeature implements HubExtension {
  readonly name = 'apps';
  private timer?: NodeJS.Timeout;
  private service?: AppService;

  constructor(private readonly opts: Partial<AppsOptions> = {}) {}

  async start(hub: Hub): Promise<void> {
    const service = new AppService(hub, { ...appsOptionsFromEnv(hub.config.dataDir), ...this.opts });
    this.service = service;
    hub.services.apps = service;
    hub.sockets.registerRoom('apps', async () => ({ apps: await service.list() }));
    hub.sockets.registerRoom('operation', async (id) => ({ operation: await service.operation(String(id)) }));
    const tick = async () => {
      if (this.service !== service) return;
      await service.recover().catch((e) => hub.logger.warn({ err: e }, 'recovering app operations will be retried'));
      await service.reconcile();
    };
    // Recovery waits for devices to connect, which happens after start; it must not hold the hub up.
    setTimeout(() => void tick(), 0).unref();
    this.timer = setInterval(() => void tick(), service.opts.reconcileIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.service?.close();
    // An install waiting for health can take minutes; what is still running then is recovered next start.
    if (this.service) await Promise.race([this.service.settled(), new Promise((r) => setTimeout(r, 10_000).unref())]);
    this.service = undefined;
  }
}
