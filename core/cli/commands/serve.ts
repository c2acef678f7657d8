import type { Command } from 'commander';
import { configFromEnv } from '../../config.js';
import { Hub } from '../../hub.js';
import { featureExtensions, featureRoutes } from '../../features.js';
import type { CliContext } from '../context.js';

export function register(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description('run the hub: REST API, web UI, plugins (settings from WARREN_* variables; see README)')
    .option('-p, --port <port>', 'HTTP port (WARREN_PORT, default 8420)')
    .action(async (opts: { port?: string }) => {
      const env = { ...process.env, ...(opts.port ? { WARREN_PORT: opts.port } : {}), ...(program.opts().dataDir ? { WARREN_DATA_DIR: program.opts().dataDir } : {}) };
      let hub: Hub | undefined;
      let stopSignal: string | undefined;
      let signals = 0;
      const stop = () => {
        // Exit only once the log is flushed, so the last lines ("stopped") are not lost.
        const exit = (code: number) => (hub ? hub.logger.flush(() => process.exit(code)) : process.exit(code));
        void hub!.stop(`received ${stopSignal}`).then(() => exit(0), () => exit(1));
      };
      // Handlers first: a signal that arrives while the hub is still starting stops it once started.
      const onSignal = (sig: string) => {
        if (++signals > 1) process.exit(130);
        stopSignal = sig;
        if (hub) stop();
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      try {
        hub = await Hub.start(configFromEnv(env), { routeModules: featureRoutes(), extensions: featureExtensions() });
      } catch (e) {
        cli.fail(e);
      }
      // A plugin or listener bug must not take the hub down: log it and keep serving.
      process.on('uncaughtException', (err) => hub!.logger.error({ err }, 'uncaught exception (contained)'));
      process.on('unhandledRejection', (err) => hub!.logger.error({ err }, 'unhandled rejection (contained)'));
      if (stopSignal) stop();
    });
}
