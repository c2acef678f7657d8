import t from 'tap';
import { Poller, type PollerCallbacks } from '../../../../core/metrics/poller.js';
import type { HostReading, MetricsSource } from '../../../../core/providers/metrics-source.js';
import type { DeviceStatus } from '../../../../core/metrics/types.js';
import { FakeClock, settle } from './fake-clock.js';

type Step = 'ok' | 'throw' | 'auth' | 'hang' | 'hang-abortable' | 'reset' | 'reboot';

/** A source that answers by script: each collect() takes the next step (the last one repeats). */
class ScriptedSource implements MetricsSource {
  readonly provides = ['cpu', 'memory', 'boot'] as const;
  calls: number[] = [];
  busy = 0;
  boot = 1_690_000_000;
  private busySeconds = 1000;
  private idleSeconds = 1000;
  private hung: (() => void)[] = [];
  constructor(private readonly clock: FakeClock, public script: Step[]) {}

  release(): void {
    for (const r of this.hung.splice(0)) r();
  }

  async collect(signal?: AbortSignal): Promise<HostReading> {
    this.calls.push(this.clock.now());
    const step = this.script.length > 1 ? this.script.shift()! : this.script[0]!;
    if (step === 'throw') throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:22'), { code: 'WARREN_ERR_NOT_READY' });
    if (step === 'auth') throw Object.assign(new Error('All configured authentication methods failed'), { code: 'WARREN_ERR_AUTH_FAILED' });
    if (step === 'hang') await new Promise<void>((r) => this.hung.push(r));
    if (step === 'hang-abortable') await new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
    if (step === 'reset') {
      this.busySeconds -= 500;
    } else if (step === 'reboot') {
      this.boot += 86_400;
      this.busySeconds = 1;
      this.idleSeconds = 1;
    } else {
      // 4 cores, a quarter busy since the last reading.
      this.busySeconds += 10;
      this.idleSeconds += 30;
    }
    return {
      at: this.clock.now(),
      cpu: { cores: 4, busySeconds: this.busySeconds, idleSeconds: this.idleSeconds },
      memory: { totalBytes: 4e9, availableBytes: 3e9 },
      bootTime: this.boot,
    };
  }
}

function record() {
  const log = {
    readings: 0,
    samples: [] as { id: string; cpu?: number }[],
    drops: [] as string[],
    failures: [] as string[],
    states: [] as string[],
  };
  const callbacks: PollerCallbacks = {
    onReading: () => void log.readings++,
    onSample: (id, s) => void log.samples.push({ id, cpu: s.cpu?.utilisation }),
    onDrop: (_, d) => void log.drops.push(d.reason),
    onFailure: (_, f) => void log.failures.push(`${f.code}: ${f.message}`),
    onStateChange: (id, s: DeviceStatus) => void log.states.push(`${id}:${s.state}`),
  };
  return { log, callbacks };
}

t.test('polls on the interval, derives CPU from the second reading on', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok']);
  const { log, callbacks } = record();
  const p = new Poller(callbacks, { clock, intervalMs: 10_000 });
  p.add({ deviceId: 'pi', source: src });
  p.start();
  await clock.advance(25_000);
  t.same(src.calls.map((c) => c - src.calls[0]!), [0, 10_000, 20_000]);
  t.same(log.samples.map((s) => s.cpu), [undefined, 0.25, 0.25]);
  t.same(log.states, ['pi:fresh']);
  const snap = p.snapshot('pi')!;
  t.equal(snap.figures.cpu?.utilisation, 0.25);
  t.equal(snap.figures.memory?.usedBytes, 1e9);
  t.equal(snap.figures.cores?.count, 4);
  await p.stop();
  t.equal(clock.timers.size, 0, 'no timer left behind');
  await clock.advance(60_000);
  t.equal(src.calls.length, 3, 'nothing polled after stop');
});

t.test('a counter reset and a reboot drop the sample instead of spiking', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok', 'ok', 'reset', 'ok', 'reboot', 'ok']);
  const { log, callbacks } = record();
  const p = new Poller(callbacks, { clock, intervalMs: 1000 });
  p.add({ deviceId: 'nas', source: src });
  p.start();
  await clock.advance(5_500);
  t.same(log.drops, ['counter-reset', 'reboot']);
  t.same(log.samples.map((s) => s.cpu), [undefined, 0.25, undefined, 0.25, undefined, 0.25]);
  t.ok(log.samples.every((s) => s.cpu === undefined || (s.cpu >= 0 && s.cpu <= 1)));
  t.same(log.states, ['nas:fresh'], 'a dropped rate is not an outage');
  await p.stop();
});

t.test('a source that hangs and ignores its signal: timed out, not piled on, stale then offline on schedule', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok', 'hang', 'ok']);
  const { log, callbacks } = record();
  const p = new Poller(callbacks, { clock, intervalMs: 1000, timeoutMs: 500 });
  p.add({ deviceId: 'pi', source: src });
  p.start();
  await clock.advance(1000); // reading at 0, hang starts at 1000
  await clock.advance(500);
  t.match(log.failures[0], /WARREN_ERR_TIMEOUT: no reading within 500 ms/);
  await clock.advance(2_000);
  t.equal(src.calls.length, 2, 'the hung collect is not called again while it is still running');
  t.match(log.failures.at(-1), /still has not finished|has still not finished/);
  t.same(log.states, ['pi:fresh', 'pi:stale'], 'stale once 3 intervals passed without a reading');
  // "Still not finished" is the one abandoned attempt again, not a second failure in a row: offline
  // comes from the silence outlasting 6 intervals and 2 timeouts (7 s), not at 6 intervals.
  await clock.advance(3_500);
  t.same(log.states, ['pi:fresh', 'pi:stale'], 'not offline at 7 s');
  t.match(p.snapshot('pi')!.status.message, /1 attempt timed out; offline after 2 in a row/);
  await clock.advance(1);
  t.same(log.states, ['pi:fresh', 'pi:stale', 'pi:offline'], 'offline just after 6 intervals and 2 timeouts');
  t.equal(p.snapshot('pi')!.status.state, 'offline');
  src.release();
  await clock.advance(1_000);
  t.equal(log.states.at(-1), 'pi:fresh', 'back once it answers again');
  await p.stop();
});

/** State changes with the milliseconds since `t0` at which they were seen. */
function timedStates(clock: FakeClock) {
  const t0 = clock.now();
  const states: string[] = [];
  const callbacks: PollerCallbacks = { onStateChange: (_, s) => void states.push(`${s.state}@${clock.now() - t0}`) };
  return { states, callbacks, at: (ms: number) => clock.advance(t0 + ms - clock.now()) };
}

// A 2 s interval makes a device offline after 12 s of silence, but one attempt may take its 10 s
// timeout: on a loaded hub a single slow attempt made healthy devices flap offline and back.
t.test('2 s interval, 10 s timeout: one timed-out attempt leaves a device stale, two in a row make it offline', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok', 'hang-abortable']);
  const { states, callbacks, at } = timedStates(clock);
  const p = new Poller(callbacks, { clock, intervalMs: 2_000, timeoutMs: 10_000 });
  p.add({ deviceId: 'pi', source: src });
  p.start();
  await at(12_000); // reading at 0; the attempt started at 2 s times out at 12 s, the next starts at once
  t.same(src.calls.length, 3);
  await at(12_001);
  t.same(states, ['fresh@0', 'stale@6001'], 'past 6 intervals of silence after one timeout: still stale');
  t.match(p.snapshot('pi')!.status.message, /^newest reading is 12 s old \(over 6 intervals; 1 attempt timed out; offline after 2 in a row\); last attempt: no reading within 10000 ms$/);
  await at(21_999);
  t.equal(p.snapshot('pi')!.status.state, 'stale');
  await at(22_000);
  t.same(states, ['fresh@0', 'stale@6001', 'offline@22000'], 'offline when the second attempt in a row times out');
  await p.stop();
});

t.test('2 s interval, 10 s timeout: one slow attempt between readings is no outage; a reading resets the count', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok', 'hang-abortable', 'ok', 'hang-abortable']);
  const { states, callbacks, at } = timedStates(clock);
  const p = new Poller(callbacks, { clock, intervalMs: 2_000, timeoutMs: 10_000 });
  p.add({ deviceId: 'pi', source: src });
  p.start();
  // Reading at 0, timeout at 12 s, reading at 12 s, then timeouts at 24 s and 34 s.
  await at(24_001);
  t.same(states, ['fresh@0', 'stale@6001', 'fresh@12000', 'stale@18001'], 'the first timeout did not make it offline');
  t.match(p.snapshot('pi')!.status.message, /1 attempt timed out/, 'the timeout before the reading is not counted');
  await at(33_999);
  t.equal(p.snapshot('pi')!.status.state, 'stale');
  await at(34_000);
  t.same(states.at(-1), 'offline@34000', 'offline at the second timeout since the newest reading');
  await p.stop();
});

t.test('2 s interval: a source that fails at once (connection refused) is offline after 6 intervals, as before', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok', 'throw']);
  const { states, callbacks, at } = timedStates(clock);
  const p = new Poller(callbacks, { clock, intervalMs: 2_000, timeoutMs: 10_000 });
  p.add({ deviceId: 'nuc', source: src });
  p.start();
  await at(12_000);
  t.equal(p.snapshot('nuc')!.status.state, 'stale');
  await at(12_001);
  t.same(states, ['fresh@0', 'stale@6001', 'offline@12001']);
  t.match(p.snapshot('nuc')!.status.message, /^no reading for 12 s \(over 6 intervals\); last attempt: connect ECONNREFUSED/);
  await p.stop();
});

t.test('each device can have its own timeout', async (t) => {
  const clock = new FakeClock();
  const slowLink = new ScriptedSource(clock, ['hang-abortable']);
  const lan = new ScriptedSource(clock, ['hang-abortable']);
  const { log, callbacks } = record();
  const p = new Poller({ ...callbacks, onFailure: (id, f) => void log.failures.push(`${id} ${clock.now()} ${f.message}`) }, { clock, intervalMs: 10_000, timeoutMs: 1000 });
  p.add({ deviceId: 'pi-wifi', source: slowLink, timeoutMs: 4000 });
  p.add({ deviceId: 'nuc', source: lan });
  const t0 = clock.now();
  p.start();
  await clock.advance(5000);
  t.same(log.failures, [`nuc ${t0 + 1000} no reading within 1000 ms`, `pi-wifi ${t0 + 4000} no reading within 4000 ms`]);
  await p.stop();
});

t.test('an abortable hang is aborted through the signal', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['hang-abortable', 'ok']);
  const { log, callbacks } = record();
  const p = new Poller(callbacks, { clock, intervalMs: 1000, timeoutMs: 300 });
  p.add({ deviceId: 'x', source: src });
  p.start();
  await clock.advance(1000);
  t.equal(log.failures.length, 1);
  t.equal(src.calls.length, 2, 'the next poll goes ahead: the source let go');
  t.equal(log.readings, 1);
  await p.stop();
});

t.test('errors are recorded with their code; a throwing source cannot break the poller', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok', 'throw']);
  const { log, callbacks } = record();
  const p = new Poller(callbacks, { clock, intervalMs: 1000, staleAfterIntervals: 2, offlineAfterIntervals: 4 });
  p.add({ deviceId: 'nuc', source: src });
  p.start();
  await clock.advance(4_500);
  t.match(log.failures[0], /^WARREN_ERR_NOT_READY: connect ECONNREFUSED/);
  t.same(log.states, ['nuc:fresh', 'nuc:stale', 'nuc:offline']);
  t.match(p.snapshot('nuc')!.lastFailure?.message, /ECONNREFUSED/);
  await p.stop();
});

t.test('refused credentials: offline at once', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok', 'auth']);
  const { log, callbacks } = record();
  const p = new Poller(callbacks, { clock, intervalMs: 1000 });
  p.add({ deviceId: 'nuc', source: src });
  p.start();
  await clock.advance(1_000);
  t.same(log.states, ['nuc:fresh', 'nuc:offline']);
  t.equal(p.snapshot('nuc')!.status.reason, 'auth-failed');
  await p.stop();
});

t.test('watching a device polls it faster until the last viewer leaves', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok']);
  const p = new Poller({}, { clock, intervalMs: 30_000, watchedIntervalMs: 2_000 });
  p.add({ deviceId: 'pi', source: src });
  p.start();
  await clock.advance(1);
  const start = clock.now() - 1;
  const a = p.watch('pi');
  const b = p.watch('pi');
  t.equal(p.snapshot('pi')!.watched, true);
  await clock.advance(9_999);
  t.same(src.calls.map((c) => c - start), [0, 2000, 4000, 6000, 8000, 10000]);
  a();
  a();
  await clock.advance(4_000);
  t.equal(src.calls.length, 8, 'one viewer is still there');
  b();
  const n = src.calls.length;
  await clock.advance(29_000);
  t.equal(src.calls.length, n, 'back to the normal interval');
  await clock.advance(2_000);
  t.equal(src.calls.length, n + 1);
  t.equal(p.snapshot('pi')!.watched, false);
  await p.stop();
});

t.test('devices are polled concurrently and independently', async (t) => {
  const clock = new FakeClock();
  const slow = new ScriptedSource(clock, ['hang']);
  const fast = new ScriptedSource(clock, ['ok']);
  const { log, callbacks } = record();
  const p = new Poller(callbacks, { clock, intervalMs: 1000, timeoutMs: 5000 });
  p.add({ deviceId: 'slow', source: slow });
  p.add({ deviceId: 'fast', source: fast });
  const round = p.pollNow();
  await settle();
  t.equal(slow.calls.length + fast.calls.length, 2, 'both started before either finished');
  await clock.advance(5000);
  await round;
  p.start();
  await clock.advance(3000);
  t.ok(fast.calls.length >= 4, 'a hung neighbour does not hold the other device back');
  t.equal(log.samples.filter((s) => s.id === 'slow').length, 0);
  slow.release();
  await p.stop();
});

t.test('a throwing callback is reported and polling goes on', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok']);
  const errors: string[] = [];
  const p = new Poller(
    { onSample: () => { throw new Error('listener broke'); } },
    { clock, intervalMs: 1000, onCallbackError: (e, cb) => errors.push(`${cb}: ${(e as Error).message}`) },
  );
  p.add({ deviceId: 'a', source: src });
  p.start();
  await clock.advance(2000);
  t.equal(src.calls.length, 3);
  t.same(errors[0], 'onSample: listener broke');
  t.equal(p.snapshot('a')!.status.state, 'fresh');
  await p.stop();
});

t.test('adding twice is a conflict; removing stops polling and forgets', async (t) => {
  const clock = new FakeClock();
  const src = new ScriptedSource(clock, ['ok']);
  const p = new Poller({}, { clock, intervalMs: 1000 });
  p.add({ deviceId: 'a', source: src });
  t.throws(() => p.add({ deviceId: 'a', source: src }), { code: 'WARREN_ERR_CONFLICT' });
  p.start();
  await clock.advance(1500);
  p.remove('a');
  await clock.advance(5000);
  t.equal(src.calls.length, 2);
  t.equal(p.snapshot('a'), undefined);
  t.same(p.snapshots(), []);
  await p.stop();
});
