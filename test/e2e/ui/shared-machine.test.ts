// The dashboard says, in plain words, which devices turned out to be one machine: this host's engine
// added by its socket and dev1 (a network namespace of this host, over SSH) report the same boot id,
// so the summary counts that machine's RAM, CPU and storage once, and the page says so by device name.
import t from 'tap';
import { needServices } from '../../helpers/services.js';
import { adminSession, deviceBodies, uiHub, until } from './fixture.js';

t.test('devices on one machine are named on the dashboard, with the totals counting it once', async (t) => {
  const state = needServices(t, 'chromium', 'docker', 'devices', 'images');
  if (!state) return;
  const th = await uiHub(t);
  const { page, errors, api } = await adminSession(t, th, state.chromium!.path);
  const [local, dev1] = deviceBodies(state);
  for (const body of [local!, dev1!]) t.equal((await api('POST', '/api/devices', body)).status, 201, `added ${body.name}`);

  // The API first: both devices fresh and found to share one kernel.
  const summary = await until('the summary finds one machine behind both devices', async () => {
    const s = (await api('GET', '/api/summary')).body;
    return s.summary?.sharedMachines?.length === 1 && s.summary.devices.fresh === 2 ? s : undefined;
  });
  t.same([...summary.summary.sharedMachines[0].devices].sort(), ['dev1', 'local']);
  t.equal(summary.summary.memory.covers.machines, 1);

  await page.goto(`${th.url}/#/dashboard`);
  const section = page.locator('wn-dashboard section.shared-machines');
  await section.waitFor();
  t.equal(await section.getByRole('heading').textContent(), 'Devices on one machine');
  const item = (await section.locator('li').first().textContent())!.replace(/\s+/g, ' ').trim();
  t.match(item, /^(dev1 and local|local and dev1) are one machine: they report the same boot id\. Its RAM, CPU and storage are counted once in the totals above/, 'the note names the devices, not their ids alone');
  const ram = (await page.locator('wn-dashboard [data-total="memory"] .covers').textContent())!.trim();
  t.equal(ram, '2 devices on 1 machine, each machine counted once', 'the RAM total says what it covers');
  // The total is the machine's RAM once, not the two device cards added up.
  const cards = await page.locator('wn-dashboard li.device').count();
  t.equal(cards, 2, 'both devices still have their own card');
  t.same(errors, []);
});
