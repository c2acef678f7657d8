// The three test devices the live benches add to a hub, one per connection kind: the local Docker
// socket, dev1 over SSH (ssh-procfs metrics), dev2 over TCP+TLS (node_exporter metrics); as
// scripts/test-env.sh recorded them. Spread into DevicesService.add() with a name.
import { readFileSync } from 'node:fs';
import type { TestEnvState } from '../test/helpers/services.js';

export function testDeviceInputs(state: TestEnvState) {
  const [dev1, dev2] = state.devices ?? [];
  if (!state.docker || !dev1 || !dev2 || !state.images?.web) {
    console.error('needs the local Docker, two test devices and the web image; run: sudo bash scripts/test-env.sh up');
    process.exit(2);
  }
  const helperImage = state.images.web;
  const tls = dev2.docker.tcp.tls;
  return {
    helperImage,
    local: { connection: { type: 'socket' as const, socketPath: state.docker.socket }, helperImage },
    ssh: {
      connection: { type: 'ssh' as const, host: dev1.ssh.host, port: dev1.ssh.port, username: dev1.ssh.username, privateKey: readFileSync(dev1.ssh.privateKeyPath, 'utf8') },
      helperImage,
    },
    tls: {
      connection: { type: 'tcp' as const, host: dev2.docker.tcp.host, port: dev2.docker.tcp.port, tls: { ca: readFileSync(tls.ca, 'utf8'), cert: readFileSync(tls.cert, 'utf8'), key: readFileSync(tls.key, 'utf8') } },
      nodeExporterUrl: dev2.nodeExporter!.url,
      helperImage,
    },
  };
}
