// Both metrics plugins as the plugin host sees them: a valid `warren` section, providers that match
// the default export, schemas the hub's validator compiles, defaults filled, secrets recognised.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { readPluginPackage } from '../../../../core/plugin/manifest.js';
import { secretPaths, validateConfig } from '../../../../core/plugin/config.js';
import sshProcfs from '../../../../plugins/ssh-procfs/index.js';
import nodeExporter from '../../../../plugins/node-exporter/index.js';

const dir = (name: string) => fileURLToPath(new URL(`../../../../plugins/${name}`, import.meta.url));

for (const [name, plugin] of [['ssh-procfs', sshProcfs], ['node-exporter', nodeExporter]] as const) {
  t.test(`${name}: manifest and default export agree`, async (t) => {
    const pkg = await readPluginPackage(dir(name), { preferTs: true });
    t.same(
      pkg.warren.providers.map((p) => [p.kind, p.id]),
      plugin.providers.map((p) => [p.kind, p.id]),
    );
    t.ok(pkg.keywords.includes('warren-plugin'));
  });
}

t.test('ssh-procfs config: defaults, secrets, every error with its path', async (t) => {
  const schema = sshProcfs.providers[0]!.configSchema;
  const ok = validateConfig(schema, { host: 'pi.lan', username: 'warren', privateKey: 'KEY', passphrase: 'p' }, 'ssh-procfs');
  t.same([ok.port, ok.paths, ok.benchmark], [22, ['/'], true]);
  t.same(secretPaths(schema, ok as never).sort(), ['/passphrase', '/privateKey']);
  let details: { path: string }[] = [];
  try {
    validateConfig(schema, { host: '', port: 70000, paths: ['relative'], hostKeyFingerprint: 'MD5:xx' }, 'ssh-procfs');
  } catch (e) {
    details = (e as { details: { path: string }[] }).details;
  }
  const paths = details.map((d) => d.path).sort();
  for (const p of ['/host', '/port', '/paths/0', '/hostKeyFingerprint']) t.ok(paths.includes(p), `${p} reported`);
  t.ok(paths.some((p) => p === '/' || p === '/username' || p === '/privateKey'), 'missing fields reported');
});

t.test('node-exporter config: URL checked, token secret', async (t) => {
  const schema = nodeExporter.providers[0]!.configSchema;
  const ok = validateConfig(schema, { url: 'http://nas.lan:9100/metrics', bearerToken: 'tok' }, 'node-exporter');
  t.equal(ok.timeoutMs, 10000);
  t.same(secretPaths(schema, ok as never), ['/bearerToken']);
  t.throws(() => validateConfig(schema, { url: 'ftp://nas' }, 'node-exporter'), { code: 'WARREN_ERR_PLUGIN_CONFIG' });
  t.throws(() => validateConfig(schema, { url: 'http://nas', mountpoints: ['data'] }, 'node-exporter'), { code: 'WARREN_ERR_PLUGIN_CONFIG' });
});
