import { readFileSync } from 'node:fs';
import { defineProvider, definePlugin, type JsonSchema } from '../../core/plugin/types.js';
import { NodeExporterSource, type NodeExporterConfig } from './exporter-source.js';

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as JsonSchema;

export default definePlugin({
  providers: [
    defineProvider<'metrics-source', NodeExporterConfig>({
      kind: 'metrics-source',
      id: 'node-exporter',
      title: 'Prometheus node_exporter',
      configSchema: schema,
      async testConfig(config, ctx) {
        const source = new NodeExporterSource(config);
        try {
          const r = await source.collect(ctx.signal);
          if (!r.cpu && !r.memory) return { ok: false, message: 'the page answered but has no node_cpu_seconds_total or node_memory_* metrics' };
          return { ok: true, message: `read ${r.cpu?.cores ?? '?'} cores and ${r.filesystems?.length ?? 0} filesystem(s)` };
        } catch (e) {
          return { ok: false, message: (e as Error).message };
        } finally {
          await source.close();
        }
      },
      async setup(config, ctx) {
        const source = new NodeExporterSource(config);
        // A first scrape proves the URL before the instance counts as set up.
        await source.collect(ctx.signal);
        return source;
      },
    }),
  ],
});
