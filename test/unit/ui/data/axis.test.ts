import t from 'tap';
import { intervals, niceStep, timeStep, timeTicks, valueAxis } from '../../../../ui/data/axis.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// Any moment works: the ticks are checked relative to the window, in the machine's own time zone.
const now = Date.now();

t.test('time ticks: every 10 minutes over an hour, every few hours over a day, daily over a week', async (t) => {
  t.equal(timeStep(HOUR), 10 * MIN);
  t.equal(timeStep(DAY), 6 * HOUR, 'a day in at most 7 ticks');
  t.equal(timeStep(7 * DAY), DAY);
  for (const [span, step, label] of [[HOUR, 10 * MIN, /^\d\d:\d\d$/], [DAY, 6 * HOUR, /\S/], [7 * DAY, DAY, /\d/]] as const) {
    const ticks = timeTicks(now - span, now);
    t.ok(ticks.length >= 4 && ticks.length <= 7, `${span / HOUR} h: ${ticks.length} ticks`);
    t.ok(ticks.every((k) => k.at >= now - span && k.at <= now), 'inside the window');
    t.ok(ticks.every((k, i) => i === 0 || k.at - ticks[i - 1]!.at === step || Math.abs(k.at - ticks[i - 1]!.at - step) === HOUR), 'evenly spaced (a DST change may shift one by an hour)');
    t.ok(ticks.every((k) => label.test(k.label)), `labels read as times or days: ${ticks.map((k) => k.label).join(', ')}`);
    // On local boundaries: minutes are whole, and for hour steps the minute is 0.
    t.ok(ticks.every((k) => new Date(k.at).getSeconds() === 0 && (step < HOUR || new Date(k.at).getMinutes() === 0)), 'on round local times');
  }
  const week = timeTicks(now - 7 * DAY, now);
  t.ok(week.every((k) => new Date(k.at).getHours() === 0), 'a week is ticked at local midnights');
  t.same(timeTicks(now, now), [], 'an empty window has no ticks');
});

t.test('value axes: percent to 100 %, bytes in one unit with round steps, availability as up/down', async (t) => {
  const pct = valueAxis('percent', 0.3, 1);
  t.same(pct.ticks.map((x) => x.label), ['0 %', '25 %', '50 %', '75 %', '100 %']);
  t.equal(pct.format(0.423), '42 %');

  const ram = valueAxis('bytes', 3 * 2 ** 30, 7.7 * 2 ** 30);
  t.equal(ram.unit, 'GiB');
  t.equal(ram.top, 7.7 * 2 ** 30, 'the total is the top of the scale');
  t.same(ram.ticks.map((x) => x.label), ['0 GiB', '2 GiB', '4 GiB', '6 GiB', '7.7 GiB'], 'round steps, and the total itself at the top');
  t.same(valueAxis('bytes', 1, 8 * 2 ** 30).ticks.map((x) => x.label), ['0 GiB', '2 GiB', '4 GiB', '6 GiB', '8 GiB'], 'a round total is not labelled twice');

  const disk = valueAxis('bytes', 300 * 2 ** 30);
  t.equal(disk.unit, 'GiB');
  t.ok(disk.top >= 300 * 2 ** 30, 'without a total the top is above the highest reading');
  t.equal(disk.ticks.at(-1)!.value, disk.top, 'and is a tick');
  t.equal(valueAxis('bytes', 512 * 2 ** 20).unit, 'MiB');
  t.equal(valueAxis('bytes', 0).ticks[0]!.label, '0 B', 'no readings: still a scale');

  const up = valueAxis('updown', 1);
  t.same(up.ticks.map((x) => x.label), ['down', 'up']);
  t.same([niceStep(0.3), niceStep(1.9), niceStep(2.2), niceStep(4), niceStep(70)], [0.5, 2, 2.5, 5, 100]);
});

t.test('readings grouped into intervals for the table: mean, lowest, highest', async (t) => {
  const from = Math.floor(now / HOUR) * HOUR - HOUR;
  const pts: [number, number][] = [];
  for (let i = 0; i < 60; i++) pts.push([from + i * MIN, i < 30 ? 1 : 3]);
  const rows = intervals(pts, from, from + HOUR, 6);
  t.equal(rows.length, 6, 'six 10-minute rows');
  t.same(rows.map((r) => r.mean), [1, 1, 1, 3, 3, 3]);
  t.ok(rows.every((r) => r.to - r.from === 10 * MIN));
  t.same(intervals([], from, from + HOUR), []);
});
