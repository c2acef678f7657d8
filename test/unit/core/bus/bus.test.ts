import t from 'tap';
import { EventBus } from '../../../../core/bus/bus.js';

t.test('listeners of an owner are released together', async (t) => {
  const bus = new EventBus();
  const seen: string[] = [];
  const owned = bus.owned('plugin:a');
  owned.on('device.added', (p) => { seen.push(`a:${p.device}`); });
  owned.onAny((_p, type) => { seen.push(`a*:${type}`); });
  bus.on('device.added', (p) => { seen.push(`hub:${p.device}`); });
  bus.emit('device.added', { device: 'nas', name: 'NAS' });
  t.same(seen, ['a:nas', 'a*:device.added', 'hub:nas']);
  owned.release();
  t.equal(bus.listenerCount('plugin:a'), 0);
  bus.emit('device.added', { device: 'pi', name: 'Pi' });
  t.same(seen.slice(3), ['hub:pi']);
});

t.test('a failing listener is reported, never thrown back, and others still run', async (t) => {
  const errors: string[] = [];
  const bus = new EventBus((err, info) => errors.push(`${info.owner}:${(err as Error).message}`));
  let ran = false;
  bus.on('device.removed', () => { throw new Error('sync boom'); }, 'bad');
  bus.on('device.removed', async () => { throw new Error('async boom'); }, 'bad2');
  bus.on('device.removed', () => { ran = true; });
  t.doesNotThrow(() => bus.emit('device.removed', { device: 'x' }));
  await new Promise((r) => setImmediate(r));
  t.ok(ran);
  t.same(errors.sort(), ['bad2:async boom', 'bad:sync boom']);
});

t.test('unsubscribe removes only that listener', async (t) => {
  const bus = new EventBus();
  let n = 0;
  const off = bus.on('device.removed', () => { n++; });
  bus.on('device.removed', () => { n += 10; });
  off();
  bus.emit('device.removed', { device: 'x' });
  t.equal(n, 10);
});
