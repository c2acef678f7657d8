import t from 'tap';
// Every piece scripts/test-env.sh records must really answer: the suites trust state.json, so a
// recorded engine that is down, an image missing from one engine or a device whose SSH session does
// not reach its own dockerd would otherwise surface as confusing failures elsewhere.
import { accessSync, constants, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import Docker from 'dockerode';
import { NodeSSH } from 'node-ssh';
import pg from 'pg';
import { needServices, type TestDevice } from '../helpers/services.js';

interface Reply { status: number; body: string }

function get(options: { socketPath?: string; url?: string; tls?: { ca: string; cert?: string; key?: string } }, path = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const done = (res: import('node:http').IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = options.tls
      ? httpsRequest(`${options.url}${path}`, {
          ca: readFileSync(options.tls.ca),
          ...(options.tls.cert ? { cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key!) } : {}),
          timeout: 10_000,
        }, done)
      : options.socketPath
        ? httpRequest({ socketPath: options.socketPath, path, timeout: 10_000 }, done)
        : httpRequest(`${options.url}${path}`, { timeout: 10_000 }, done);
    req.on('timeout', () => req.destroy(new Error(`timeout: ${options.url ?? options.socketPath}${path}`)));
    req.on('error', reject);
    req.end();
  });
}

const tcpDocker = (d: TestDevice, withClientCert = true): Docker =>
  new Docker({
    protocol: 'https',
    host: d.docker.tcp.host,
    port: d.docker.tcp.port,
    ca: readFileSync(d.docker.tcp.tls.ca),
    ...(withClientCert ? { cert: readFileSync(d.docker.tcp.tls.cert), key: readFileSync(d.docker.tcp.tls.key) } : {}),
  });

const sshDocker = (d: TestDevice): Docker =>
  new Docker({
    protocol: 'ssh',
    host: d.ssh.host,
    port: d.ssh.port,
    username: d.ssh.username,
    sshOptions: { privateKey: readFileSync(d.ssh.privateKeyPath) },
  } as Docker.DockerOptions);

t.test('local docker answers /_ping', async (t) => {
  const env = needServices(t, 'docker');
  if (!env) return;
  t.same(await get({ socketPath: env.docker!.socket }, '/_ping'), { status: 200, body: 'OK' });
});

t.test('podman answers on its libpod and Docker-compatible APIs and runs a container', async (t) => {
  const env = needServices(t, 'podman', 'images');
  if (!env) return;
  const socketPath = env.podman!.socket;
  t.same(await get({ socketPath }, '/v4.0.0/libpod/_ping'), { status: 200, body: 'OK' });
  const version = JSON.parse((await get({ socketPath }, '/v1.41/version')).body) as { Components?: { Name: string }[] };
  t.ok(version.Components?.some((c) => /podman/i.test(c.Name)), 'the compatible API is Podman behind it');
  // Without the containers.conf fix every container dies with "error setting rlimit".
  const podman = new Docker({ socketPath });
  const c = await podman.createContainer({ Image: env.images!.web!, Cmd: ['sh', '-c', 'exit 0'] });
  try {
    await c.start();
    t.equal((await c.wait()).StatusCode, 0, 'a container runs to completion');
  } finally {
    await c.remove({ force: true });
  }
});

t.test('every image is in every engine, the same image everywhere', async (t) => {
  const env = needServices(t, 'docker', 'images');
  if (!env) return;
  const engines: [string, Docker][] = [['local docker', new Docker({ socketPath: env.docker!.socket })]];
  if (env.podman) engines.push(['podman', new Docker({ socketPath: env.podman.socket })]);
  for (const d of env.devices ?? []) engines.push([d.id, new Docker({ socketPath: d.docker.socket })]);
  for (const key of ['web', 'postgres', 'mariadb', 'demo']) {
    const ref = env.images![key];
    t.ok(ref, `images.${key} is recorded (${env.errors?.images ?? ''})`);
    if (!ref) continue;
    const ids = new Set<string>();
    for (const [name, engine] of engines) {
      const info = await engine.getImage(ref).inspect().catch((e: Error) => e);
      if (info instanceof Error) t.fail(`${ref} missing in ${name}: ${info.message}`);
      else ids.add(info.Id.replace(/^sha256:/, ''));
    }
    t.equal(ids.size, 1, `${ref} has one id in all ${engines.length} engines`);
  }
});

t.test('the web image serves its page on a device, at the device address', async (t) => {
  const env = needServices(t, 'devices', 'images');
  if (!env) return;
  const d = env.devices![0];
  const docker = new Docker({ socketPath: d.docker.socket });
  const c = await docker.createContainer({
    Image: env.images!.web!,
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: d.address, HostPort: '' }] } },
  });
  try {
    await c.start();
    const port = await publishedPort(c, '8080/tcp');
    const reply = await eventually(() => get({ url: `http://${d.address}:${port}` }, '/'));
    t.equal(reply.status, 200);
    t.match(reply.body, /warren-test\/web/);
  } finally {
    await c.remove({ force: true });
  }
});

// Polls until fn stops throwing (containers take a moment to serve).
async function eventually<T>(fn: () => Promise<T>, tries = 100): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function publishedPort(c: Docker.Container, port: string): Promise<string> {
  const p = (await c.inspect()).NetworkSettings.Ports[port]?.[0]?.HostPort;
  if (!p) throw new Error(`${port} not published`);
  return p;
}

t.test('the demo app on one device reaches a postgres on another', async (t) => {
  const env = needServices(t, 'devices', 'images');
  if (!env) return;
  const [d1, d2] = env.devices!;
  if (!d2) return t.fail('needs two devices');
  const dbEngine = new Docker({ socketPath: d2.docker.socket });
  const appEngine = new Docker({ socketPath: d1.docker.socket });
  const db = await dbEngine.createContainer({
    Image: env.images!.postgres!,
    Env: ['POSTGRES_PASSWORD=s3cret', 'POSTGRES_USER=app', 'POSTGRES_DB=shop'],
    ExposedPorts: { '5432/tcp': {} },
    HostConfig: { PortBindings: { '5432/tcp': [{ HostIp: d2.address, HostPort: '' }] } },
  });
  let app: Docker.Container | undefined;
  try {
    await db.start();
    const dbPort = await publishedPort(db, '5432/tcp');
    app = await appEngine.createContainer({
      Image: env.images!.demo!,
      Env: [`DATABASE_URL=postgres://app:s3cret@${d2.address}:${dbPort}/shop`],
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: d1.address, HostPort: '' }] } },
    });
    await app.start();
    const url = `http://${d1.address}:${await publishedPort(app, '8080/tcp')}`;
    const page = await eventually(async () => {
      const r = await get({ url }, '/cgi-bin/health');
      if (r.status !== 200) throw new Error(`health ${r.status}: ${r.body}`);
      return (await get({ url }, '/')).body;
    });
    t.match(page, /connected: yes/);
    t.match(page, /database: shop/);
    await db.stop({ t: 5 });
    const down = await get({ url }, '/cgi-bin/health');
    t.equal(down.status, 503, 'the health page follows the database going away');
    t.match(down.body, /connected: no/);
  } finally {
    await app?.remove({ force: true });
    await db.remove({ force: true, v: true });
  }
});

t.test('devices', async (t) => {
  const env = needServices(t, 'devices');
  if (!env) return;
  const devices = env.devices!;
  t.ok(devices.length >= 2, `at least two devices (${env.errors?.devices ?? 'none failed'})`);
  t.equal(new Set(devices.map((d) => d.address)).size, devices.length, 'each device has its own address');
  const roots = new Set<string>();

  for (const d of devices) {
    await t.test(d.id, async (t) => {
      t.same(await get({ socketPath: d.docker.socket }, '/_ping'), { status: 200, body: 'OK' }, 'unix socket');

      // What plugins do: dockerode over SSH runs `docker system dial-stdio` on the device, which must
      // reach the device's own engine, not the host's.
      const viaSsh = await sshDocker(d).info();
      const viaSocket = await new Docker({ socketPath: d.docker.socket }).info();
      t.equal(viaSsh.ID, viaSocket.ID, 'ssh + dial-stdio reaches the device engine');
      roots.add(viaSsh.DockerRootDir);

      const ssh = new NodeSSH();
      await ssh.connect({ host: d.ssh.host, port: d.ssh.port, username: d.ssh.username, privateKeyPath: d.ssh.privateKeyPath });
      try {
        const info = await ssh.execCommand("docker info --format '{{.ID}}'");
        t.equal(info.stdout.trim(), viaSocket.ID, '`docker info` in an SSH session talks to the device engine');
        const addr = await ssh.execCommand('ip -4 -o addr show dev eth0');
        t.match(addr.stdout, ` ${d.address}/`, 'the SSH session runs inside the device namespace');
        for (const other of devices.filter((o) => o.id !== d.id)) {
          const r = await ssh.execCommand(`timeout 5 bash -c '>/dev/tcp/${other.address}/${other.ssh.port}' && echo open`);
          t.equal(r.stdout.trim(), 'open', `${d.id} reaches ${other.id} across the bridge`);
        }
      } finally {
        ssh.dispose();
      }

      t.equal(String(await tcpDocker(d).ping()), 'OK', 'TLS endpoint answers with the client certificate');
      await t.rejects(
        get({ url: `https://${d.docker.tcp.host}:${d.docker.tcp.port}`, tls: { ca: d.docker.tcp.tls.ca } }, '/_ping').then((r) => {
          if (r.status === 200) throw new Error('answered without a client certificate');
          return r;
        }),
        'TLS endpoint refuses a client without a certificate',
      );

      t.ok(d.nodeExporter, 'node_exporter recorded');
      if (d.nodeExporter) t.match((await get({ url: d.nodeExporter.url })).body, /^node_memory_MemAvailable_bytes \d/m);
    });
  }
  t.equal(roots.size, devices.length, 'every device has an engine of its own');
});

t.test('host node_exporter serves memory metrics', async (t) => {
  const env = needServices(t, 'nodeExporter');
  if (!env) return;
  const r = await get({ url: env.nodeExporter!.url });
  t.equal(r.status, 200);
  t.match(r.body, /^node_memory_MemAvailable_bytes \d/m);
});

t.test("the machine's postgres answers", async (t) => {
  const env = needServices(t, 'postgres');
  if (!env) return;
  const client = new pg.Client({ connectionString: env.postgres!.url });
  await client.connect();
  try {
    t.equal((await client.query<{ one: number }>('select 1 as one')).rows[0].one, 1);
  } finally {
    await client.end();
  }
});

t.test('chromium and mosquitto binaries are executable', async (t) => {
  const env = needServices(t, 'chromium', 'mosquitto');
  if (!env) return;
  t.doesNotThrow(() => accessSync(env.chromium!.path, constants.X_OK), env.chromium!.path);
  t.doesNotThrow(() => accessSync(env.mosquitto!.bin, constants.X_OK), env.mosquitto!.bin);
});
