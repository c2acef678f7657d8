// One device, several sources: the engine decides whether a reading happened (and why not), the host
// source only adds figures. Fakes provoke the faults; the real sources are in the integration tests.
import t from 'tap';
import { DeviceSource, type SourceLookup } from '../../../../core/devices/device-source.js';
import { classifyDevice } from '../../../../core/metrics/device-state.js';
import type { InstanceInfo } from '../../../../core/plugin/host.js';
import type { HostReading, MetricsSource } from '../../../../core/providers/metrics-source.js';

const source = (reading: Partial<HostReading> | Error): MetricsSource => ({
  provides: [],
  collect: async () => {
    if (reading instanceof Error) throw reading;
    return { at: 1000, ...reading };
  },
});

const info = (id: string, state: InstanceInfo['state'], message?: string): InstanceInfo => ({
  id,
  plugin: 'p',
  provider: 'q',
  state,
  attempts: 1,
  config: {},
  secretsSet: [],
  since: 0,
  ...(message ? { error: { code: 'WARREN_ERR_NOT_READY', message } } : {}),
});

function lookup(providers: Record<string, MetricsSource>, infos: Record<string, InstanceInfo> = {}): SourceLookup {
  return { provider: (id) => providers[id], info: (id) => infos[id] };
}

const engine = source({ at: 1000, arch: 'arm64', containers: [{ name: 'web', memoryBytes: 5, cpuTotalNs: 1 }] });
const host = source({ at: 1001, memory: { totalBytes: 100, availableBytes: 60 }, cpu: { cores: 4, busySeconds: 1, idleSeconds: 2 } });

t.test('engine and host figures merge; the host reading time is the sample time', async (t) => {
  const durations: boolean[] = [];
  const s = new DeviceSource({ deviceId: 'pi', engineInstance: 'e', host: { instance: 'h' } }, lookup({ e: engine, h: host }), (_s, ok) => durations.push(ok));
  const r = await s.collect();
  t.equal(r.at, 1001);
  t.same(r.memory, { totalBytes: 100, availableBytes: 60 });
  t.equal(r.arch, 'arm64');
  t.equal(r.containers!.length, 1);
  t.equal(s.hostFailure, undefined);
  t.same(durations, [true], 'each attempt is timed');
});

t.test('a failing host source leaves a reading with the engine figures and says why', async (t) => {
  const s = new DeviceSource({ deviceId: 'pi', engineInstance: 'e', host: { instance: 'h' } }, lookup({ e: engine, h: source(new Error('ssh: connection reset')) }));
  const r = await s.collect();
  t.equal(r.memory, undefined);
  t.equal(r.containers!.length, 1);
  t.match(s.hostFailure?.message, /connection reset/);
  const notReady = new DeviceSource({ deviceId: 'pi', engineInstance: 'e', host: { instance: 'h' } }, lookup({ e: engine }, { h: info('h', 'retrying', 'connect ECONNREFUSED') }));
  await notReady.collect();
  t.match(notReady.hostFailure?.message, /host metrics source is retrying: connect ECONNREFUSED/);
  // A later good host reading clears it.
  const flaky = { fail: true };
  const s2 = new DeviceSource(
    { deviceId: 'pi', engineInstance: 'e', host: { source: { provides: [], collect: async () => (flaky.fail ? Promise.reject(new Error('boom')) : { at: 5 }) } } },
    lookup({ e: engine }),
  );
  await s2.collect();
  t.ok(s2.hostFailure);
  flaky.fail = false;
  await s2.collect();
  t.equal(s2.hostFailure, undefined);
});

t.test('no engine, no reading: the failure says why, and refused credentials make the device offline at once', async (t) => {
  const durations: boolean[] = [];
  const down = new DeviceSource({ deviceId: 'nas', engineInstance: 'e' }, lookup({ e: source(new Error('ECONNREFUSED')) }), (_s, ok) => durations.push(ok));
  await t.rejects(down.collect(), /ECONNREFUSED/);
  t.same(durations, [false]);
  const retrying = new DeviceSource({ deviceId: 'nas', engineInstance: 'e' }, lookup({}, { e: { ...info('e', 'retrying', 'tcp://nas:2376 (TLS): engine not reachable (EHOSTUNREACH)'), retryAt: Date.now() + 20_000 } }));
  const why = await retrying.collect().catch((e) => e);
  t.equal(why.code, 'WARREN_ERR_DEVICE_UNREACHABLE');
  t.match(why.message, /engine connection is retrying: .*EHOSTUNREACH\); retrying in (19|20) s/);
  const refused = new DeviceSource({ deviceId: 'nas', engineInstance: 'e' }, lookup({}, { e: info('e', 'needs_reconfiguring', 'key refused') }));
  const err = await refused.collect().catch((e) => e);
  t.equal(err.code, 'WARREN_ERR_AUTH_FAILED');
  const status = classifyDevice({ since: 0, lastReadingAt: 0, lastFailure: { at: 1, code: err.code, message: err.message } }, 2, { intervalMs: 15_000 });
  t.equal(status.state, 'offline', 'offline without waiting out the intervals');
  t.equal(status.reason, 'auth-failed');
  // A retry in progress has no error of its own; the previous one still explains the device.
  const states: InstanceInfo[] = [info('e', 'retrying', 'ECONNREFUSED 10.0.0.9:2376'), info('e', 'starting')];
  const flapping = new DeviceSource({ deviceId: 'nas', engineInstance: 'e' }, { provider: () => undefined, info: () => states.shift() });
  await flapping.collect().catch(() => {});
  t.match((await flapping.collect().catch((e) => e)).message, /engine connection is starting \(last attempt: ECONNREFUSED 10\.0\.0\.9:2376\)/);
  const missing = new DeviceSource({ deviceId: 'nas', engineInstance: 'e' }, lookup({}));
  await t.rejects(missing.collect(), /no provider instance/);
});
