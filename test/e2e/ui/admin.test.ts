// The administration pages in a real Chromium against a real hub: a new provider instance created
// from the Plugins page (provider chosen, form from its JSON Schema, Test connection against a test
// device's real sshd, saved, ready, its secret never shown, removed again), and the MQTT settings form
// against a real Mosquitto (connected, password write-only, the hub never restarted).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { MqttFeature } from '../../../core/bus/mqtt-feature.js';
import { retained, startBroker } from '../../helpers/mosquitto.js';
import { needServices } from '../../helpers/services.js';
import { adminSession, shoot, uiHub, until } from './fixture.js';

t.test('plugins: a new ssh-procfs instance for dev1, tested, saved, ready, removed', async (t) => {
  const state = needServices(t, 'chromium', 'devices');
  if (!state) return;
  const dev1 = state.devices![0]!;
  const th = await uiHub(t);
  const { page, errors, api } = await adminSession(t, th, state.chromium!.path);
  const id = `ui-procfs-${process.pid}`;
  t.teardown(() => api('DELETE', `/api/plugins/instances/${id}`));

  await page.goto(`${th.url}/#/plugins`);
  await page.getByRole('button', { name: 'Add a provider instance' }).click();
  const form = page.getByRole('form', { name: 'New provider instance' });
  const option = await form.getByLabel('Provider').locator('option', { hasText: 'Linux over SSH' }).getAttribute('value');
  await form.getByLabel('Provider').selectOption(option!);
  await form.getByLabel(/^Instance id/).fill(id);
  // Fields by label, as a user finds them ("Host" alone: "Host key fingerprint" is another field).
  await form.getByLabel('Host Name or address of the device.').fill(dev1.ssh.host);
  await form.getByLabel(/^SSH port/).fill(String(dev1.ssh.port));
  await form.getByLabel('User', { exact: true }).fill(dev1.ssh.username);
  t.equal(await form.getByLabel(/^Paths to measure/).inputValue(), '/', 'a list field starts from its default, one per line');

  // Without the key the browser's own validation stops the test; a wrong key is refused by the device.
  await form.getByLabel(/^Private key/).fill('-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n');
  await form.getByRole('button', { name: 'Test connection' }).click();
  const result = form.locator('.test-result');
  await result.waitFor({ timeout: 30_000 });
  t.match(await result.getAttribute('class'), /error/, 'a bad key fails the test');
  t.ok((await result.textContent())!.trim().length > 10, `the failure says why: ${await result.textContent()}`);

  await form.getByLabel(/^Private key/).fill(readFileSync(dev1.ssh.privateKeyPath, 'utf8'));
  await form.getByRole('button', { name: 'Test connection' }).click();
  await form.getByRole('button', { name: 'Testing…' }).waitFor({ state: 'detached', timeout: 60_000 });
  t.match(await result.getAttribute('class'), /\bok\b/, `the test passes: ${await result.textContent()}`);
  t.match(await result.textContent(), /cores.*GiB RAM/, 'the test shows what it read from the device');
  await form.evaluate((el) => el.scrollIntoView());
  await shoot(page, 'plugins-add');
  await form.getByRole('button', { name: 'Save instance' }).click();

  const row = page.locator(`tr[data-instance="${id}"]`);
  await row.waitFor();
  await until('the new instance ready', async () => {
    await page.goto(`${th.url}/#/plugins?${Date.now()}`);
    await row.waitFor();
    return /ready/.test((await row.locator('.badge').textContent()) ?? '');
  }, 60_000);
  const info = (await api('GET', `/api/plugins/instances/${id}`)).body.instance;
  t.equal(info.state, 'ready');
  t.same(info.config.paths, ['/'], 'the list field reached the config as a list');
  t.same(info.secretsSet, ['/privateKey'], 'the key is stored as a secret');
  t.notOk(JSON.stringify(info).includes('PRIVATE KEY'), 'and never shown');
  t.notOk((await page.content()).includes('PRIVATE KEY'), 'not on the page either');
  await row.scrollIntoViewIfNeeded();
  await shoot(page, 'plugins-instance');

  await page.getByRole('button', { name: `Remove ${id}` }).click();
  await until('the instance gone from the page', async () => (await row.count()) === 0);
  t.equal((await api('GET', `/api/plugins/instances/${id}`)).status, 404, 'removed on the hub');
  t.same(errors, [], 'no script errors');
});

t.test('settings: the MQTT bridge configured from the form connects without a restart; the password is write-only', async (t) => {
  const state = needServices(t, 'chromium', 'mosquitto');
  if (!state) return;
  const users = { warren: `hub-${process.pid}-pass` };
  const broker = await startBroker(state.mosquitto!.bin, users, 'user warren\ntopic readwrite #\n');
  t.teardown(() => broker.stop());
  const prefix = `warren-ui-${process.pid}`;
  const th = await uiHub(t, { extensions: [new MqttFeature({})] });
  const { page, errors, api } = await adminSession(t, th, state.chromium!.path);

  await page.getByRole('link', { name: 'Settings' }).click();
  const st = page.locator('[data-mqtt]');
  await st.waitFor();
  t.equal(await st.getAttribute('data-mqtt'), 'off', 'off until configured');
  const forget = page.getByLabel('Forget the stored password');
  t.equal(await forget.count(), 0, 'nothing to forget before a password is stored');
  await page.getByLabel('Publish to an MQTT broker').check();
  await page.getByLabel(/^Broker URL/).fill('http://not-mqtt');
  await page.getByRole('button', { name: 'Save MQTT settings' }).click();
  t.equal(await st.getAttribute('data-mqtt'), 'off', 'a URL that is not MQTT is refused by the form');

  await page.getByLabel(/^Broker URL/).fill(broker.url);
  await page.getByLabel('User name').fill('warren');
  await page.getByLabel(/^Password/).fill('wrong password');
  await page.locator('summary', { hasText: 'Topics and TLS' }).click();
  await page.getByLabel(/^Topic prefix/).fill(prefix);
  await page.getByLabel(/^CA certificate file/).fill('/no/such/ca.pem');
  await page.getByRole('button', { name: 'Save MQTT settings' }).click();
  const alert = page.locator('wn-settings p[role=alert]');
  await alert.waitFor();
  t.match(await alert.textContent(), /cannot read \/no\/such\/ca\.pem/, 'a missing TLS file is named');
  await page.getByLabel(/^CA certificate file/).fill('');

  await page.getByRole('button', { name: 'Save MQTT settings' }).click();
  await until('not connected, with the broker\'s reason', async () => /Not authorized|not authori[sz]ed|Bad user/i.test((await st.textContent()) ?? ''), 30_000);
  t.pass(`a wrong password is reported: ${(await st.textContent())!.replace(/\s+/g, ' ').trim()}`);

  await page.getByLabel(/^Password/).fill(users.warren);
  await page.getByRole('button', { name: 'Save MQTT settings' }).click();
  await until('connected', async () => (await st.getAttribute('data-mqtt')) === 'connected', 30_000);
  await until('the hub online on the broker', async () => retained(broker, 'warren', `${prefix}/status`) === 'online', 30_000);
  t.equal(await page.getByLabel(/^Password/).inputValue(), '', 'the password field is emptied after saving');
  t.match(await page.locator('wn-settings form').textContent(), /stored encrypted; leave empty to keep it/, 'and says a password is kept');
  const shown = await api('GET', '/api/mqtt');
  t.notOk(JSON.stringify(shown.body).includes(users.warren), 'the password never comes back');
  t.equal(shown.body.settings.passwordSet, true);
  await page.evaluate(() => scrollTo(0, 0));
  await shoot(page, 'settings');

  // Saving again with the password left empty keeps it.
  await page.getByLabel(/^Discovery prefix/).fill(`ha-${process.pid}`);
  await page.getByRole('button', { name: 'Save MQTT settings' }).click();
  await until('reconnected with the kept password', async () => (await api('GET', '/api/mqtt')).body.discoveryPrefix === `ha-${process.pid}` && (await st.getAttribute('data-mqtt')) === 'connected', 30_000);

  await page.getByLabel('Publish to an MQTT broker').uncheck();
  await page.getByRole('button', { name: 'Save MQTT settings' }).click();
  await until('off', async () => (await st.getAttribute('data-mqtt')) === 'off', 15_000);
  await until('offline on the broker', async () => retained(broker, 'warren', `${prefix}/status`) === 'offline', 30_000);

  // "Forget the stored password": the hub drops it and connects without one, which this broker refuses
  // (the same settings connected with the stored password above).
  t.equal(await forget.count(), 1, 'a stored password can be forgotten');
  await page.getByLabel('Publish to an MQTT broker').check();
  await forget.check();
  t.equal(await page.getByLabel(/^Password/).inputValue(), '', 'with the password field left empty');
  await page.getByRole('button', { name: 'Save MQTT settings' }).click();
  await until('the stored password gone', async () => (await api('GET', '/api/mqtt')).body.settings?.passwordSet === false, 15_000);
  await until('refused by the broker without the password', async () =>
    (await st.getAttribute('data-mqtt')) === 'connecting' && /Not authori[sz]ed|Bad user/i.test((await st.textContent()) ?? ''), 30_000);
  t.pass(`without the password: ${(await st.textContent())!.replace(/\s+/g, ' ').trim()}`);
  t.equal(retained(broker, 'warren', `${prefix}/status`), 'offline', 'the hub never came online without it');
  t.equal(await forget.count(), 0, 'the box is gone: no stored password left');
  t.match(await page.locator('wn-settings form').textContent(), /stored encrypted, never shown again/, 'the form says none is kept');
  t.equal((await api('GET', '/api/mqtt')).body.settings.username, 'warren', 'the user name is kept');
  t.same(errors, [], 'no script errors');
});
