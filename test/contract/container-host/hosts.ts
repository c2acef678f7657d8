// Builds provider instances the way the hub does: config checked against the plugin's own schema,
// then the provider's `setup` with a plugin context.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Closable, PluginContext, PluginDefinition } from '../../../core/plugin/types.js';
import { validateConfig } from '../../../core/plugin/config.js';
import type { ContainerHost } from '../../../core/providers/container-host.js';
import { sshFingerprint } from '../../../plugins/docker-host/connection.js';
import type { TestDevice, TestEnvState } from '../../helpers/services.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

export function testContext(): PluginContext {
  const kv = new Map<string, unknown>();
  return {
    instanceId: 'test/container-host#contract',
    logger: quiet,
    bus: { emit() {}, on: () => () => {} },
    signal: new AbortController().signal,
    storage: {
      get: async <T>(k: string) => kv.get(k) as T | undefined,
      set: async (k, v) => void kv.set(k, v),
      delete: async (k) => void kv.delete(k),
      keys: async () => [...kv.keys()],
    },
    secrets: { get: async () => undefined, set: async () => {}, delete: async () => {} },
    dataDir: tmpdir(),
    onStop() {},
  };
}

export async function setupHost(plugin: PluginDefinition, providerId: string, config: Record<string, unknown>): Promise<ContainerHost & Closable> {
  const def = plugin.providers.find((p) => p.id === providerId && p.kind === 'container-host');
  if (!def) throw new Error(`no container-host provider ${providerId}`);
  const checked = validateConfig(def.configSchema, config, providerId);
  return (await def.setup(checked, testContext())) as ContainerHost & Closable;
}

const read = (path: string) => readFileSync(path, 'utf8');

export const socketConfig = (socketPath: string, state: TestEnvState) => ({
  connection: { type: 'socket', socketPath },
  helperImage: state.images!.web!,
});

export const tlsConfig = (d: TestDevice, state: TestEnvState) => ({
  connection: {
    type: 'tcp',
    host: d.docker.tcp.host,
    port: d.docker.tcp.port,
    tls: { ca: read(d.docker.tcp.tls.ca), cert: read(d.docker.tcp.tls.cert), key: read(d.docker.tcp.tls.key) },
  },
  helperImage: state.images!.web!,
});

/** The device's host key fingerprint from the known_hosts the test environment wrote, if it did. */
export function knownFingerprint(d: TestDevice): string | undefined {
  if (!d.ssh.knownHostsPath) return undefined;
  const line = read(d.ssh.knownHostsPath).split('\n').find((l) => l.split(' ')[0] === d.ssh.host);
  return line ? sshFingerprint(Buffer.from(line.split(' ')[2]!, 'base64')) : undefined;
}

export const sshConfig = (d: TestDevice, state: TestEnvState) => {
  const hostFingerprint = knownFingerprint(d);
  return {
    connection: {
      type: 'ssh',
      host: d.ssh.host,
      port: d.ssh.port,
      username: d.ssh.username,
      privateKey: read(d.ssh.privateKeyPath),
      ...(hostFingerprint ? { hostFingerprint } : {}),
    },
    helperImage: state.images!.web!,
  };
};
