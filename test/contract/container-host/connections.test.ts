// Connection failures keep their meaning across the three transports: refused credentials need
// reconfiguring (AuthFailedError), an engine that is not there yet is retried (NotReadyError). And the
// SSH transport's second mode, a forward straight to the device's engine socket, works too.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import plugin from '../../../plugins/docker-host/index.js';
import { AuthFailedError, NotReadyError } from '../../../core/plugin/types.js';
import { needServices } from '../../helpers/services.js';
import { knownFingerprint, setupHost, sshConfig, testContext, tlsConfig } from './hosts.js';

const state = needServices(t as unknown as Parameters<typeof needServices>[0], 'devices', 'images');

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
}

if (state) {
  const device = state.devices![0]!;

  t.test('SSH forwarding straight to the engine socket on the device', async (t) => {
    const config = sshConfig(device, state);
    const host = await setupHost(plugin, 'docker', { ...config, connection: { ...config.connection, socketPath: device.docker.socket } });
    t.teardown(() => host.close());
    t.equal((await host.info()).engine, 'docker');
    t.equal(await host.hasImage(state.images!.web!), true);
  });

  t.test('the device host key is checked against hostFingerprint', async (t) => {
    // The device's key as the test environment recorded it in known_hosts.
    const fingerprint = knownFingerprint(device);
    t.match(fingerprint, /^SHA256:/, 'the test environment recorded the host key');
    const config = sshConfig(device, state);
    const host = await setupHost(plugin, 'docker', { ...config, connection: { ...config.connection, hostFingerprint: fingerprint } });
    t.equal((await host.info()).engine, 'docker', 'the right key connects');
    await host.close();
    const wrong = `SHA256:${'A'.repeat(43)}`;
    t.type(await failure(setupHost(plugin, 'docker', { ...config, connection: { ...config.connection, hostFingerprint: wrong } })), AuthFailedError, 'another key is refused');
  });

  t.test('an SSH key the device does not know is AuthFailedError', async (t) => {
    const { private: privateKey } = ssh2.utils.generateKeyPairSync('ed25519');
    const config = sshConfig(device, state);
    const e = await failure(setupHost(plugin, 'docker', { ...config, connection: { ...config.connection, privateKey } }));
    t.type(e, AuthFailedError);
  });

  t.test('TLS: a client certificate from another CA, and a server from another CA, are AuthFailedError', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=stranger',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const stranger = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
    const good = tlsConfig(device, state);

    const wrongClient = await failure(setupHost(plugin, 'docker', { ...good, connection: { ...good.connection, tls: { ...good.connection.tls, ...stranger } } }));
    t.type(wrongClient, AuthFailedError, `client refused: ${(wrongClient as Error).message}`);

    const wrongCa = await failure(setupHost(plugin, 'docker', { ...good, connection: { ...good.connection, tls: { ...good.connection.tls, ca: stranger.cert } } }));
    t.type(wrongCa, AuthFailedError, `server not trusted: ${(wrongCa as Error).message}`);
  });

  t.test('nothing listening, or no socket, is NotReadyError', async (t) => {
    const good = tlsConfig(device, state);
    t.type(await failure(setupHost(plugin, 'docker', { ...good, connection: { ...good.connection, port: 1 } })), NotReadyError);
    t.type(await failure(setupHost(plugin, 'docker', { connection: { type: 'socket', socketPath: '/run/warren-test/no-such.sock' } })), NotReadyError);
  });

  t.test('"Test connection" reports the engine, or why not, and keeps nothing open', async (t) => {
    const def = plugin.providers.find((p) => p.id === 'docker')!;
    const ok = await def.testConfig!(tlsConfig(device, state), testContext());
    t.equal(ok.ok, true);
    t.match(ok.message, /docker .* CPUs/);
    const bad = await def.testConfig!({ connection: { type: 'socket', socketPath: '/run/warren-test/no-such.sock' } }, testContext());
    t.equal(bad.ok, false);
    t.match(bad.message, /not reachable/);
  });
}
