import t from 'tap';
import { age, bytes, percent } from '../../../../ui/data/format.js';

t.test('sizes in binary units, percentages and ages read the way people say them', async (t) => {
  t.equal(bytes(0), '0 B');
  t.equal(bytes(1023), '1023 B');
  t.equal(bytes(64 * 2 ** 20), '64.0 MiB');
  t.equal(bytes(23.5 * 2 ** 30), '23.5 GiB');
  t.equal(bytes(542 * 2 ** 30), '542 GiB', 'no decimals from 100 up');
  t.equal(bytes(undefined), '—', 'a missing figure is a dash, not 0');
  t.equal(bytes(Number.NaN), '—');
  t.equal(percent(0.423), '42 %');
  t.equal(percent(null), '—', 'unknown CPU is not 0 %');
  t.equal(age(0.4), '0 s old');
  t.equal(age(42), '42 s old');
  t.equal(age(600), '10 min old');
  t.equal(age(7200), '2 h old');
  t.equal(age(null), 'never read');
});

t.test('app statuses read as words; the passing ones say what is happening', async (t) => {
  const { appStatus } = await import('../../../../ui/data/format.js');
  t.equal(appStatus('rolling-back').label, 'rolling back');
  t.match(appStatus('rolling-back').title, /previous version/);
  t.same(appStatus('running'), { label: 'running' });
  t.same(appStatus('some_new-state'), { label: 'some new state' }, 'an unknown status still reads as words');
  t.same(appStatus(undefined), { label: '' });
});

t.test('devices on one machine are named in plain words', async (t) => {
  const { sharedMachineText, namesList } = await import('../../../../ui/data/format.js');
  t.equal(namesList(['a']), 'a');
  t.equal(namesList(['a', 'b']), 'a and b');
  t.equal(namesList(['a', 'b', 'c']), 'a, b and c');
  const names = new Map([['dev1', 'Garage Pi'], ['local', 'This machine']]);
  const byBoot = sharedMachineText({ devices: ['local', 'dev1'], by: 'boot-id', key: '57c7' }, names);
  t.equal(byBoot.who, 'This machine and Garage Pi');
  t.match(byBoot.what, /^are one machine: they report the same boot id\. Its RAM, CPU and storage are counted once/);
  const byHost = sharedMachineText({ devices: ['x', 'dev1'], by: 'hostname-and-boot-time', key: 'nas@1700000000' }, names);
  t.equal(byHost.who, 'x and Garage Pi', 'an id stands in for an unknown name');
  t.match(byHost.what, /same host name and boot time \(nas@1700000000\)/);
});
