import t from 'tap';
import plugin from '../../../plugins/docker-host/index.js';
import { needServices } from '../../helpers/services.js';
import { runContainerHostContract } from './contract.js';
import { setupHost, socketConfig } from './hosts.js';

const state = needServices(t as unknown as Parameters<typeof needServices>[0], 'docker', 'images');
if (state) {
  await runContainerHostContract(t, 'Docker over the local socket', () => setupHost(plugin, 'docker', socketConfig(state.docker!.socket, state)), {
    image: state.images!.web!,
    publishedAddress: '127.0.0.1',
  });
}
