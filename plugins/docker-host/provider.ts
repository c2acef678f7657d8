// The provider definitions shared by the Docker and Podman plugins: same lifecycle, same "Test
// connection", a different engine class behind them.
import { readFileSync } from 'node:fs';
import { defineProvider, type JsonSchema, type Logger, type ProviderDefinition } from '../../core/plugin/types.js';
import type { EngineConfig } from './connection.js';
import type { EngineHost } from './engine-host.js';
import { EngineMetrics } from './metrics.js';

export const loadSchema = (url: URL): JsonSchema => JSON.parse(readFileSync(url, 'utf8')) as JsonSchema;

type MakeHost = (config: EngineConfig, logger?: Logger) => EngineHost;

/** Connects and checks `/_ping`; a failure closes what was opened before it is thrown. */
export async function connectHost(make: MakeHost, config: EngineConfig, logger?: Logger, signal?: AbortSignal): Promise<EngineHost> {
  const host = make(config, logger);
  try {
    await host.connect(signal);
    return host;
  } catch (e) {
    await host.close();
    throw e;
  }
}

export function containerHostProvider(opts: { id: string; title: string; schema: JsonSchema; make: MakeHost }): ProviderDefinition<'container-host', EngineConfig> {
  return defineProvider<'container-host', EngineConfig>({
    kind: 'container-host',
    id: opts.id,
    title: opts.title,
    configSchema: opts.schema,
    configVersion: 1,
    async testConfig(config, ctx) {
      let host: EngineHost | undefined;
      try {
        host = await connectHost(opts.make, config, ctx.logger, ctx.signal);
        const info = await host.info(ctx.signal);
        const arch = info.variant ? `${info.arch}/${info.variant}` : info.arch;
        return {
          ok: true,
          message: `${info.engine} ${info.version} on ${info.hostname ?? 'the device'}: ${arch}, ${info.cpus} CPUs, ${(info.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
          details: { ...info },
        };
      } catch (e) {
        return { ok: false, message: e instanceof Error ? e.message : String(e), details: { error: (e as { code?: string }).code ?? 'unknown' } };
      } finally {
        await host?.close();
      }
    },
    async setup(config, ctx) {
      return connectHost(opts.make, config, ctx.logger, ctx.signal);
    },
  });
}

export function engineMetricsProvider(opts: { id: string; title: string; schema: JsonSchema; make: MakeHost }): ProviderDefinition<'metrics-source', EngineConfig> {
  return defineProvider<'metrics-source', EngineConfig>({
    kind: 'metrics-source',
    id: opts.id,
    title: opts.title,
    configSchema: opts.schema,
    configVersion: 1,
    async setup(config, ctx) {
      return new EngineMetrics(await connectHost(opts.make, config, ctx.logger, ctx.signal));
    },
  });
}
