import t from 'tap';
import fc from 'fast-check';
import { availability, availabilityOf, availabilityWindows } from '../../../../core/metrics/availability.js';

const H = 3_600_000;

t.test('time-weighted, unknown time left out, coverage reported', async (t) => {
  // 10 h window: 6 h up, 2 h down, 2 h unknown (stale).
  const r = availability(
    [
      { at: 0, status: 'up' },
      { at: 6 * H, status: 'down' },
      { at: 8 * H, status: 'unknown' },
    ],
    { from: 0, to: 10 * H },
  );
  t.equal(r.ratio, 0.75);
  t.equal(r.coverage, 0.8);
  t.same([r.upMs, r.downMs, r.unknownMs], [6 * H, 2 * H, 2 * H]);
});

t.test('many short ups do not outweigh one long down', async (t) => {
  const obs = [];
  for (let i = 0; i < 60; i++) obs.push({ at: i * 60_000, status: 'up' as const });
  obs.push({ at: H, status: 'down' as const });
  const r = availability(obs, { from: 0, to: 4 * H });
  t.equal(r.ratio, 0.25);
});

t.test('gaps longer than the hold time are unknown (hub was down)', async (t) => {
  const r = availability(
    [
      { at: 0, status: 'up' },
      { at: 60_000, status: 'up' },
      { at: 10 * 60_000, status: 'down' },
    ],
    { from: 0, to: 11 * 60_000 },
    90_000,
  );
  // The first observation holds until the second; the second only for 90 s; then 7.5 min unknown.
  t.same([r.upMs, r.downMs, r.unknownMs], [150_000, 60_000, 450_000]);
  t.equal(r.ratio, 150 / 210);
});

t.test('observations before the window count only from its start; nothing known gives null', async (t) => {
  const r = availability([{ at: -5 * H, status: 'down' }, { at: H, status: 'up' }], { from: 0, to: 2 * H });
  t.equal(r.ratio, 0.5);
  t.same(availability([], { from: 0, to: H }), { ratio: null, upMs: 0, downMs: 0, unknownMs: H, coverage: 0, windowMs: H });
});

t.test('24 h and 7 d windows', async (t) => {
  const now = 30 * 24 * H;
  const w = availabilityWindows([{ at: now - 2 * 24 * H, status: 'down' }, { at: now - 12 * H, status: 'up' }], now);
  t.equal(w.day.ratio, 0.5);
  t.ok(Math.abs(w.week.coverage - 2 / 7) < 1e-12);
  t.equal(w.week.ratio, 0.25);
});

t.test('device states map to availability', async (t) => {
  t.same(['fresh', 'stale', 'offline'].map((s) => availabilityOf(s as 'fresh')), ['up', 'unknown', 'down']);
});

t.test('property: up + down + unknown is the window, ratio within 0..1', async (t) => {
  const obs = fc.array(fc.record({ at: fc.integer({ min: -1000, max: 11_000 }), status: fc.constantFrom('up' as const, 'down' as const, 'unknown' as const) }));
  fc.assert(
    fc.property(obs, fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }), (o, hold) => {
      const r = availability(o, { from: 0, to: 10_000 }, hold);
      return r.upMs + r.downMs + r.unknownMs === 10_000 && (r.ratio === null || (r.ratio >= 0 && r.ratio <= 1));
    }),
  );
});
