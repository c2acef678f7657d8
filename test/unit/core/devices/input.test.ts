// Adding a device: every mistake reported with its path at once, and the input mapped onto the right
// provider instances without secrets leaking into the device row.
import t from 'tap';
import { WarrenError } from '../../../../core/errors.js';
import { engineConfig, hostSourcePlan, parseDeviceInput, parseTestInput, publicConnection, slugify } from '../../../../core/devices/input.js';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n';
const tls = { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' };

function errorsOf(input: unknown, parse = parseDeviceInput): { path: string; message: string }[] {
  try {
    parse(input);
  } catch (e) {
    if (e instanceof WarrenError && e.code === 'WARREN_ERR_INVALID_INPUT') return e.details ?? [];
    throw e;
  }
  return [];
}

t.test('a valid socket device gets defaults', async (t) => {
  const d = parseDeviceInput({ name: 'nuc', connection: { type: 'socket', socketPath: '/var/run/docker.sock' } });
  t.equal(d.engine, 'docker');
  t.same(d.labels, {});
  t.same(d.reserve, {});
});

t.test('every problem is reported with its path', async (t) => {
  const paths = errorsOf({ engine: 'lxc', connection: { type: 'tcp', host: '', port: 99999, tls: { ca: 'x' } }, reserve: { memoryBytes: -1 }, extra: 1 }).map((d) => d.path);
  for (const p of ['/name', '/engine', '/connection/host', '/connection/port', '/connection/tls/cert', '/connection/tls/key', '/reserve/memoryBytes', '/extra']) {
    t.ok(paths.includes(p), `${p} reported (${paths.join(', ')})`);
  }
});

t.test('an unknown connection type names the type, not every alternative', async (t) => {
  const details = errorsOf({ name: 'x', connection: { type: 'ftp' } });
  t.ok(details.length >= 1 && details.every((d) => d.path.startsWith('/connection')), JSON.stringify(details));
});

t.test('a bad exporter URL and a bad SSH block', async (t) => {
  const paths = errorsOf({ name: 'x', connection: { type: 'socket', socketPath: 'relative' }, nodeExporterUrl: 'ftp://nas', ssh: { host: 'nas' } }).map((d) => d.path);
  for (const p of ['/connection/socketPath', '/nodeExporterUrl', '/ssh/username', '/ssh/privateKey']) t.ok(paths.includes(p), `${p} reported (${paths.join(', ')})`);
});

t.test('testing needs no name', async (t) => {
  t.same(errorsOf({ connection: { type: 'socket', socketPath: '/x.sock' } }, parseTestInput), []);
});

t.test('host figures: exporter URL first, then SSH, then a local socket, else none', async (t) => {
  const ssh = { type: 'ssh' as const, host: 'pi', username: 'pi', privateKey: KEY };
  t.equal(hostSourcePlan({ connection: ssh, nodeExporterUrl: 'http://pi:9100/metrics' }).kind, 'node-exporter');
  const viaEngineSsh = hostSourcePlan({ connection: ssh });
  t.equal(viaEngineSsh.kind, 'ssh-procfs');
  t.same(viaEngineSsh.kind === 'ssh-procfs' && viaEngineSsh.config, { host: 'pi', username: 'pi', privateKey: KEY }, "the engine's SSH login reads /proc");
  const tcp = { type: 'tcp' as const, host: 'nas', port: 2376, tls };
  t.equal(hostSourcePlan({ connection: tcp, ssh: { host: 'nas', username: 'root', privateKey: KEY } }).kind, 'ssh-procfs');
  t.equal(hostSourcePlan({ connection: tcp }).kind, 'none');
  t.equal(hostSourcePlan({ connection: { type: 'socket', socketPath: '/var/run/docker.sock' } }).kind, 'local');
});

t.test('the device row keeps where, never a key', async (t) => {
  const conns = [
    { type: 'ssh' as const, host: 'pi', username: 'pi', privateKey: KEY, passphrase: 'sesame' },
    { type: 'tcp' as const, host: 'nas', port: 2376, tls },
  ];
  for (const connection of conns) {
    const text = JSON.stringify(publicConnection({ connection, ssh: { host: 'nas', username: 'root', privateKey: KEY } }));
    t.notMatch(text, /PRIVATE KEY|sesame|KEY PEM|CERT PEM|CA PEM/, `${connection.type}: ${text}`);
    t.match(text, connection.host);
  }
  t.same(engineConfig({ connection: conns[1]! }), { connection: conns[1] }, 'the engine instance gets the whole connection');
});

t.test('ids from names', async (t) => {
  t.equal(slugify('My NAS'), 'my-nas');
  t.equal(slugify('  Pi #4 (garage) '), 'pi-4-garage');
  t.equal(slugify('日本'), 'device');
  t.ok(slugify('x'.repeat(100)).length <= 40);
  t.match(slugify('a'.repeat(39) + '-b'), /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
});
