import { readFileSync } from 'node:fs';
import { defineProvider, definePlugin, type JsonSchema } from '../../core/plugin/types.js';
import { SshProcfsSource, type SshProcfsConfig } from './procfs-source.js';

const schema = JSON.parse(readFileSync(new URL('./config.schema.json', import.meta.url), 'utf8')) as JsonSchema;
const GiB = 1024 ** 3;

export default definePlugin({
  providers: [
    defineProvider<'metrics-source', SshProcfsConfig>({
      kind: 'metrics-source',
      id: 'ssh-procfs',
      title: 'Linux over SSH (/proc)',
      configSchema: schema,
      async testConfig(config, ctx) {
        const source = new SshProcfsSource({ ...config, benchmark: false }, ctx.logger);
        try {
          await source.setup(ctx.signal);
          const r = await source.collect(ctx.signal);
          const mem = r.memory ? `${(r.memory.totalBytes / GiB).toFixed(1)} GiB RAM` : 'no memory figures';
          return { ok: true, message: `read ${r.cpu?.cores ?? '?'} cores, ${mem}, ${r.filesystems?.length ?? 0} filesystem(s)` };
        } catch (e) {
          return { ok: false, message: (e as Error).message };
        } finally {
          await source.close();
        }
      },
      async setup(config, ctx) {
        const source = new SshProcfsSource(config, ctx.logger, ctx.storage);
        try {
          await source.setup(ctx.signal);
        } catch (e) {
          await source.close();
          throw e;
        }
        return source;
      },
    }),
  ],
});
