import t from 'tap';
import plugin from '../../../plugins/podman-host/index.js';
import { needServices } from '../../helpers/services.js';
import { runContainerHostContract } from './contract.js';
import { setupHost, socketConfig } from './hosts.js';

const state = needServices(t as unknown as Parameters<typeof needServices>[0], 'podman', 'images');
if (state) {
  await runContainerHostContract(t, 'Podman over its API socket', () => setupHost(plugin, 'podman', socketConfig(state.podman!.socket, state)), {
    image: state.images!.web!,
    publishedAddress: '127.0.0.1',
  });
}
