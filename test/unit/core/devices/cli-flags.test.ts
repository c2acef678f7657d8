// `warren devices add|test` flags become the REST body: files are read here (the hub may be elsewhere),
// `--ssh` alone is the engine's connection and beside `--tcp`/`--socket` the login that reads /proc.
import t from 'tap';
import { deviceInputFromFlags } from '../../../../core/cli/commands/devices.js';
import { WarrenError } from '../../../../core/errors.js';

const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY', '/id': 'PRIVATE' };
const read = (p: string) => {
  if (!(p in files)) throw new Error('ENOENT: no such file');
  return files[p]!;
};

t.test('a socket', async (t) => {
  t.same(deviceInputFromFlags({ name: 'nuc', socket: '/var/run/docker.sock', label: ['room=attic'], reserveMemory: '512M' }, read), {
    name: 'nuc',
    engine: 'docker',
    connection: { type: 'socket', socketPath: '/var/run/docker.sock' },
    labels: { room: 'attic' },
    reserve: { memoryBytes: 512 * 2 ** 20 },
  });
});

t.test('TCP with TLS files, and SSH for /proc beside it', async (t) => {
  t.same(deviceInputFromFlags({ name: 'nas', tcp: 'nas.lan:2376', tlsCa: '/ca.pem', tlsCert: '/cert.pem', tlsKey: '/key.pem', ssh: 'root@nas.lan:2222', sshKey: '/id' }, read), {
    name: 'nas',
    engine: 'docker',
    connection: { type: 'tcp', host: 'nas.lan', port: 2376, tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } },
    ssh: { username: 'root', host: 'nas.lan', port: 2222, privateKey: 'PRIVATE' },
  });
});

t.test('SSH alone is the engine connection', async (t) => {
  t.same(deviceInputFromFlags({ name: 'pi', engine: 'podman', ssh: 'pi@10.0.0.5', sshKey: '/id', sshSocket: '/run/podman/podman.sock', nodeExporter: 'http://10.0.0.5:9100/metrics' }, read), {
    name: 'pi',
    engine: 'podman',
    connection: { type: 'ssh', username: 'pi', host: '10.0.0.5', privateKey: 'PRIVATE', socketPath: '/run/podman/podman.sock' },
    nodeExporterUrl: 'http://10.0.0.5:9100/metrics',
  });
});

t.test('every mistake at once, each with its flag', async (t) => {
  try {
    deviceInputFromFlags({ tcp: 'nas', tlsCa: '/missing.pem', ssh: 'nas', label: ['x'], reserveDisk: 'lots' }, read);
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof WarrenError);
    const paths = (e as WarrenError).details!.map((d) => d.path);
    t.same(paths.sort(), ['--label', '--reserve-disk', '--ssh', '--ssh-key', '--tcp', '--tls-ca', '--tls-cert', '--tls-key'].sort(), paths.join(' '));
    t.match((e as WarrenError).details!.find((d) => d.path === '--tls-ca')!.message, /cannot read \/missing\.pem/);
  }
  t.throws(() => deviceInputFromFlags({ name: 'x' }, read), /bad options/, 'no way to reach the engine');
  t.throws(() => deviceInputFromFlags({ name: 'x', socket: '/s', tcp: 'a:1', tlsCa: '/ca.pem', tlsCert: '/cert.pem', tlsKey: '/key.pem' }, read), /bad options/, 'two ways');
});
