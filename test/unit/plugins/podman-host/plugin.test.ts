// Both engine plugins as the hub sees them before any I/O: their package sections load, their config
// schemas accept the three connection forms, mark credentials secret, and say what is wrong with bad
// settings. Constructors open nothing, so building a provider for an unreachable host costs nothing.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { readPluginPackage } from '../../../../core/plugin/manifest.js';
import { validateConfig } from '../../../../core/plugin/config.js';
import dockerPlugin from '../../../../plugins/docker-host/index.js';
import podmanPlugin from '../../../../plugins/podman-host/index.js';
import { PodmanHost } from '../../../../plugins/podman-host/podman-host.js';

const dir = (name: string) => fileURLToPath(new URL(`../../../../plugins/${name}/`, import.meta.url));

for (const [name, plugin, hostId] of [
  ['docker-host', dockerPlugin, 'docker'],
  ['podman-host', podmanPlugin, 'podman'],
] as const) {
  t.test(`${name}: package section and providers agree`, async (t) => {
    const pkg = await readPluginPackage(dir(name), { preferTs: true });
    t.same(
      pkg.warren.providers.map((p) => `${p.kind}/${p.id}`),
      plugin.providers.map((p) => `${p.kind}/${p.id}`),
    );
    t.ok(pkg.warren.providers.some((p) => p.kind === 'container-host' && p.id === hostId));
    t.ok(pkg.warren.providers.some((p) => p.kind === 'metrics-source' && p.id === 'engine-metrics'));
  });

  t.test(`${name}: config schema`, async (t) => {
    const schema = plugin.providers.find((p) => p.id === hostId)!.configSchema;
    const ssh = { type: 'ssh', host: 'nas', username: 'warren', privateKey: 'KEY', socketPath: '/run/podman/podman.sock' };
    for (const connection of [
      { type: 'socket', socketPath: '/var/run/docker.sock' },
      { type: 'tcp', host: 'nas', port: 2376, tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } },
      ssh,
    ]) {
      t.doesNotThrow(() => validateConfig(schema, { connection }, hostId), `${connection.type} accepted`);
    }
    t.throws(() => validateConfig(schema, { connection: { type: 'tcp', host: 'nas', port: 2376 } }, hostId), { code: 'WARREN_ERR_PLUGIN_CONFIG' }, 'TCP without TLS is refused');
    t.throws(() => validateConfig(schema, { connection: { type: 'socket', socketPath: 'relative.sock' } }, hostId), { code: 'WARREN_ERR_PLUGIN_CONFIG' });
    const text = JSON.stringify(schema);
    t.match(text, /"key":\{[^}]*"x-secret":true/, 'the TLS key is secret');
    t.match(text, /"privateKey":\{[^}]*"x-secret":true/, 'the SSH key is secret');
  });
}

t.test('podman over SSH needs the socket to forward to; docker can use dial-stdio', async (t) => {
  const noSocket = { connection: { type: 'ssh', host: 'pi', username: 'warren', privateKey: 'KEY' } };
  t.throws(() => validateConfig(podmanPlugin.providers[0]!.configSchema, noSocket, 'podman'), { code: 'WARREN_ERR_PLUGIN_CONFIG' });
  t.doesNotThrow(() => validateConfig(dockerPlugin.providers[0]!.configSchema, noSocket, 'docker'));
});

t.test('constructing a host does no I/O; close is safe without a connection', async (t) => {
  const host = new PodmanHost({ connection: { type: 'ssh', host: '203.0.113.1', username: 'x', privateKey: 'not a key', socketPath: '/run/podman/podman.sock' } });
  await host.close();
  await host.close();
  t.pass('no connection attempted, nothing to release');
});
