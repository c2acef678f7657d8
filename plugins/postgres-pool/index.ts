import { readFileSync } from 'node:fs';
import { definePlugin, defineProvider, type JsonSchema } from '../../core/plugin/types.js';
import { PostgresDriver } from './pool.js';

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as JsonSchema;

export default definePlugin({
  providers: [
    defineProvider<'database-pool', { image?: string }>({
      kind: 'database-pool',
      id: 'postgres',
      title: 'PostgreSQL pool',
      configSchema: schema,
      // No I/O here: servers are deployed by core on each device; the driver only knows the engine.
      async setup(config) {
        return Object.assign(new PostgresDriver(config.image ?? 'postgres:16'), { close: async () => {} });
      },
    }),
  ],
});
