import { definePlugin } from '../../core/plugin/types.js';
import { EngineHost } from './engine-host.js';
import { containerHostProvider, engineMetricsProvider, loadSchema } from './provider.js';

const schema = loadSchema(new URL('./config.schema.json', import.meta.url));
const make = (config: ConstructorParameters<typeof EngineHost>[0], logger?: ConstructorParameters<typeof EngineHost>[1]) => new EngineHost(config, logger);

export default definePlugin({
  providers: [
    containerHostProvider({ id: 'docker', title: 'Docker Engine', schema, make }),
    engineMetricsProvider({ id: 'engine-metrics', title: 'Container engine metrics', schema, make }),
  ],
});
