import t from 'tap';
import { classifyDevice, figureAges, nextChangeAt } from '../../../../core/metrics/device-state.js';

const opts = { intervalMs: 10_000 };

t.test('fresh, then stale after 3 intervals, then offline after 6', async (t) => {
  const obs = { since: 0, lastReadingAt: 1_000 };
  t.equal(classifyDevice(obs, 1_000, opts).state, 'fresh');
  t.equal(classifyDevice(obs, 31_000, opts).state, 'fresh', 'exactly 3 intervals is still fresh');
  const stale = classifyDevice(obs, 31_001, opts);
  t.equal(stale.state, 'stale');
  t.equal(stale.reason, 'no-recent-sample');
  t.equal(stale.ageMs, 30_001);
  t.equal(classifyDevice(obs, 61_000, opts).state, 'stale');
  const off = classifyDevice({ ...obs, lastFailure: { at: 60_000, code: 'WARREN_ERR_NOT_READY', message: 'connect ECONNREFUSED' } }, 61_001, opts);
  t.equal(off.state, 'offline');
  t.match(off.message, /ECONNREFUSED/, 'the last failure is shown');
});

t.test('thresholds are configurable', async (t) => {
  const obs = { since: 0, lastReadingAt: 0 };
  t.equal(classifyDevice(obs, 11_000, { intervalMs: 10_000, staleAfterIntervals: 1, offlineAfterIntervals: 2 }).state, 'stale');
  t.equal(classifyDevice(obs, 21_000, { intervalMs: 10_000, staleAfterIntervals: 1, offlineAfterIntervals: 2 }).state, 'offline');
  t.equal(classifyDevice(obs, 21_000, { intervalMs: 10_000, staleAfterIntervals: 5, offlineAfterIntervals: 2 }).state, 'fresh', 'offline never comes before stale');
});

t.test('a device never read waits as stale, then goes offline', async (t) => {
  const s = classifyDevice({ since: 100 }, 200, opts);
  t.same([s.state, s.reason, s.ageMs], ['stale', 'no-sample-yet', undefined]);
  t.equal(classifyDevice({ since: 100 }, 60_101, opts).state, 'offline');
});

t.test('refused credentials make a device offline at once', async (t) => {
  const s = classifyDevice({ since: 0, lastReadingAt: 1000, lastFailure: { at: 2000, code: 'WARREN_ERR_AUTH_FAILED', message: 'All configured authentication methods failed' } }, 2000, opts);
  t.same([s.state, s.reason], ['offline', 'auth-failed']);
  const recovered = classifyDevice({ since: 0, lastReadingAt: 3000, lastFailure: { at: 2000, code: 'WARREN_ERR_AUTH_FAILED', message: 'x' } }, 3000, opts);
  t.equal(recovered.state, 'fresh', 'a reading after the failure wins');
});

t.test('every figure has its own age', async (t) => {
  const ages = figureAges({ memory: { totalBytes: 1, usedBytes: 0, availableBytes: 1, at: 1000 }, cpu: { utilisation: 0.5, cores: 2, at: 4000 } }, 5000);
  t.same(ages, { memory: 4000, cpu: 1000 });
});

t.test('silence makes a device offline only once 2 attempts in a row failed, or 2 timeouts later', async (t) => {
  // A 2 s interval: offline after 12 s of silence, while one attempt may take its 10 s timeout.
  const short = { intervalMs: 2_000, timeoutMs: 10_000 };
  const timeout = (at: number) => ({ at, code: 'WARREN_ERR_TIMEOUT', message: 'no reading within 10000 ms' });
  const refused = (at: number) => ({ at, code: 'WARREN_ERR_NOT_READY', message: 'connect ECONNREFUSED 10.0.0.9:22' });
  const cases: { name: string; obs: Parameters<typeof classifyDevice>[0]; now: number; opts?: Parameters<typeof classifyDevice>[2]; state: string; reason?: string; message?: RegExp }[] = [
    { name: 'one slow attempt still running past 6 intervals', obs: { since: 0, lastReadingAt: 0, consecutiveFailures: 0 }, now: 12_001, state: 'stale', message: /over 6 intervals; no attempt failed yet; offline after 2 in a row\)$/ },
    { name: 'one timed-out attempt', obs: { since: 0, lastReadingAt: 0, lastFailure: timeout(12_000), consecutiveFailures: 1 }, now: 12_001, state: 'stale', reason: 'no-recent-sample', message: /^newest reading is 12 s old \(over 6 intervals; 1 attempt timed out; offline after 2 in a row\); last attempt: no reading within 10000 ms$/ },
    { name: 'two timed out in a row', obs: { since: 0, lastReadingAt: 0, lastFailure: timeout(22_000), consecutiveFailures: 2 }, now: 22_000, state: 'offline', reason: 'no-recent-sample', message: /^no reading for 22 s \(over 6 intervals\); last attempt: no reading within 10000 ms$/ },
    { name: 'one failure since a newer reading', obs: { since: 0, lastReadingAt: 12_500, lastFailure: timeout(24_600), consecutiveFailures: 1 }, now: 24_600, state: 'stale', message: /1 attempt timed out/ },
    { name: 'refused every interval: not yet 6 intervals', obs: { since: 0, lastReadingAt: 0, lastFailure: refused(10_005), consecutiveFailures: 5 }, now: 12_000, state: 'stale', message: /over 3 intervals\); last attempt: connect ECONNREFUSED/ },
    { name: 'refused every interval: offline at 6 intervals as before', obs: { since: 0, lastReadingAt: 0, lastFailure: refused(10_005), consecutiveFailures: 5 }, now: 12_001, state: 'offline', message: /over 6 intervals\); last attempt: connect ECONNREFUSED/ },
    { name: 'two failures alone are not silence enough', obs: { since: 0, lastReadingAt: 0, lastFailure: refused(4_005), consecutiveFailures: 2 }, now: 5_000, state: 'fresh' },
    { name: 'refused credentials: offline at once', obs: { since: 0, lastReadingAt: 0, lastFailure: { at: 2_005, code: 'WARREN_ERR_AUTH_FAILED', message: 'All configured authentication methods failed' }, consecutiveFailures: 1 }, now: 2_005, state: 'offline', reason: 'auth-failed' },
    { name: 'fallback: just before 6 intervals + 2 timeouts', obs: { since: 0, lastReadingAt: 0, lastFailure: timeout(12_000), consecutiveFailures: 1 }, now: 32_000, state: 'stale' },
    { name: 'fallback: attempts that never conclude still end offline', obs: { since: 0, lastReadingAt: 0, lastFailure: timeout(12_000), consecutiveFailures: 1 }, now: 32_001, state: 'offline', reason: 'no-recent-sample', message: /^no reading for 32 s \(over 6 intervals and 2 timeouts\)/ },
    { name: 'fallback with no failure at all', obs: { since: 0, lastReadingAt: 0, consecutiveFailures: 0 }, now: 32_001, state: 'offline' },
    { name: "fallback uses the device's own timeout", obs: { since: 0, lastReadingAt: 0, consecutiveFailures: 1 }, now: 20_001, opts: { intervalMs: 2_000, timeoutMs: 4_000 }, state: 'offline' },
    { name: 'fallback timeout defaults to 10 s', obs: { since: 0, lastReadingAt: 0, consecutiveFailures: 1 }, now: 32_000, opts: { intervalMs: 2_000 }, state: 'stale' },
    { name: 'never read, one timeout', obs: { since: 0, lastFailure: timeout(12_000), consecutiveFailures: 1 }, now: 12_001, state: 'stale', reason: 'no-sample-yet', message: /^waiting for a first reading \(1 attempt timed out; offline after 2 in a row\); last attempt/ },
    { name: 'never read, two timeouts', obs: { since: 0, lastFailure: timeout(22_000), consecutiveFailures: 2 }, now: 22_000, state: 'offline', reason: 'no-sample-yet' },
    { name: 'without a failure count, silence alone decides (callers that do not count)', obs: { since: 0, lastReadingAt: 0, lastFailure: timeout(12_000) }, now: 12_001, state: 'offline' },
  ];
  for (const c of cases) {
    const s = classifyDevice(c.obs, c.now, c.opts ?? short);
    t.equal(s.state, c.state, `${c.name}: ${s.message}`);
    if (c.reason) t.equal(s.reason, c.reason, `${c.name}: reason`);
    if (c.message) t.match(s.message, c.message, `${c.name}: message`);
  }
});

t.test('nextChangeAt names the moment the state or its message would change without news', async (t) => {
  const short = { intervalMs: 2_000, timeoutMs: 10_000 };
  t.equal(nextChangeAt({ since: 0, lastReadingAt: 1_000, consecutiveFailures: 0 }, 1_000, short), 7_001, 'fresh: when it turns stale');
  t.equal(nextChangeAt({ since: 0, lastReadingAt: 0, consecutiveFailures: 1 }, 7_000, short), 12_001, 'stale: when 6 intervals pass');
  t.equal(nextChangeAt({ since: 0, lastReadingAt: 0, consecutiveFailures: 1 }, 12_001, short), 32_001, 'held by too few failures: the fallback');
  t.equal(nextChangeAt({ since: 0, lastReadingAt: 0, consecutiveFailures: 2 }, 7_000, short), 12_001, 'enough failures: offline at 6 intervals');
  t.equal(nextChangeAt({ since: 0, lastReadingAt: 0, consecutiveFailures: 2 }, 12_001, short), undefined, 'offline: only news changes it');
  t.equal(nextChangeAt({ since: 500 }, 600, { intervalMs: 10_000 }), 60_501, 'never read: stale already, offline 6 intervals after the start');
  // Every moment it names is one where classifyDevice's answer differs from the moment before.
  for (const obs of [{ since: 0, lastReadingAt: 0, consecutiveFailures: 0 }, { since: 0, lastReadingAt: 0, consecutiveFailures: 2 }, { since: 0, consecutiveFailures: 1 }]) {
    for (let now = 0, at = nextChangeAt(obs, now, short); at !== undefined; now = at, at = nextChangeAt(obs, now, short)) {
      const before = classifyDevice(obs, at - 1, short);
      const after = classifyDevice(obs, at, short);
      t.not(`${before.state} ${before.message.replace(/[\d.]+ s/g, '')}`, `${after.state} ${after.message.replace(/[\d.]+ s/g, '')}`, `${JSON.stringify(obs)} changes at ${at}`);
    }
  }
});
