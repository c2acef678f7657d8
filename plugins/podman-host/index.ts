import { definePlugin } from '../../core/plugin/types.js';
import { containerHostProvider, engineMetricsProvider, loadSchema } from '../docker-host/provider.js';
import { PodmanHost } from './podman-host.js';

const schema = loadSchema(new URL('./config.schema.json', import.meta.url));
const make = (config: ConstructorParameters<typeof PodmanHost>[0], logger?: ConstructorParameters<typeof PodmanHost>[1]) => new PodmanHost(config, logger);

export default definePlugin({
  providers: [
    containerHostProvider({ id: 'podman', title: 'Podman', schema, make }),
    engineMetricsProvider({ id: 'engine-metrics', title: 'Container engine metrics (Podman)', schema, make }),
  ],
});
