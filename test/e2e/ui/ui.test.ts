// The web UI in a real Chromium against a real hub and the real test devices: first-start setup and
// login; the dashboard with the test devices, live when a device goes offline; adding a device with
// Test connection; installing the demo app through the wizard onto the recommended device, opening
// it, following its logs and removing it. Screenshots of each page go to docs/screenshots/.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { needServices } from '../../helpers/services.js';
import { within } from '../../helpers/wait.js';
import { adminSession, browser, desktop, deviceBodies, PASSWORD, recordTexts, relay, shoot, throttleUploads, tlsOf, uiHub, until } from './fixture.js';

/** SQL that makes a table of about `size` bytes (rows of random hex, which Postgres cannot compress). */
function bulkTable(size: number): string {
  const rows: string[] = [];
  for (let i = 0, n = 0; n < size; i++) {
    const row = `${i}\t${randomBytes(500).toString('hex')}\n`;
    rows.push(row);
    n += row.length;
  }
  // Schema-qualified: a pg_dump file empties the search_path.
  return `CREATE TABLE public.restore_bulk (id integer PRIMARY KEY, pad text NOT NULL);\nCOPY public.restore_bulk (id, pad) FROM stdin;\n${rows.join('')}\\.\n`;
}

/** "7.5 MiB" → bytes, as the UI's byte format writes them. */
const inBytes = (s: string): number => {
  const [v, unit] = s.split(' ');
  return Number(v) * 1024 ** ['B', 'KiB', 'MiB', 'GiB'].indexOf(unit!);
};

t.test('first start: the setup link creates the account; log out, a wrong password is explained, log in', async (t) => {
  const state = needServices(t, 'chromium');
  if (!state) return;
  const th = await uiHub(t, { adminPassword: false });
  const link = await until('the setup link in the log', async () => th.logs.join('').match(/(http:\/\/\S+\/#\/setup\?token=[\w-]+)/)?.[1]);
  const b = await browser(t, state.chromium!.path);
  const page = await b.newPage(desktop);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Welcome to Warren' }).waitFor();
  t.equal(await page.getByLabel('Setup token').count(), 0, 'the token comes from the link, not typed');
  await shoot(page, 'setup');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  t.match(page.url(), /#\/dashboard$/, 'the token leaves the address bar once used');
  // No device yet: the dashboard says what to do first instead of totals of nothing.
  await page.getByRole('heading', { name: 'Getting started' }).waitFor();
  await shoot(page, 'dashboard-empty');
  await page.getByRole('link', { name: 'Add a device' }).click();
  await page.getByRole('form', { name: 'Add a device' }).waitFor();
  t.pass('the first step opens the add-device form');
  await page.getByRole('link', { name: 'Dashboard' }).click();

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to Warren' }).waitFor();
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  t.match(await alert.textContent(), /password/i, 'the failure says what was wrong');
  await shoot(page, 'login');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  t.equal(await page.evaluate(() => document.querySelector('wn-app')!.shadowRoot!.activeElement?.id), 'main', 'focus moves to the page content');
  t.pass('logged in again');
});

t.test('devices, dashboard, install wizard, apps, logs and removal', async (t) => {
  const state = needServices(t, 'chromium', 'docker', 'devices', 'images', 'nodeExporter');
  if (!state) return;
  const th = await uiHub(t);
  const { page, errors, api } = await adminSession(t, th, state.chromium!.path);

  // Add the local engine through the form: a wrong socket fails the test and keeps Save disabled.
  await page.goto(`${th.url}/#/devices`);
  await page.getByRole('button', { name: 'Add a device' }).click();
  await page.getByLabel('Name').fill('local');
  await page.getByLabel('Socket path').fill('/run/no-such-engine.sock');
  await page.getByRole('button', { name: 'Test connection' }).click();
  const failed = page.locator('wn-devices').getByRole('alert');
  await failed.waitFor();
  t.match(await failed.textContent(), /not reachable|ENOENT/, 'the failed test says why');
  t.ok(await page.getByRole('button', { name: 'Save device' }).isDisabled(), 'no saving before a successful test');
  await page.getByLabel('Socket path').fill(state.docker!.socket);
  await page.locator('summary', { hasText: 'More' }).click();
  await page.getByLabel('Helper image').fill(state.images!.web!);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.locator('.test-result.ok').waitFor();
  t.match(await page.locator('.test-result').textContent(), /docker .* CPUs/, 'the test shows the engine it reached');
  await shoot(page, 'device-add');
  await page.getByRole('button', { name: 'Save device' }).click();
  await page.waitForURL(/#\/devices\/local$/);
  await page.getByRole('heading', { name: /local/ }).waitFor();

  for (const body of deviceBodies(state).slice(1)) t.equal((await api('POST', '/api/devices', body)).status, 201, `added ${body.name}`);
  // A throwaway device behind a relay this test cuts: the shared devices stay untouched.
  const dev2 = state.devices![1]!;
  const link = await relay(t, dev2.docker.tcp.host, dev2.docker.tcp.port);
  t.equal((await api('POST', '/api/devices', { name: 'flaky', connection: { type: 'tcp', host: '127.0.0.1', port: link.port, tls: tlsOf(state, 1) } })).status, 201);

  await page.goto(`${th.url}/#/devices/dev1`);
  await page.locator('wn-chart').first().waitFor();
  await until('history points on the chart', async () => (await page.locator('wn-chart path.line').count()) > 0);
  // Axes with units and readable times; the readings as a table for screen readers.
  const ram = page.locator('wn-chart[label="RAM used"]');
  const cpu = page.locator('wn-chart[label="CPU busy"]');
  t.match((await ram.locator('.y span').allTextContents()).join(' '), /0 [KMGT]?i?B .*\d [GM]iB/, 'the RAM axis is in bytes with a unit');
  t.same(await cpu.locator('.y span').allTextContents(), ['0 %', '25 %', '50 %', '75 %', '100 %'], 'the CPU axis is in percent');
  t.ok((await ram.locator('.x span').allTextContents()).every((x) => /^\d\d:\d\d$/.test(x)), 'the hour is ticked in clock times');
  t.match(await ram.locator('[role=img]').getAttribute('aria-label'), /^RAM used: latest \d.* (KiB|MiB|GiB), lowest/, 'a text summary for screen readers');
  await ram.getByText('RAM used as a table').click();
  t.ok(await ram.locator('tbody tr').count() >= 1, 'and the readings as a table');
  await page.getByRole('button', { name: 'Week' }).click();
  await until('the week ticked in days', async () => {
    const labels = await ram.locator('.x span').allTextContents();
    return labels.length >= 5 && labels.every((x) => !/^\d\d:\d\d$/.test(x)) && labels;
  });
  await page.getByRole('button', { name: 'Hour' }).click();
  await ram.getByText('RAM used as a table').click();
  await shoot(page, 'device-detail');

  await page.goto(`${th.url}/#/dashboard`);
  const card = (id: string) => page.locator(`wn-dashboard li[data-device="${id}"]`);
  for (const id of ['local', 'dev1', 'dev2', 'flaky']) {
    await until(`${id} fresh on the dashboard`, async () => (await card(id).getAttribute('data-state')) === 'fresh', 90_000);
  }
  t.match(await card('dev1').textContent(), /RAM.*GiB.*Storage.*GiB.*CPU.*cores/s, 'a card shows its figures');
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  await link.cut();
  await until('flaky offline on the dashboard', async () => (await card('flaky').getAttribute('data-state')) === 'offline', 60_000);
  t.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'updated live, without a reload');
  t.match(await card('flaky').getAttribute('class'), /stale/, 'the offline device is greyed');
  t.match(await card('flaky').textContent(), /\(\d+ s old\)/, 'with the age of what it shows');
  // The summary agrees with the cards (another device may be offline at that moment too).
  const offlineCards = await page.locator('[data-state=offline]').count();
  t.ok(offlineCards >= 1);
  t.match(await page.locator('[data-count=offline]').textContent(), new RegExp(`${offlineCards} offline`), 'the summary counts the offline devices');
  await page.setViewportSize({ width: 390, height: 844 });
  await shoot(page, 'dashboard-phone');
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize(desktop.viewport);
  await shoot(page, 'dashboard-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Remove the throwaway device from the devices list.
  await page.goto(`${th.url}/#/devices`);
  await page.getByRole('button', { name: 'Remove flaky' }).click();
  await until('flaky gone from the list', async () => (await page.locator('tr[data-device=flaky]').count()) === 0);
  await shoot(page, 'devices');

  // Catalog, then the wizard.
  await page.goto(`${th.url}/#/catalog`);
  await page.getByLabel('Search apps').fill('demo');
  await until('one match', async () => (await page.locator('li[data-app]').count()) === 1);
  await page.getByLabel('Search apps').fill('');
  await until('all apps again', async () => (await page.locator('li[data-app]').count()) > 10);
  await shoot(page, 'catalog');
  await page.getByRole('link', { name: 'Warren demo' }).click();
  await page.getByRole('heading', { name: /Warren demo/ }).waitFor();
  t.match(await page.locator('wn-catalog dl').textContent(), /postgres >=13/, 'the detail lists the database it needs');
  await shoot(page, 'catalog-app');
  await page.getByRole('link', { name: 'Install…' }).click();
  await page.getByLabel(/Greeting/).fill('Hello from the browser test');
  await page.getByRole('button', { name: 'Next: choose a device' }).click();
  await page.locator('.candidate').first().waitFor();
  const placement = (await api('POST', '/api/placement', { app: 'warren-demo' })).body;
  const recommended = page.locator('.candidate.recommended');
  t.equal(await recommended.count(), 1, 'one device is recommended');
  const chosen = await recommended.getAttribute('data-device');
  t.ok(placement.candidates.some((c: { device: string }) => c.device === chosen), 'the recommended device is one of the candidates');
  t.ok(await recommended.locator('input[type=radio]').isChecked(), 'the recommendation is preselected');
  t.equal(await recommended.locator('[role=meter]').count(), 5, 'a bar per criterion');
  t.equal(await page.locator('.candidate').count(), placement.candidates.length, 'every device is explained');
  await shoot(page, 'install-placement');
  await page.getByRole('button', { name: /^Install on / }).click();
  // The app lives on a shared test device: whatever happens below, it does not outlive the test.
  try {
    await until('the install to finish', async () => {
      const alert = page.locator('wn-install p[role=alert]');
      if (await alert.count()) throw new Error(`the wizard shows: ${await alert.first().textContent()}`);
      const s = await page.locator('[role=status][data-state]').getAttribute('data-state', { timeout: 1000 });
      return s && !['pending', 'running'].includes(s) && s;
    }, 240_000).then((s) => t.equal(s, 'done', `install ${s}: ${errors.join('; ')}`));
    await shoot(page, 'install-progress');

    // The app: open it, follow its logs.
    await page.getByRole('link', { name: 'Go to the app' }).click();
    const open = page.getByRole('link', { name: /^Open / });
    await open.waitFor({ timeout: 60_000 });
    const href = (await open.getAttribute('href'))!;
    const popup = page.context().waitForEvent('page');
    await open.click();
    const appPage = await popup;
    await until('the app answers', async () => {
      await appPage.goto(href).catch(() => undefined);
      return /connected: yes/.test((await appPage.textContent('body').catch(() => '')) ?? '');
    }, 90_000);
    t.pass(`the app opened at ${href} and reaches its database`);
    const installed = (await api('GET', '/api/apps')).body.apps[0];
    t.equal(installed.inputs.GREETING, 'Hello from the browser test', 'the form\'s input reached the app');
    t.equal(installed.device, chosen, 'installed on the recommended device');
    await appPage.close();
    await page.getByRole('button', { name: 'Follow logs' }).click();
    await until('log lines', async () => /web \|/.test((await page.getByRole('log').textContent()) ?? ''), 30_000);
    await shoot(page, 'app');
    // The dashboard as the README shows it: the devices with an app running and its pooled database.
    await page.goto(`${th.url}/#/dashboard`);
    await until('the app counted as running', async () => /1 installed/.test((await page.locator('[data-total=apps]').textContent()) ?? ''));
    await shoot(page, 'dashboard');

    await page.goto(`${th.url}/#/databases`);
    await page.locator('[data-server]').first().waitFor({ timeout: 30_000 });
    t.match(await page.locator('wn-databases [data-server]').first().textContent(), /warren-demo|warren_demo/, 'the demo app\'s database is listed');
    // Dump: downloaded through the browser, with the visit the app counted above.
    const appId = installed.id as string;
    const work = page.locator(`wn-databases .db-work[data-for="${appId}/main"]`);
    const download = page.waitForEvent('download', { timeout: 180_000 });
    await page.getByRole('button', { name: `Download a dump of ${appId}'s database` }).click();
    await until('the dump reported', async () => {
      if ((await work.getAttribute('role')) === 'alert') throw new Error(`the page shows: ${await work.textContent()}`);
      return /Downloaded .*\.sql/.test((await work.textContent()) ?? '');
    }, 180_000);
    const dumpFile = await (await download).path();
    const dump = readFileSync(dumpFile, 'utf8');
    t.match(dump, /PostgreSQL database dump/, `the dump is the database's SQL (${dump.length} bytes)`);
    // A file that is not a dump: the failure is said in words, with what to do.
    const scratch = mkdtempSync(join(tmpdir(), 'warren-ui-'));
    t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
    const bad = join(scratch, 'not-a-dump.sql');
    writeFileSync(bad, 'this is not SQL at all;\n');
    await page.getByLabel(`Restore ${appId}'s database from a file`).setInputFiles(bad);
    await until('the failed restore explained', async () => (await work.getAttribute('role')) === 'alert' && /The restore failed: .*syntax error.*put back as it was before the restore.*plain SQL dump/.test((await work.textContent()) ?? ''), 120_000);
    t.pass(`a bad file is explained: ${(await work.textContent())!.slice(0, 200)}`);
    // Restore: the downloaded dump uploaded as the request body.
    await page.getByLabel(`Restore ${appId}'s database from a file`).setInputFiles(dumpFile);
    await until('restored', async () => {
      if (await work.getAttribute('role') === 'alert') throw new Error(`the page shows: ${await work.textContent()}`);
      return /Restored from/.test((await work.textContent()) ?? '');
    }, 120_000);
    t.pass('restored from the downloaded dump');
    // A large restore: the dump and a 24 MiB table. The browser's uploads are capped at 8 MiB/s (a home
    // uplink) so that the upload lasts a few seconds however fast this machine is; every text the
    // progress line takes is recorded as the page renders it.
    const big = join(scratch, 'big.sql');
    writeFileSync(big, dump + bulkTable(24 << 20));
    await throttleUploads(page, 8 << 20);
    const progress = await recordTexts(page, 'wn-databases', `.db-work[data-for="${appId}/main"]`);
    await page.getByLabel(`Restore ${appId}'s database from a file`).setInputFiles(big);
    // The line said the last restore went well: an alert now is this restore's.
    const ended = await until('the large restore to end', async () => {
      const text = (await work.textContent())?.trim();
      return ((await work.getAttribute('role')) === 'alert' || text === 'Restored from big.sql.') && text;
    }, 300_000);
    await throttleUploads(page, -1);
    t.equal(ended, 'Restored from big.sql.', 'the large file is restored');
    const seen = await progress();
    const sent = seen.flatMap((x) => {
      const m = x.match(/^Uploading big\.sql… ([\d.]+ \w+) of ([\d.]+ \w+)$/);
      return m ? [{ sent: inBytes(m[1]!), total: m[2]! }] : [];
    });
    t.ok(sent.length >= 3, `the upload's progress is shown as it goes: ${sent.length} steps (${sent.length >= 3 ? `${seen[2]} … ${seen.at(-3)}` : seen.join(' | ')})`);
    t.ok(sent.every((x, i) => i === 0 || x.sent > sent[i - 1]!.sent), 'each step shows more sent than the one before');
    t.ok(/^2[45]\.\d MiB$/.test(sent[0]?.total ?? '') && sent.every((x) => x.total === sent[0]!.total), `out of the file's size (${sent[0]?.total})`);
    const uploaded = seen.findIndex((x) => /^Uploaded 2[45]\.\d MiB; the server is loading it…$/.test(x));
    t.ok(uploaded > seen.findLastIndex((x) => x.startsWith('Uploading big.sql… ')), 'then says the server is loading it');
    t.equal(seen.at(-1), 'Restored from big.sql.', 'and ends restored');
    const sizeOf = async () => ((await api('GET', '/api/pools')).body as { databases: { app?: string; sizeBytes: number }[] }[])
      .flatMap((x) => x.databases).find((d) => d.app === appId)?.sizeBytes ?? 0;
    t.ok((await sizeOf()) > 20 << 20, `the large table is in the database (${await sizeOf()} bytes)`);
    // The downloaded dump again: it replaces the large table (the moves below copy the app's own data).
    await page.getByLabel(`Restore ${appId}'s database from a file`).setInputFiles(dumpFile);
    t.equal(await until('the dump restored again', async () => {
      const text = (await work.textContent())?.trim();
      return ((await work.getAttribute('role')) === 'alert' || (text?.startsWith('Restored from ') && text !== 'Restored from big.sql.')) && text;
    }, 120_000), `Restored from ${basename(dumpFile)}.`, 'the dump restored again');
    t.ok((await sizeOf()) < 20 << 20, `the large table is gone (${await sizeOf()} bytes)`);
    // Moves from the page: the app is stopped, the data copied and checked, the app redeployed; then the
    // hub holds the database where it was sent, with its data, and the app answers from it.
    const move = async (to: 'dedicated' | 'pool') => {
      const before = await work.textContent();
      await page.getByRole('button', { name: to === 'pool' ? `Move ${appId}'s database into the shared server` : `Move ${appId}'s database to a dedicated server` }).click();
      let shown = '';
      const text = await until(`moved (${to}) and redeployed`, async () => {
        const text = (shown = (await work.textContent()) ?? '');
        return text !== before && ((await work.getAttribute('role')) === 'alert' || /redeployed and uses it/.test(text)) && text;
      }, 400_000).catch((e: Error) => { throw new Error(`${e.message}; the page still shows: ${shown}`); });
      t.match(text, new RegExp(`^Moved: the database is now ${to === 'pool' ? 'in the shared server' : 'on a dedicated server'} .* redeployed and uses it`), text);
      const holding = ((await within(60_000, 'GET /api/pools after the move', api('GET', '/api/pools'))).body as { mode: string; app: string | null; databases: { app?: string }[] }[]).filter((x) => x.databases.some((d) => d.app === appId));
      t.same(holding.map((x) => (x.mode === 'dedicated' ? `dedicated to ${x.app}` : x.mode)), [to === 'pool' ? 'pooled' : `dedicated to ${appId}`], `the database is on ${to === 'pool' ? 'the shared server, and only there' : 'a server of its own'}`);
      await page.locator('wn-databases [data-server] .badge', { hasText: to === 'pool' ? 'shared' : `dedicated to ${appId}` }).first().waitFor();
      await until(`the app answers from its database (${to})`, async () => /connected: yes/.test(await fetch(href).then((x) => x.text()).catch(() => '')), 120_000);
    };
    await move('dedicated');
    await shoot(page, 'databases');
    // And back into the shared server (the page offers it on a dedicated server).
    await move('pool');
    // waitFor, not isVisible: the page re-renders the server list after the move, not at once.
    t.ok(await page.getByRole('button', { name: `Move ${appId}'s database to a dedicated server` }).waitFor({ timeout: 30_000 }).then(() => true, () => false), 'the page offers the move to a dedicated server again');
    await page.goto(`${th.url}/#/plugins`);
    await page.getByRole('heading', { name: /@warren\/docker-host/ }).waitFor();
    await shoot(page, 'plugins');
    await page.goto(`${th.url}/#/events`);
    await page.locator('tbody tr').first().waitFor();
    await shoot(page, 'events');
    await page.getByLabel('Domain').selectOption('app');
    await until('only app events listed', async () => {
      const types = await page.locator('wn-events tbody tr td:nth-child(2)').allTextContents();
      return types.length > 0 && types.every((x) => x.startsWith('app.')) && types;
    }, 15_000);
    t.pass('the event list filters by domain');

    await page.goto(`${th.url}/#/apps`);
    await page.locator('tr[data-app]').first().waitFor();
    await shoot(page, 'apps');
    await page.getByRole('button', { name: /^Remove / }).click();
    await until('the app gone from the list (live)', async () => (await page.locator('tr[data-app]').count()) === 0, 180_000);
    t.same((await api('GET', '/api/apps')).body.apps, [], 'removed on the hub');
  } finally {
    const left = ((await api('GET', '/api/apps')).body.apps ?? []) as { id: string }[];
    for (const app of left) {
      const r = await api('DELETE', `/api/apps/${app.id}?removeData=true`);
      if (r.status === 202) await until(`${app.id} removed`, async () => (await api('GET', `/api/operations/${r.body.operation}`)).body.operation?.state !== 'running' && (await api('GET', '/api/apps')).body.apps.every((a: { id: string }) => a.id !== app.id), 180_000).catch(() => undefined);
    }
  }
  t.same(errors, [], 'no script errors on any page');
});
