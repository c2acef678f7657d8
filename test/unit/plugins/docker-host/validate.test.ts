import t from 'tap';
import fc from 'fast-check';
import { assertValidStack, stackProblems } from '../../../../plugins/docker-host/validate.js';
import { WarrenError } from '../../../../core/errors.js';
import type { StackSpec } from '../../../../core/providers/compose.js';

const good = (): StackSpec => ({
  project: 'shop',
  services: {
    web: {
      image: 'nginx:1.25',
      ports: [{ target: 80, published: 8080 }, { target: 53, published: 5353, protocol: 'udp' }],
      volumes: [{ type: 'volume', source: 'data', target: '/data' }, { type: 'bind', source: '/srv', target: '/srv' }],
      networks: ['front'],
      dependsOn: { db: { condition: 'service_healthy' } },
      resources: { limits: { memoryBytes: 128 * 2 ** 20, cpus: 0.5 }, reservations: { memoryBytes: 64 * 2 ** 20 } },
      devices: [{ host: '/dev/ttyUSB0', container: '/dev/ttyUSB0', permissions: 'rw' }],
    },
    db: { image: 'postgres:16', healthcheck: { test: ['CMD-SHELL', 'pg_isready'], intervalSeconds: 5, retries: 3 } },
  },
  networks: { front: {} },
  volumes: { data: {} },
});

const paths = (input: unknown) => stackProblems(input).map((p) => p.path);

t.test('a valid stack has no problems', async (t) => {
  t.same(stackProblems(good()), []);
  t.equal(assertValidStack(good()).project, 'shop');
});

t.test('every problem is reported at once, each with its path', async (t) => {
  const bad = good() as any;
  bad.project = 'Shop!';
  bad.services.web.image = '';
  bad.services.web.ports.push({ target: 70000 }, { target: 81, published: 8080 }, { target: 82, protocol: 'sctp' });
  bad.services.web.volumes.push({ type: 'volume', source: 'nope', target: '/x' }, { type: 'bind', source: 'relative', target: 'also-relative' });
  bad.services.web.networks.push('ghost');
  bad.services.web.dependsOn.cache = { condition: 'service_started' };
  bad.services.web.resources.limits.memoryBytes = 1024;
  bad.services.web.command = 'nginx -g daemon off;';
  bad.services.web.environment = { A: 1 };
  bad.services.web.restart = 'sometimes';
  bad.services.db.healthcheck.test = ['pg_isready'];
  const problems = stackProblems(bad);
  const got = problems.map((p) => p.path);
  for (const path of [
    '/project',
    '/services/web/image',
    '/services/web/ports/2/target',
    '/services/web/ports/3/published',
    '/services/web/ports/4/protocol',
    '/services/web/volumes/2/source',
    '/services/web/volumes/3/source',
    '/services/web/volumes/3/target',
    '/services/web/networks/1',
    '/services/web/dependsOn/cache',
    '/services/web/resources/limits/memoryBytes',
    '/services/web/command',
    '/services/web/environment/A',
    '/services/web/restart',
    '/services/db/healthcheck/test',
  ]) {
    t.ok(got.includes(path), `reports ${path}`);
  }
  t.ok(problems.every((p) => p.message.length > 5), 'each problem says what is wrong');
  try {
    assertValidStack(bad);
    t.fail('should throw');
  } catch (e) {
    t.type(e, WarrenError);
    t.equal((e as WarrenError).code, 'WARREN_ERR_COMPOSE_INVALID');
    t.same((e as WarrenError).details, problems);
    t.match((e as WarrenError).hint, /nothing was created/);
  }
});

t.test('service_healthy needs a healthcheck on the dependency', async (t) => {
  const s = good();
  delete s.services.db!.healthcheck;
  t.same(paths(s), ['/services/web/dependsOn/db/condition']);
});

t.test('dependency cycles, including through network_mode service:', async (t) => {
  const s = good();
  s.services.db!.dependsOn = { web: { condition: 'service_started' } };
  t.ok(stackProblems(s).some((p) => /cycle/.test(p.message)));
  const n: StackSpec = { project: 'p', services: { a: { image: 'x', networkMode: 'service:b' }, b: { image: 'x', dependsOn: { a: { condition: 'service_started' } } } } };
  t.ok(stackProblems(n).some((p) => /cycle/.test(p.message)));
  const self: StackSpec = { project: 'p', services: { a: { image: 'x', networkMode: 'service:a' } } };
  t.same(paths(self), ['/services/a/networkMode']);
});

t.test('host ports published twice and reservations above limits', async (t) => {
  const s = good();
  s.services.db!.ports = [{ target: 5432, published: 8080 }];
  s.services.web!.resources!.reservations!.memoryBytes = 256 * 2 ** 20;
  t.same(paths(s).sort(), ['/services/db/ports/0/published', '/services/web/resources/reservations/memoryBytes']);
  const udp = good();
  udp.services.db!.ports = [{ target: 53, published: 8080, protocol: 'udp' }];
  t.same(paths(udp), [], 'the same number over udp is another port');
});

t.test('garbage input never throws, always reports', async (t) => {
  t.same(paths(null), ['']);
  t.same(paths({ project: 'p', services: {} }), ['/services']);
  t.same(paths({ project: 'p', services: { a: 'nginx' } }), ['/services/a']);
  fc.assert(
    fc.property(fc.anything(), (junk) => {
      const problems = stackProblems({ project: 'p', services: { a: junk } });
      return Array.isArray(problems);
    }),
  );
  fc.assert(
    fc.property(fc.object(), (junk) => Array.isArray(stackProblems(junk))),
  );
});
