import { readFileSync } from 'node:fs';
import { definePlugin, defineProvider, type JsonSchema } from '../../core/plugin/types.js';
import { MariadbDriver } from './pool.js';

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as JsonSchema;

export default definePlugin({
  providers: [
    defineProvider<'database-pool', { image?: string }>({
      kind: 'database-pool',
      id: 'mariadb',
      title: 'MariaDB pool',
      configSchema: schema,
      // No I/O here: servers are deployed by core on each device; the driver only knows the engine.
      async setup(config) {
        return Object.assign(new MariadbDriver(config.image ?? 'mariadb:11'), { close: async () => {} });
      },
    }),
  ],
});
