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
      let hub: Hub;
      try {
        hub = await Hub.start(configFromEnv(env), { routeModules: featureRoutes(), extensions: featureExtensions() });
      } catch (e) {
        cli.fail(e);
      }
      // A plugin or listener bug must not take the hub down: log it and keep serving.
      process.on('uncaughtException', (err) => hub.logger.error({ err }, 'uncaught exception (contained)'));
      process.on('unhandledRejection', (err) => hub.logger.error({ err }, 'unhandled rejection (contained)'));
      let signals = 0;
      const shutdown = (sig: string) => {
        if (++signals > 1) process.exit(130);
        void hub.stop(`received ${sig}`).then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
    });
}
