import t from 'tap';
import { forEachEngine } from './engines.js';
import type { MetricSample } from '../../../../core/store/index.js';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

const sample = (at: number, value: number, metric = 'cpu', device = 'nuc'): MetricSample => ({ device, metric, value, at });

forEachEngine(t, async (t, env) => {
  const store = await env.open();
  await store.devices.insert({ id: 'nuc', name: 'nuc', connection: {} });
  await store.devices.insert({ id: 'pi', name: 'pi', connection: {} });

  const fixtures: MetricSample[] = [
    // Raw zone (the last hour): every 10 s for 50 minutes, kept as is.
    ...Array.from({ length: 300 }, (_, i) => sample(NOW - 50 * MIN + i * 10 * S, i)),
    // Exactly at the raw boundary: stays raw. One millisecond before it: averaged.
    sample(NOW - H, 100),
    sample(NOW - H - 1, 200),
    // Minute zone: six samples in one minute, one off-bucket sample in the next, another metric, another device.
    ...[1, 2, 3, 4, 5, 6].map((v, i) => sample(NOW - 2 * H + i * 10 * S, v)),
    sample(NOW - 2 * H + MIN + 30 * S, 7),
    sample(NOW - 2 * H + 5 * S, 1000, 'mem'),
    sample(NOW - 2 * H + 15 * S, 3000, 'mem'),
    sample(NOW - 2 * H + 20 * S, 50, 'cpu', 'pi'),
    // Hour zone (older than a day): samples spread over one hour average into one row.
    sample(NOW - 3 * D + 1 * MIN, 10),
    sample(NOW - 3 * D + 20 * MIN, 20),
    sample(NOW - 3 * D + 59 * MIN, 30),
    sample(NOW - 3 * D + H + 5 * MIN, 99),
    // Older than 30 days: dropped.
    sample(NOW - 31 * D, 1),
    sample(NOW - 30 * D - 1, 1, 'mem', 'pi'),
  ];
  await store.metrics.insert(fixtures);
  t.equal((await store.metrics.range({ device: 'nuc' })).length + (await store.metrics.range({ device: 'pi' })).length, fixtures.length, 'insert stores every sample');

  const first = await store.metrics.thin(NOW);
  t.equal(first.dropped, 2);

  const cpu = await store.metrics.range({ device: 'nuc', metric: 'cpu' });
  const at = (ts: number) => cpu.filter((s) => s.at === ts).map((s) => s.value);

  t.same(at(NOW - 2 * H), [3.5], 'six samples in a minute become their average, at the minute start');
  t.same(at(NOW - 2 * H + MIN), [7], 'a lone sample moves to its minute start');
  t.same(at(NOW - H), [100], 'a sample exactly an hour old is still raw');
  t.same(at(NOW - H - MIN), [200], 'one a millisecond older is thinned');
  t.same(at(NOW - 3 * D), [20], 'an hour more than a day old becomes one average');
  t.same(at(NOW - 3 * D + H), [99]);
  t.equal(cpu.filter((s) => s.at >= NOW - 50 * MIN).length, 300, 'the last hour stays raw');
  t.same((await store.metrics.range({ device: 'nuc', metric: 'mem' })).map((s) => [s.at, s.value]), [[NOW - 2 * H, 2000]], 'metrics are averaged separately');
  t.same((await store.metrics.range({ device: 'pi' })).map((s) => [s.metric, s.at, s.value]), [['cpu', NOW - 2 * H, 50]], 'devices are averaged separately; old samples dropped');
  t.equal(first.written, 5 + 2, 'five minute averages and two hour averages');
  t.equal(first.averaged, 6 + 1 + 1 + 2 + 1 + 4, 'from this many samples');

  const again = await store.metrics.thin(NOW);
  t.same(again, { averaged: 0, written: 0, dropped: 0 }, 'thinning twice at the same time changes nothing');
  t.same(await store.metrics.range({ device: 'nuc', metric: 'cpu' }), cpu);

  t.test('as time passes, raw samples become minute averages, then hour averages, then go', async (t) => {
    await store.metrics.thin(NOW + 2 * H);
    const later = await store.metrics.range({ device: 'nuc', metric: 'cpu', from: NOW - 50 * MIN, to: NOW });
    t.equal(later.length, 50, '50 minutes of 10-second samples are now 50 minute averages');
    t.same(later[0], sample(NOW - 50 * MIN, 2.5), 'values 0..5 average to 2.5');
    t.ok(later.every((s) => s.at % MIN === 0));

    await store.metrics.thin(NOW + 2 * D);
    const hours = await store.metrics.range({ device: 'nuc', metric: 'cpu', from: NOW - 2 * H, to: NOW });
    t.same(hours.map((s) => s.at), [NOW - 2 * H, NOW - H], 'the minute averages of each hour became one row');
    // Hour NOW-1h..NOW: minute averages 200 at NOW-1h-1m belongs to the previous hour; this hour holds
    // the sample at NOW-1h (100) and the ten minutes before the raw series began are empty.
    const minuteMeans = [100, ...Array.from({ length: 50 }, (_, m) => 6 * m + 2.5)];
    t.equal(hours[1]!.value, minuteMeans.reduce((a, b) => a + b, 0) / minuteMeans.length, 'an hour is the mean of its minute means');

    await store.metrics.thin(NOW + 40 * D);
    t.same(await store.metrics.range({ device: 'nuc' }), [], 'after 30 days nothing is left');
  });

  t.test('range reads [from, to) for one or several metrics', async (t) => {
    await store.metrics.insert([sample(5 * S, 1), sample(6 * S, 2, 'mem'), sample(7 * S, 3, 'disk'), sample(8 * S, 4)]);
    t.same((await store.metrics.range({ device: 'nuc', metric: ['cpu', 'mem'], from: 5 * S, to: 8 * S })).map((s) => s.value), [1, 2]);
    t.same((await store.metrics.range({ device: 'nuc', metric: 'cpu', from: 5 * S + 1 })).map((s) => s.value), [4]);
  });

  t.test('removing a device removes its history', async (t) => {
    await store.metrics.insert([sample(NOW, 1, 'cpu', 'pi')]);
    await store.devices.delete('pi');
    t.same(await store.metrics.range({ device: 'pi' }), []);
  });

  t.test('large batches insert in chunks', async (t) => {
    await store.devices.insert({ id: 'big', name: 'big', connection: {} });
    const many = Array.from({ length: 5000 }, (_, i) => sample(NOW + i, i, 'cpu', 'big'));
    await store.metrics.insert(many);
    t.equal((await store.metrics.range({ device: 'big' })).length, 5000);
    await t.rejects(store.metrics.insert([sample(NOW, 1, 'cpu', 'no-such-device')]), { code: 'WARREN_ERR_CONFLICT' });
  });
});
