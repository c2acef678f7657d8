import t from 'tap';
import { parseDependsOn, parseDevice, parseHealthcheck, parseKeyValues, parsePort, parseResources, parseVolume } from '../../../../core/catalog/compose-forms.js';

t.test('port short syntax becomes long form', async (t) => {
  t.same(parsePort('8080:80', '/p'), [{ target: 80, published: 8080, protocol: 'tcp' }]);
  t.same(parsePort('8080:80/udp', '/p'), [{ target: 80, published: 8080, protocol: 'udp' }]);
  t.same(parsePort('53:53/udp', '/p'), [{ target: 53, published: 53, protocol: 'udp' }]);
  t.same(parsePort('127.0.0.1:8080:80', '/p'), [{ target: 80, published: 8080, protocol: 'tcp', hostIp: '127.0.0.1' }]);
  t.same(parsePort('127.0.0.1::80', '/p'), [{ target: 80, protocol: 'tcp', hostIp: '127.0.0.1' }]);
  t.same(parsePort('[::1]:8080:80', '/p'), [{ target: 80, published: 8080, protocol: 'tcp', hostIp: '::1' }]);
  t.same(parsePort('3000', '/p'), [{ target: 3000, protocol: 'tcp' }]);
  t.same(parsePort(3000, '/p'), [{ target: 3000, protocol: 'tcp' }]);
  t.same(parsePort('9000-9001:8000-8001', '/p'), [
    { target: 8000, published: 9000, protocol: 'tcp' },
    { target: 8001, published: 9001, protocol: 'tcp' },
  ]);
  t.same(parsePort({ target: 80, published: '8097', protocol: 'tcp' }, '/p'), [{ target: 80, published: 8097, protocol: 'tcp' }]);
  t.same(parsePort({ target: 53, published: 53, protocol: 'udp', host_ip: '0.0.0.0' }, '/p'), [{ target: 53, published: 53, protocol: 'udp', hostIp: '0.0.0.0' }]);
});

t.test('bad ports name their path', async (t) => {
  for (const bad of ['80/sctp', '99999:80', 'a:b', '1:2:3:4', '9000-9002:8000-8001', '']) {
    t.throws(() => parsePort(bad, '/services/web/ports/3'), { code: 'WARREN_ERR_COMPOSE_INVALID', details: [{ path: '/services/web/ports/3' }] }, bad);
  }
});

t.test('volume short syntax becomes long form', async (t) => {
  t.same(parseVolume('data:/data', '/v', 'anon').mount, { type: 'volume', source: 'data', target: '/data' });
  t.same(parseVolume('data:/data:ro', '/v', 'anon').mount, { type: 'volume', source: 'data', target: '/data', readOnly: true });
  t.same(parseVolume('/srv/media:/media:ro,z', '/v', 'anon').mount, { type: 'bind', source: '/srv/media', target: '/media', readOnly: true });
  t.same(parseVolume('/cache', '/v', 'web_anon_0'), { mount: { type: 'volume', source: 'web_anon_0', target: '/cache' }, anonymous: true });
  t.same(parseVolume({ type: 'bind', source: '/dev/shm', target: '/shm', read_only: true }, '/v', 'a').mount, { type: 'bind', source: '/dev/shm', target: '/shm', readOnly: true });
  t.same(parseVolume({ type: 'tmpfs', target: '/tmp' }, '/v', 'a').mount, { type: 'tmpfs', target: '/tmp' });
  t.throws(() => parseVolume('./data:/data', '/v', 'a'), { code: 'WARREN_ERR_COMPOSE_INVALID', message: /relative bind/ });
  t.throws(() => parseVolume('data:relative', '/v', 'a'), { message: /must be absolute/ });
  t.throws(() => parseVolume('data:/data:bogus', '/v', 'a'), { message: /unknown mount mode/ });
});

t.test('environment, labels and sysctls: list or map', async (t) => {
  const lookup = (n: string) => ({ FROM_VARS: 'v' })[n];
  t.same(parseKeyValues(['A=1', 'B=x=y', 'FROM_VARS', 'UNSET'], lookup), { A: '1', B: 'x=y', FROM_VARS: 'v' });
  t.same(parseKeyValues({ A: 1, B: true, C: null, FROM_VARS: null, D: '' }, lookup), { A: '1', B: 'true', FROM_VARS: 'v', D: '' });
});

t.test('resources: deploy.resources and the legacy keys, memory strings in bytes', async (t) => {
  t.same(parseResources({ deploy: { resources: { limits: { memory: '512M', cpus: '0.5' }, reservations: { memory: '1g' } } } }, '/s'), {
    limits: { memoryBytes: 512 * 1024 ** 2, cpus: 0.5 },
    reservations: { memoryBytes: 1024 ** 3 },
  });
  t.same(parseResources({ mem_limit: '256m', cpus: 2 }, '/s'), { limits: { memoryBytes: 256 * 1024 ** 2, cpus: 2 } });
  t.equal(parseResources({}, '/s'), undefined);
  t.throws(() => parseResources({ deploy: { resources: { limits: { memory: 'lots' } } } }, '/services/x'), { code: 'WARREN_ERR_COMPOSE_INVALID', details: [{ path: '/services/x/deploy/resources/limits/memory' }] });
});

t.test('healthchecks: string tests run in a shell, durations in seconds, disable', async (t) => {
  t.same(parseHealthcheck({ test: 'curl -f http://localhost', interval: '1m30s', timeout: '10s', retries: 3, start_period: '40s' }, '/h'), {
    test: ['CMD-SHELL', 'curl -f http://localhost'],
    intervalSeconds: 90,
    timeoutSeconds: 10,
    retries: 3,
    startPeriodSeconds: 40,
  });
  t.same(parseHealthcheck({ test: ['CMD', 'true'] }, '/h'), { test: ['CMD', 'true'] });
  t.same(parseHealthcheck({ disable: true }, '/h'), { test: ['NONE'] });
  t.throws(() => parseHealthcheck({ test: ['curl'] }, '/h'), { message: /CMD, CMD-SHELL or NONE/ });
  t.throws(() => parseHealthcheck({ test: 'x', interval: 'often' }, '/h'), { code: 'WARREN_ERR_COMPOSE_INVALID', details: [{ path: '/h/interval' }] });
});

t.test('depends_on list or map; devices with default container path', async (t) => {
  t.same(parseDependsOn(['db', 'redis']), { db: { condition: 'service_started' }, redis: { condition: 'service_started' } });
  t.same(parseDependsOn({ db: { condition: 'service_healthy' }, redis: {} }), { db: { condition: 'service_healthy' }, redis: { condition: 'service_started' } });
  t.same(parseDevice('/dev/dri', '/d'), { host: '/dev/dri', container: '/dev/dri' });
  t.same(parseDevice('/dev/ttyUSB0:/dev/zigbee:rwm', '/d'), { host: '/dev/ttyUSB0', container: '/dev/zigbee', permissions: 'rwm' });
  t.throws(() => parseDevice('dri', '/d'));
});
