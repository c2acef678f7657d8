// The one ContainerHost contract: the same assertions against every engine and connection. Each run
// uses its own project names and removes what it made, also when an assertion fails.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Test } from 'tap';
import { WarrenError } from '../../../core/errors.js';
import { normalizeImageRef } from '../../../core/placement/index.js';
import type { Closable } from '../../../core/plugin/types.js';
import type { StackSpec } from '../../../core/providers/compose.js';
import type { ContainerHost, LogLine, ProgressEvent } from '../../../core/providers/container-host.js';
import { within } from '../../helpers/wait.js';

export interface ContractOptions {
  /** A local image with busybox's sh, httpd and wget (the test environment's warren-test/web). */
  image: string;
  /** Where ports published on this host can be reached from the test process. */
  publishedAddress: string;
}

const KNOWN_ARCHES = ['amd64', 'arm64', 'arm', '386', 'riscv64', 'ppc64le', 's390x'];

/** A port nobody listens on, TCP or UDP, judged by the host itself. */
async function freePorts(host: ContainerHost, n: number): Promise<number[]> {
  const taken = new Set((await host.listeningPorts()).map((l) => l.port));
  const out: number[] = [];
  while (out.length < n) {
    const p = 40000 + Math.floor(Math.random() * 20000);
    if (!taken.has(p) && !out.includes(p)) out.push(p);
  }
  return out;
}

function httpGet(address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: address, port, path: '/', timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function failure(p: Promise<unknown>): Promise<WarrenError> {
  try {
    await p;
  } catch (e) {
    return e as WarrenError;
  }
  throw new Error('expected a failure');
}

async function collect(it: AsyncIterable<LogLine>): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of it) out.push(l);
  return out;
}

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, tries = 60): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i++) {
    last = await fn();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)}`);
}

export function runContainerHostContract(
  t: Test,
  name: string,
  makeHost: () => Promise<ContainerHost & Closable>,
  opts: ContractOptions,
): Promise<void> {
  return t.test(`ContainerHost contract: ${name}`, async (t) => {
    const host = await makeHost();
    const project = `wct-${randomBytes(4).toString('hex')}`;
    const invalidProject = `${project}-invalid`;
    const otherProject = `${project}-x`;
    t.teardown(async () => {
      await host.removeStack(project, { removeVolumes: true }).catch(() => undefined);
      await host.removeStack(invalidProject, { removeVolumes: true }).catch(() => undefined);
      await host.removeStack(otherProject, { removeVolumes: true }).catch(() => undefined);
      await host.close();
    });

    const [webPort, udpPort] = await freePorts(host, 2);
    const appCommand = (greeting: string) => [
      'sh',
      '-c',
      // Three lines at start, one on stderr, then a tick a second for following.
      `echo one; echo two; echo "hello ${greeting} $GREETING"; echo warn >&2; (while true; do echo tick; sleep 1; done) & exec httpd -f -p 8081`,
    ];
    const spec = (greeting: string): StackSpec => ({
      project,
      labels: { 'dev.warren.test': 'contract' },
      services: {
        web: {
          image: opts.image,
          command: ['sh', '-c', 'echo web up; exec httpd -f -p 8080 -h /www'],
          ports: [{ target: 8080, published: webPort! }],
          volumes: [{ type: 'volume', source: 'data', target: '/data' }],
          networks: ['back'],
          healthcheck: { test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1'], intervalSeconds: 1, timeoutSeconds: 3, retries: 5 },
          restart: 'unless-stopped',
          // busybox as PID 1 ignores SIGTERM; do not wait Docker's default 10 s for it on every stop.
          stopGracePeriodSeconds: 1,
          labels: { 'dev.warren.role': 'web' },
        },
        app: {
          image: opts.image,
          command: appCommand('from'),
          environment: { GREETING: greeting },
          ports: [{ target: 9999, published: udpPort!, protocol: 'udp' }],
          networks: ['back'],
          dependsOn: { web: { condition: 'service_healthy' } },
          resources: { limits: { memoryBytes: 64 * 2 ** 20 }, reservations: { memoryBytes: 16 * 2 ** 20 } },
          stopGracePeriodSeconds: 1,
          labels: { 'dev.warren.role': 'app' },
        },
      },
      networks: { back: {} },
      volumes: { data: {} },
    });

    await t.test('info names the engine and a normalised architecture', async (t) => {
      const info = await host.info();
      t.match(info.engine, /^(docker|podman)$/);
      t.ok(info.version.length > 0, `version ${info.version}`);
      t.ok(KNOWN_ARCHES.includes(info.arch), `arch ${info.arch} is an OCI name`);
      t.ok(info.cpus >= 1);
      t.ok(info.memoryBytes > 64 * 2 ** 20);
    });

    await t.test('hasImage tells present from absent', async (t) => {
      t.equal(await host.hasImage(opts.image), true);
      t.equal(await host.hasImage('warren-test/absent:never'), false);
    });

    await t.test('engine info honours its abort signal', async (t) => {
      t.ok((await host.info()).version, 'info answers');
      const ac = new AbortController();
      ac.abort();
      await t.rejects(host.info(ac.signal), 'an aborted info fails instead of waiting for the engine');
    });

    await t.test('listImages names the images present by refs hasImage finds', async (t) => {
      const refs = await host.listImages();
      const normalized = new Set(refs.map((r) => normalizeImageRef(r)));
      t.ok(normalized.has(normalizeImageRef(opts.image)), `${opts.image} among the ${refs.length} refs listed`);
      t.notOk(normalized.has(normalizeImageRef('warren-test/absent:never')), 'an absent image is not listed');
      t.notOk(refs.some((r) => r.includes('<none>')), 'no placeholder of an untagged image');
      for (const r of refs.slice(0, 10)) t.equal(await host.hasImage(r), true, `hasImage finds the listed ${r}`);
      const ac = new AbortController();
      ac.abort();
      await t.rejects(host.listImages(ac.signal), 'an aborted listing fails');
    });

    await t.test('an invalid stack fails with every path and creates nothing', async (t) => {
      const bad = spec('x') as any;
      bad.project = invalidProject;
      bad.services.web.ports[0].published = 70000;
      bad.services.app.volumes = [{ type: 'volume', source: 'undeclared', target: '/x' }];
      bad.services.app.dependsOn.ghost = { condition: 'service_started' };
      const events: ProgressEvent[] = [];
      const err = await failure(host.deployStack(bad, (e) => events.push(e)));
      t.equal(err.code, 'WARREN_ERR_COMPOSE_INVALID');
      const paths = (err.details ?? []).map((d) => d.path);
      for (const path of ['/services/web/ports/0/published', '/services/app/volumes/0/source', '/services/app/dependsOn/ghost']) {
        t.ok(paths.includes(path), `names ${path}`);
      }
      t.same(events, [], 'no progress: nothing was started');
      t.equal((await host.stackStatus(invalidProject)).state, 'missing');
      t.notOk((await host.listStacks()).some((s) => s.project === invalidProject));
    });

    await t.test('a container name held by another stack fails before anything is created', async (t) => {
      // Compose names containers <project>-<service>-1, so project "p-x" with service "web" and project
      // "p" with service "x-web" want the same name.
      await host.deployStack({ project: otherProject, services: { web: { image: opts.image, command: ['sleep', '600'] } } });
      const err = await failure(host.deployStack({ project, services: { 'x-web': { image: opts.image, command: ['sleep', '600'] } } }));
      t.equal(err.code, 'WARREN_ERR_CONFLICT');
      t.same((err.details ?? []).map((d) => d.path), ['/services/x-web']);
      t.equal((await host.stackStatus(project)).state, 'missing', 'nothing of the stack was created');
      await host.removeStack(otherProject);
    });

    const ids: Record<string, string> = {};

    await t.test('deploy a two-service stack: created, healthy, running', async (t) => {
      const events: ProgressEvent[] = [];
      const result = await host.deployStack(spec('world'), (e) => events.push(e));
      t.same([...result.created].sort(), ['app', 'web']);
      t.same(result.recreated, []);
      t.same(result.unchanged, []);
      const phases = events.map((e) => e.phase);
      for (const phase of ['validate', 'network', 'volume', 'create', 'start', 'healthy', 'done'] as const) t.ok(phases.includes(phase), `progress reports ${phase}`);
      t.ok(phases.indexOf('healthy') < phases.lastIndexOf('create'), 'app is created only after web is healthy');

      const status = await host.stackStatus(project);
      t.equal(status.state, 'running');
      const web = status.services.find((s) => s.service === 'web')!;
      const app = status.services.find((s) => s.service === 'app')!;
      t.equal(web.state, 'running');
      t.equal(web.health, 'healthy');
      t.equal(app.state, 'running');
      t.equal(app.health, 'none');
      t.ok(web.ports.some((p) => p.target === 8080 && p.published === webPort && p.protocol === 'tcp'));
      t.ok(app.ports.some((p) => p.target === 9999 && p.published === udpPort && p.protocol === 'udp'));
      ids.web = web.containerId!;
      ids.app = app.containerId!;
      t.equal(web.containerName, `${project}-web-1`, "Compose's container name");
      t.equal(await httpGet(opts.publishedAddress, webPort!), 200, 'the published TCP port serves');
      t.ok((await host.listStacks()).some((s) => s.project === project && s.services.length === 2));
    });

    await t.test('redeploying the same stack changes nothing', async (t) => {
      const result = await host.deployStack(spec('world'));
      t.same([...result.unchanged].sort(), ['app', 'web']);
      t.same(result.created, []);
      t.same(result.recreated, []);
      const status = await host.stackStatus(project);
      t.same(Object.fromEntries(status.services.map((s) => [s.service, s.containerId])), ids, 'same containers');
    });

    await t.test('a changed environment recreates that service only', async (t) => {
      const result = await host.deployStack(spec('moon'));
      t.same(result.recreated, ['app']);
      t.same(result.unchanged, ['web']);
      const status = await host.stackStatus(project);
      const byService = Object.fromEntries(status.services.map((s) => [s.service, s.containerId]));
      t.equal(byService.web, ids.web, 'web kept');
      t.not(byService.app, ids.app, 'app replaced');
      t.equal(status.state, 'running');
    });

    await t.test('logs: all lines in order, tail, stderr, and follow until aborted', async (t) => {
      const all = await eventually('app logs', () => collect(host.logs(project, { service: 'app' })), (l) => l.some((x) => x.line.startsWith('hello')));
      const texts = all.filter((l) => l.stream === 'stdout').map((l) => l.line);
      t.same(texts.slice(0, 3), ['one', 'two', 'hello from moon'], 'environment reached the new container');
      t.ok(all.every((l) => l.service === 'app'));
      t.ok(all.some((l) => l.stream === 'stderr' && l.line === 'warn'), 'stderr is told apart');
      t.ok(all.every((l) => typeof l.at === 'string'), 'lines carry their time');

      const tail = await collect(host.logs(project, { service: 'app', tail: 2 }));
      t.equal(tail.length, 2, 'tail 2 gives two lines');

      const both = await collect(host.logs(project, { tail: 1 }));
      t.same([...new Set(both.map((l) => l.service))].sort(), ['app', 'web'], 'without a service, every service');

      const ac = new AbortController();
      const seen: LogLine[] = [];
      const timer = setTimeout(() => ac.abort(), 30_000);
      for await (const line of host.logs(project, { service: 'app', follow: true, tail: 0, signal: ac.signal })) {
        seen.push(line);
        if (seen.filter((l) => l.line === 'tick').length >= 2) ac.abort();
      }
      clearTimeout(timer);
      t.ok(seen.filter((l) => l.line === 'tick').length >= 2, 'follow delivers new lines and ends when aborted');
      t.notOk(seen.some((l) => l.line === 'one'), 'tail 0 skips the old lines');
    });

    await t.test('listeningPorts sees the published ports and host listeners', async (t) => {
      const ports = await host.listeningPorts();
      t.ok(ports.some((p) => p.port === webPort && p.protocol === 'tcp'), `tcp ${webPort}`);
      t.ok(ports.some((p) => p.port === udpPort && p.protocol === 'udp'), `udp ${udpPort}`);
      t.ok(ports.some((p) => p.owner === 'process'), "host processes' listeners are reported too");
    });

    await t.test('hasDevicePath', async (t) => {
      t.equal(await host.hasDevicePath('/dev/null'), true);
      t.equal(await host.hasDevicePath('/dev/nonexistent'), false);
      await t.rejects(host.hasDevicePath('relative/path'), { code: 'WARREN_ERR_INVALID_INPUT' });
    });

    await t.test('exec and container stats', async (t) => {
      t.ok(host.exec && host.containerStats, 'both are implemented');
      const r = await host.exec!(project, 'app', ['sh', '-c', 'echo "$GREETING"; exit 3']);
      t.same(r, { exitCode: 3, output: 'moon\n' });
      const stats = await host.containerStats!();
      const app = stats.find((s) => s.project === project && s.service === 'app');
      t.ok(app, 'app has stats');
      t.equal(app?.memoryLimitBytes, 64 * 2 ** 20, 'the memory limit was applied');
      t.ok(app!.memoryBytes > 0 && app!.memoryBytes < 64 * 2 ** 20);
      t.ok(app!.cpuTotalNs > 0);
    });

    await t.test('execStream: input in, output out, exit code and stderr, and a command that stops reading', async (t) => {
      // What database moves rely on (a dump piped into a restore): the input fed and closed, the output
      // streamed, the command's own exit code and stderr. A command that stops reading partway through
      // its input and exits (a restore failing early) must still end: the feed stops and wait() answers.
      t.ok(host.execStream, 'implemented');
      const MiB = 2 ** 20;
      let inputClosed = false;
      async function* input(total: number): AsyncGenerator<Uint8Array> {
        const chunk = Buffer.alloc(64 * 1024, 120);
        try {
          for (let sent = 0; sent < total; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, total - sent));
        } finally {
          inputClosed = true;
        }
      }
      const counted = await host.execStream!(project, 'app', ['sh', '-c', 'wc -c; echo counted >&2; exit 5'], { stdin: input(4 * MiB) });
      let out = '';
      for await (const c of counted.stdout) out += Buffer.from(c).toString('utf8');
      const r = await within(30_000, 'wait() of wc -c', counted.wait());
      t.same({ out: out.trim(), exitCode: r.exitCode, stderr: r.stderr.trim() }, { out: String(4 * MiB), exitCode: 5, stderr: 'counted' }, 'every byte fed reached the command');

      inputClosed = false;
      const early = await host.execStream!(project, 'app', ['sh', '-c', 'head -c 1000000 >/dev/null; echo stopped >&2; exit 4'], { stdin: input(48 * MiB) });
      for await (const c of early.stdout) void c;
      const e = await within(30_000, 'wait() of a command that stopped reading', early.wait());
      t.equal(e.exitCode, 4, 'its own exit code');
      if ((await host.info()).engine === 'podman') {
        // Podman resets its attach connection when the command exits with input still coming: either its
        // stream ends in a reset (the provider then says so in stderr) or Podman puts its own error in
        // the command's stderr. The command's own stderr is lost either way.
        t.match(e.stderr, /stopped|reset/, `Podman: the command's stderr, or a note that the stream was reset (${JSON.stringify(e.stderr.trim())})`);
      } else t.equal(e.stderr.trim(), 'stopped', 'its own stderr');
      t.ok(inputClosed, 'the input was closed');

      const big = await host.execStream!(project, 'app', ['sh', '-c', 'head -c 20000000 /dev/zero']);
      let n = 0;
      for await (const c of big.stdout) n += c.length;
      t.same({ bytes: n, exitCode: (await within(30_000, 'wait() after 20 MB of output', big.wait())).exitCode }, { bytes: 20_000_000, exitCode: 0 }, 'output larger than any buffer, read to the end');
    });

    await t.test('container stats aborted mid-call settle at once, not when the engine answers', async (t) => {
      // The engine's stats dominate a call (Docker waits for a second sample): abort halfway through one.
      const begun = Date.now();
      await host.containerStats!();
      const halfway = Math.max(1, (Date.now() - begun) / 2);
      const ac = new AbortController();
      const order: string[] = [];
      const aborted = host.containerStats!(ac.signal).then(
        () => order.push('aborted call answered'),
        () => order.push('aborted call failed'),
      );
      const whole = host.containerStats!().then(() => order.push('whole call answered'));
      setTimeout(() => ac.abort(), halfway);
      await Promise.all([aborted, whole]);
      t.same(order, ['aborted call failed', 'whole call answered'], `aborted after ${halfway} ms`);
    });

    await t.test('exec follows a container that another client recreated, stopped or started', async (t) => {
      // A host may remember which container an exec goes to; another client (a second hub, the compose
      // CLI) changing the stack behind its back must not send execs to a removed or stale container.
      const other = await makeHost();
      t.teardown(() => other.close());
      const greeting = () => host.exec!(project, 'app', ['sh', '-c', 'echo "$GREETING"']);
      t.same(await greeting(), { exitCode: 0, output: 'moon\n' });
      await other.deployStack(spec('sun'));
      t.same(await greeting(), { exitCode: 0, output: 'sun\n' }, 'the recreated container answers');
      await other.stopStack(project);
      t.ok((await failure(greeting())) instanceof WarrenError, 'an exec in a stopped container fails with a Warren error');
      await other.startStack(project);
      await eventually('restart', () => other.stackStatus(project), (s) => s.state === 'running');
      t.same(await greeting(), { exitCode: 0, output: 'sun\n' }, 'the started container answers');
      await other.deployStack(spec('moon'));
      t.same(await greeting(), { exitCode: 0, output: 'moon\n' }, 'and so does the one recreated again');
    });

    await t.test('stop, stop again, start', async (t) => {
      await host.stopStack(project);
      t.equal((await host.stackStatus(project)).state, 'stopped');
      await host.stopStack(project);
      t.equal((await host.stackStatus(project)).state, 'stopped', 'stopping a stopped stack is success');
      await host.startStack(project);
      const status = await eventually('restart', () => host.stackStatus(project), (s) => s.state === 'running');
      t.equal(status.state, 'running');
    });

    await t.test('remove, remove again', async (t) => {
      await host.removeStack(project, { removeVolumes: true });
      t.equal((await host.stackStatus(project)).state, 'missing');
      await host.removeStack(project, { removeVolumes: true });
      t.notOk((await host.listStacks()).some((s) => s.project === project));
    });

    await t.test('a network shared with another stack survives the removal of its owner', async (t) => {
      // The pooling pattern: one stack owns a network, app stacks join it as external.
      const shared = `${project}_pool`;
      await host.deployStack({ project: otherProject, services: { db: { image: opts.image, command: ['sleep', '600'], networks: ['pool'] } }, networks: { pool: { name: shared } } });
      await host.deployStack({ project, services: { app: { image: opts.image, command: ['sleep', '600'], networks: ['pool'] } }, networks: { pool: { name: shared, external: true } } });
      await host.removeStack(otherProject);
      t.equal((await host.stackStatus(otherProject)).state, 'missing', 'the owner is gone');
      t.equal((await host.stackStatus(project)).state, 'running', 'the stack on its network still runs');
      await host.removeStack(project);
      // Joining it again works only if removing a stack that uses it as external left it alone.
      await host.deployStack({ project, services: { app: { image: opts.image, command: ['sleep', '600'], networks: ['pool'] } }, networks: { pool: { name: shared, external: true } } });
      await host.removeStack(project);
      t.pass('the shared network outlived both removals');
      await host.removeStack(otherProject);
      const gone = await failure(host.deployStack({ project, services: { app: { image: opts.image, networks: ['pool'] } }, networks: { pool: { name: shared, external: true } } }));
      t.equal(gone.code, 'WARREN_ERR_CONFLICT', 'removing the owner again, once unused, removes the network');
      t.same((gone.details ?? []).map((d) => d.path), ['/networks/pool']);
    });

    await t.test('pulling an image no registry has fails clearly', async (t) => {
      const err = await failure(host.pullImage('warren-test/absent:never'));
      t.equal(err.code, 'WARREN_ERR_ENGINE');
      t.match(err.message, /warren-test\/absent:never/, 'names the image');
      t.type(err.hint, 'string', 'says what to do');
    });
  }).then(() => undefined);
}
