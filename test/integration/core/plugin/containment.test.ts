// Real fixture plugins in real child processes: whatever a plugin does, the host stays up and
// reports each case with the right state and code.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { EventBus } from '../../../../core/bus/bus.js';
import { createLogger } from '../../../../core/log.js';
import { PluginHost } from '../../../../core/plugin/host.js';
import { MemoryPersistence } from '../../../fakes/memory-persistence.js';

const fixtures = join(import.meta.dirname, '../../../fixtures/plugins');

function makeHost(t: { teardown(fn: () => unknown): void }, only?: string[], persistence = new MemoryPersistence()) {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-host-'));
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _e, cb) { lines.push(chunk.toString()); cb(); } });
  const bus = new EventBus();
  const host = new PluginHost({
    dataDir,
    extraPluginPaths: only ? only.map((n) => join(fixtures, n)) : [fixtures],
    logger: createLogger({ level: 'debug', destination: sink }),
    bus,
    persistence,
    timings: { setupWarnMs: 150, setupTimeoutMs: 1500, retryBaseMs: 100, retryJitterMs: 10, restartBaseMs: 200 },
    random: () => 0.5,
  });
  t.teardown(async () => { await host.stop(); rmSync(dataDir, { recursive: true, force: true }); });
  return { host, bus, lines, persistence };
}

const until = async (what: string, f: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

t.test('every fixture is reported correctly and the host stays up', async (t) => {
  const { host, lines } = makeHost(t);
  await host.loadAll();
  const plugins = Object.fromEntries(host.listPlugins().map((p) => [p.name.replace('warren-fixture-', ''), p]));
  t.equal(plugins['wrong-api'].state, 'refused');
  t.equal(plugins['wrong-api'].error?.code, 'WARREN_ERR_PLUGIN_API_MISMATCH');
  t.match(plugins['wrong-api'].error?.message, /needs plugin API \^9\.0\.0, this hub provides 1\./);
  for (const name of ['works', 'throws-in-setup', 'hangs', 'throws-later', 'kills-itself', 'bad-config', 'not-ready', 'auth-failed']) {
    t.equal(plugins[name].state, 'loaded', `${name} loaded`);
    t.equal(plugins[name].isolation, 'process', `${name} runs in its own process`);
  }

  const make = (plugin: string, config: Record<string, unknown> = {}) =>
    host.createInstance({ id: plugin, plugin: `warren-fixture-${plugin}`, provider: 'probe', config });

  const works = await make('works', { url: 'http://probe.lan:9000', token: 'tok-SECRET-123' });
  t.equal(works.state, 'ready');
  t.same(works.config, { url: 'http://probe.lan:9000', intervalSeconds: 30 }, 'defaults filled, secret not shown');
  t.same(works.secretsSet, ['/token']);

  const throws = await make('throws-in-setup');
  t.equal(throws.state, 'failed');
  t.equal(throws.error?.code, 'WARREN_ERR_PLUGIN_SETUP');
  t.match(throws.error?.message, /permission denied/);

  const hangs = await make('hangs');
  t.equal(hangs.state, 'failed');
  t.equal(hangs.error?.code, 'WARREN_ERR_PLUGIN_TIMEOUT');
  t.ok(lines.some((l) => /setup is still running after/.test(l)), 'a slow setup warns before it fails');

  const auth = await make('auth-failed');
  t.equal(auth.state, 'needs_reconfiguring');
  t.equal(auth.error?.code, 'WARREN_ERR_AUTH_FAILED');

  const notReady = await make('not-ready');
  t.equal(notReady.state, 'retrying');
  t.equal(notReady.error?.code, 'WARREN_ERR_NOT_READY');
  await until('not-ready to become ready after two retries', () => host.instanceInfo('not-ready')?.state === 'ready');

  await t.rejects(make('bad-config', { host: '', port: 70000, extra: true }), {
    code: 'WARREN_ERR_PLUGIN_CONFIG',
    details: [
      { path: '/extra', message: 'is not a known setting' },
      { path: '/host', message: 'must NOT have fewer than 1 characters' },
      { path: '/port', message: 'must be <= 65535' },
    ],
  });

  await make('throws-later');
  await make('kills-itself');
  await until('throws-later to crash', () => host.listPlugins().some((p) => p.name === 'warren-fixture-throws-later' && p.restarts >= 1));
  await until('kills-itself to crash', () => host.listPlugins().some((p) => p.name === 'warren-fixture-kills-itself' && p.restarts >= 1));
  const later = host.listPlugins().find((p) => p.name === 'warren-fixture-throws-later')!;
  t.ok(['crashed', 'restarting', 'loaded'].includes(later.state), `throws-later is ${later.state}`);

  // Through all of that, the good instance kept working, across the process boundary.
  const probe = host.provider('works', 'metrics-source')!;
  const reading = (await probe.collect()) as unknown as { memory: { availableBytes: number }; pid: number; tokenSeen: boolean };
  t.equal(reading.memory.availableBytes, 400);
  t.not(reading.pid, process.pid, 'the plugin runs in another process');
  t.ok(reading.tokenSeen, 'the secret reached the plugin and its secret storage');
  t.same((probe as unknown as { provides: string[] }).provides, ['memory'], 'plain properties cross too');
});

t.test('async iterables and callbacks cross the process boundary', async (t) => {
  const { host } = makeHost(t, ['works']);
  await host.loadAll();
  await host.createInstance({ id: 'w', plugin: 'warren-fixture-works', provider: 'probe', config: { url: 'http://x.lan' } });
  const probe = host.provider('w', 'metrics-source') as unknown as { lines(n: number, cb: (i: number) => void): AsyncIterable<string> };
  const seen: number[] = [];
  const got: string[] = [];
  for await (const line of probe.lines(3, (i) => seen.push(i))) got.push(line);
  t.same(got, ['line 0', 'line 1', 'line 2']);
  await until('callbacks', () => seen.length === 3);
  t.same(seen, [0, 1, 2]);
});

t.test('a crashed plugin is restarted and its instances come back', async (t) => {
  const { host } = makeHost(t, ['kills-itself']);
  await host.loadAll();
  await host.createInstance({ id: 'k', plugin: 'warren-fixture-kills-itself', provider: 'probe', config: {} });
  await until('first crash', () => (host.listPlugins().find((p) => p.name === 'warren-fixture-kills-itself')?.restarts ?? 0) >= 1);
  t.equal(host.instanceInfo('k')?.state === 'ready' || host.instanceInfo('k')?.state === 'retrying', true);
  await until('instance ready again after restart', () => host.instanceInfo('k')?.state === 'ready', 10_000);
  t.pass('restarted with backoff and set up again');
});

t.test('config migration runs in the plugin and is saved', async (t) => {
  const persistence = new MemoryPersistence();
  await persistence.save({ id: 'old', plugin: 'warren-fixture-works', provider: 'probe', config: { address: 'http://legacy.lan' }, configVersion: 1, enabled: true }, {});
  const { host } = makeHost(t, ['works'], persistence);
  await host.loadAll();
  await host.startInstances();
  t.equal(host.instanceInfo('old')?.state, 'ready');
  t.same(persistence.instances.get('old')?.config, { url: 'http://legacy.lan', intervalSeconds: 30 });
  t.equal(persistence.instances.get('old')?.configVersion, 2);
});

t.test('a stored config that became invalid fails with every path, the host goes on', async (t) => {
  const persistence = new MemoryPersistence();
  await persistence.save({ id: 'bad', plugin: 'warren-fixture-bad-config', provider: 'probe', config: { port: 'eighty' }, configVersion: 1, enabled: true }, {});
  const { host } = makeHost(t, ['bad-config'], persistence);
  await host.loadAll();
  await host.startInstances();
  const info = host.instanceInfo('bad')!;
  t.equal(info.state, 'failed');
  t.equal(info.error?.code, 'WARREN_ERR_PLUGIN_CONFIG');
  t.same(info.error?.details?.map((d) => d.path).sort(), ['/host', '/port']);
});

t.test('connection test runs without saving anything', async (t) => {
  const { host, persistence } = makeHost(t, ['works', 'throws-in-setup']);
  await host.loadAll();
  const r = await host.testConfig('warren-fixture-works', 'probe', { url: 'http://nas.lan' });
  t.same(r, { ok: true, message: 'reached http://nas.lan' });
  const bad = await host.testConfig('warren-fixture-throws-in-setup', 'probe', {});
  t.equal(bad.ok, true, 'providers without testConfig report the config as valid');
  t.equal(persistence.instances.size, 0);
});
