import t from 'tap';
import plugin from '../../../plugins/docker-host/index.js';
import { needServices } from '../../helpers/services.js';
import { runContainerHostContract } from './contract.js';
import { setupHost, tlsConfig } from './hosts.js';

const state = needServices(t as unknown as Parameters<typeof needServices>[0], 'devices', 'images');
if (state) {
  // The last device, so that running beside the SSH suite (on the first) the two share no engine.
  const device = state.devices![state.devices!.length - 1]!;
  await runContainerHostContract(t, `Docker over TCP+TLS on ${device.id}`, () => setupHost(plugin, 'docker', tlsConfig(device, state)), {
    image: state.images!.web!,
    publishedAddress: device.address,
  });
}
