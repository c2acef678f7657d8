import t from 'tap';
import { classifyDevice, figureAges } from '../../../../core/metrics/device-state.js';

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
