// The hub for real: HTTP, auth on every route, sessions and tokens, plugins through the API,
// socket.io auth, and secrets that never reach the database file or the log in clear.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { routeTable, PUBLIC_ROUTES, createApp } from '../../../../core/api/server.js';
import { adminToken, startTestHub } from '../../../helpers/hub.js';

const fixtures = join(import.meta.dirname, '../../../fixtures/plugins');
const PASSWORD = 'correct horse battery';

t.test('every route but health and login answers 401 without credentials', async (t) => {
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD } });
  const { api } = createApp(th.hub);
  const routes = routeTable(api);
  t.ok(routes.length >= 15, `the route table has ${routes.length} routes`);
  for (const r of routes) {
    const path = `/api${r.path.replace(/:(\w+)/g, 'x')}`;
    const res = await th.call(r.method, path, { body: r.method === 'GET' ? undefined : {} });
    const refusedByAuth = res.status === 401 && /log in first/.test(res.body?.error?.message ?? '');
    if (PUBLIC_ROUTES.has(`${r.method} ${r.path}`)) t.notOk(refusedByAuth, `${r.method} ${r.path} is public`);
    else t.ok(refusedByAuth, `${r.method} ${r.path} needs auth`);
  }
  t.equal((await th.call('GET', '/api/no/such/route')).status, 401, 'unknown routes do not reveal themselves');
  t.equal((await th.call('GET', '/metrics')).status, 401, '/metrics needs auth too');
  const health = await th.call('GET', '/api/health');
  t.equal(health.status, 200);
  t.equal(health.body.status, 'ok');
});

t.test('login sets an HttpOnly SameSite cookie; tokens are bearer credentials; logout ends the session', async (t) => {
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD } });
  const bad = await th.call('POST', '/api/auth/login', { body: { username: 'admin', password: 'wrong password' } });
  t.equal(bad.status, 401);
  t.equal(bad.body.error.code, 'WARREN_ERR_UNAUTHORIZED');
  const login = await th.call('POST', '/api/auth/login', { body: { username: 'admin', password: PASSWORD } });
  t.equal(login.status, 200);
  const setCookie = login.headers.get('set-cookie')!;
  t.match(setCookie, /warren_session=/);
  t.match(setCookie, /HttpOnly/);
  t.match(setCookie, /SameSite=Strict/);
  const cookie = setCookie.split(';')[0];
  t.equal((await th.call('GET', '/api/auth/me', { cookie })).body.user.username, 'admin');

  const created = await th.call('POST', '/api/tokens', { cookie, body: { name: 'grafana' } });
  t.equal(created.status, 201);
  t.match(created.body.token, /^wrn_/);
  const list = await th.call('GET', '/api/tokens', { token: created.body.token });
  t.equal(list.status, 200);
  t.same(list.body.tokens.map((x: { name: string }) => x.name), ['grafana']);
  t.notOk(JSON.stringify(list.body).includes(created.body.token), 'a token is never shown again');
  const metrics = await fetch(`${th.url}/metrics`, { headers: { authorization: `Bearer ${created.body.token}` } });
  t.equal(metrics.status, 200);
  t.match(await metrics.text(), /warren_api_request_duration_seconds_bucket/);

  await th.call('POST', '/api/auth/logout', { cookie });
  t.equal((await th.call('GET', '/api/auth/me', { cookie })).status, 401, 'the session is gone after logout');
  t.equal((await th.call('DELETE', `/api/tokens/${created.body.id}`, { token: created.body.token })).status, 200);
  t.equal((await th.call('GET', '/api/tokens', { token: created.body.token })).status, 401, 'a revoked token no longer works');
});

t.test('first start without an admin password logs a one-time setup link', async (t) => {
  const th = await startTestHub(t);
  const line = th.logs.find((l) => l.includes('/#/setup?token='));
  t.ok(line, 'the setup link is in the log');
  const token = /token=([\w-]+)/.exec(line!)![1];
  t.same((await th.call('GET', '/api/auth/status')).body, { setupRequired: true });
  const short = await th.call('POST', '/api/auth/setup', { body: { token, username: 'me', password: 'short' } });
  t.equal(short.status, 400);
  t.equal(short.body.error.details[0].path, '/password');
  const ok = await th.call('POST', '/api/auth/setup', { body: { token, username: 'me', password: PASSWORD } });
  t.equal(ok.status, 201);
  t.match(ok.headers.get('set-cookie'), /HttpOnly/);
  const again = await th.call('POST', '/api/auth/setup', { body: { token, username: 'me2', password: PASSWORD } });
  t.equal(again.status, 401, 'the link works once');
  t.same((await th.call('GET', '/api/auth/status')).body, { setupRequired: false });
});

t.test('bad input gets a clear error with its path', async (t) => {
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD } });
  const malformed = await th.call('POST', '/api/auth/login', { body: '{"username": ' });
  t.equal(malformed.status, 400);
  t.equal(malformed.body.error.code, 'WARREN_ERR_INVALID_INPUT');
  const token = await adminToken(th, PASSWORD);
  const noName = await th.call('POST', '/api/tokens', { token, body: {} });
  t.equal(noName.status, 400);
  t.equal(noName.body.error.details[0].path, '/name');
  const unknown = await th.call('GET', '/api/plugins/instances/nope', { token });
  t.equal(unknown.status, 404);
  t.match(unknown.body.error.hint, /lists them/);
});

t.test('plugins through the API: built-ins listed, fixtures reported, secrets never in the database file or the log', async (t) => {
  const th = await startTestHub(t, {
    env: { WARREN_ADMIN_PASSWORD: PASSWORD, WARREN_PLUGIN_PATHS: ['works', 'wrong-api', 'bad-config'].map((n) => join(fixtures, n)).join(':') },
  });
  const token = await adminToken(th, PASSWORD);
  const res = await th.call('GET', '/api/plugins', { token });
  t.equal(res.status, 200);
  const byName = Object.fromEntries(res.body.plugins.map((p: { name: string }) => [p.name, p]));
  t.equal(byName['@warren/docker-host']?.builtIn, true, 'the built-in docker-host plugin is listed');
  t.equal(byName['warren-fixture-works'].state, 'loaded');
  t.equal(byName['warren-fixture-wrong-api'].state, 'refused');
  t.equal(byName['warren-fixture-wrong-api'].error.code, 'WARREN_ERR_PLUGIN_API_MISMATCH');

  const secret = 'tok-SECRET-4242-unguessable';
  const created = await th.call('POST', '/api/plugins/instances', {
    token,
    body: { id: 'probe1', plugin: 'warren-fixture-works', provider: 'probe', config: { url: 'http://probe.lan', token: secret } },
  });
  t.equal(created.status, 201);
  t.equal(created.body.instance.state, 'ready');
  t.notOk(JSON.stringify(created.body).includes(secret), 'the secret is not echoed');
  t.same(created.body.instance.secretsSet, ['/token']);

  const invalid = await th.call('POST', '/api/plugins/instances', {
    token,
    body: { id: 'bad1', plugin: 'warren-fixture-bad-config', provider: 'probe', config: { host: 'nas', port: 'x' } },
  });
  t.equal(invalid.status, 400);
  t.equal(invalid.body.error.code, 'WARREN_ERR_PLUGIN_CONFIG');
  t.same(invalid.body.error.details.map((d: { path: string }) => d.path), ['/port']);

  const tested = await th.call('POST', '/api/plugins/test', { token, body: { plugin: 'warren-fixture-works', provider: 'probe', config: { url: 'http://nas.lan' } } });
  t.same(tested.body, { ok: true, message: 'reached http://nas.lan' });

  const list = await th.call('GET', '/api/plugins', { token });
  t.notOk(JSON.stringify(list.body).includes(secret), 'GET /api/plugins never shows the secret');

  // Search the raw database files and the whole log for the secret.
  await th.hub.store.knex.raw('PRAGMA wal_checkpoint(FULL)');
  const files = readdirSync(th.dataDir).filter((f) => f.startsWith('warren.db'));
  t.ok(files.includes('warren.db'));
  for (const f of files) {
    const bytes = readFileSync(join(th.dataDir, f));
    t.equal(bytes.indexOf(Buffer.from(secret)), -1, `${f} holds no clear secret`);
    t.ok(bytes.indexOf(Buffer.from('http://probe.lan')) >= 0 || f !== 'warren.db', `${f} does hold the non-secret config (the search works)`);
  }
  t.notOk(th.logs.join('').includes(secret), 'the log holds no secret');
  const events = await th.call('GET', '/api/events', { token });
  t.ok(events.body.events.some((e: { type: string }) => e.type === 'provider.state'), 'state changes are in the event log');
  t.notOk(JSON.stringify(events.body).includes(secret), 'events hold no secret');
});

t.test('socket.io needs auth; a subscription answers a snapshot with a revision', async (t) => {
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD } });
  const anon = connect(th.url, { transports: ['websocket'], reconnection: false });
  const refused = await new Promise<string>((resolve) => anon.on('connect_error', (e) => resolve(e.message)));
  anon.close();
  t.match(refused, /WARREN_ERR_UNAUTHORIZED/);

  const token = await adminToken(th, PASSWORD);
  const sock = connect(th.url, { transports: ['websocket'], reconnection: false, auth: { token } });
  t.teardown(() => sock.close());
  await new Promise<void>((resolve, reject) => { sock.on('connect', () => resolve()); sock.on('connect_error', reject); });
  const reply = await sock.timeout(5000).emitWithAck('subscribe', { room: 'events' });
  t.equal(reply.ok, true);
  t.equal(typeof reply.data.revision, 'number');
  t.ok(Array.isArray(reply.data.snapshot.events));
  const unknown = await sock.timeout(5000).emitWithAck('subscribe', { room: 'nope' });
  t.same(unknown.ok, false);
  t.equal(unknown.error.code, 'WARREN_ERR_NOT_FOUND');
  const got = new Promise<{ type: string }>((resolve) => sock.on('event', (e) => resolve(e)));
  th.hub.bus.emit('device.added', { device: 'nas', name: 'NAS' });
  t.equal((await got).type, 'device.added');
});

t.test('WARREN_DATABASE_URL keeps the hub\'s data in Postgres', async (t) => {
  const { needServices } = await import('../../../helpers/services.js');
  const env = needServices(t, 'postgres');
  if (!env) return;
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: env.postgres!.url });
  await admin.connect();
  const db = `warren_hub_test_${process.pid}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${db}`);
  t.teardown(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });
  const url = new URL(env.postgres!.url);
  url.pathname = `/${db}`;
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD, WARREN_DATABASE_URL: url.toString() } });
  t.equal((await th.call('GET', '/api/health')).body.store, 'postgres');
  const token = await adminToken(th, PASSWORD);
  t.equal((await th.call('GET', '/api/plugins', { token })).status, 200);
  const users = await admin.query(`SELECT 1`);
  t.equal(users.rowCount, 1);
  const check = new pg.Client({ connectionString: url.toString() });
  await check.connect();
  const rows = await check.query('SELECT username FROM users');
  await check.end();
  t.same(rows.rows.map((r: { username: string }) => r.username), ['admin'], 'the account lives in Postgres');
});
