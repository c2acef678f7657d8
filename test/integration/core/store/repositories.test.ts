import t from 'tap';
import { forEachEngine } from './engines.js';
import type { EventRecord } from '../../../../core/store/index.js';

const conflict = { code: 'WARREN_ERR_CONFLICT' };
const notFound = { code: 'WARREN_ERR_NOT_FOUND' };

forEachEngine(t, async (t, env) => {
  const store = await env.open();

  t.test('devices: JSON columns, booleans, unique names, update and delete', async (t) => {
    const connection = { kind: 'ssh', host: '10.0.0.2', port: 22, nested: { list: [1, 'two', null, true] } };
    const d = await store.devices.insert({ id: 'nuc', name: 'nuc', connection, labels: { room: 'attic' }, reserve: { memoryBytes: 536870912 }, engine: 'docker', arch: 'amd64' });
    t.same(await store.devices.get('nuc'), d, 'what insert returns is what get reads');
    t.same(d.connection, connection, 'nested JSON survives');
    t.equal(d.cordoned, false);
    t.equal(typeof d.createdAt, 'number');
    t.same(await store.devices.findByName('nuc'), d);
    await t.rejects(store.devices.insert({ name: 'nuc', connection: {} }), conflict, 'names are unique');

    const u = await store.devices.update('nuc', { cordoned: true, state: 'offline', stateReason: 'ssh: timeout', labels: {} });
    t.equal(u.cordoned, true);
    t.equal((await store.devices.get('nuc'))?.cordoned, true, 'a boolean reads back as a boolean');
    t.same(u.labels, {});
    t.same(u.connection, connection, 'columns not in the patch are kept');
    t.ok(u.updatedAt >= d.updatedAt);
    await t.rejects(store.devices.update('ghost', { state: 'x' }), notFound);

    await store.devices.insert({ name: 'pi', connection: {} });
    t.same((await store.devices.list()).map((x) => x.name), ['nuc', 'pi']);
    t.equal(await store.devices.delete('nuc'), true);
    t.equal(await store.devices.delete('nuc'), false);
    t.equal(await store.devices.get('nuc'), undefined);
  });

  t.test('provider instances keep config as an object and filter by plugin', async (t) => {
    const a = await store.providerInstances.insert({ plugin: 'docker', provider: 'host', config: { socket: '/var/run/docker.sock', tls: { verify: true } }, secretRef: 's1' });
    await store.providerInstances.insert({ plugin: 'postgres-pool', provider: 'pool', config: {}, enabled: false, configVersion: 3 });
    t.same(await store.providerInstances.get(a.id), a);
    t.equal(a.enabled, true);
    t.equal(a.configVersion, 1);
    t.same((await store.providerInstances.list({ plugin: 'docker' })).map((p) => p.id), [a.id]);
    t.equal((await store.providerInstances.list()).length, 2);
    const u = await store.providerInstances.update(a.id, { state: 'failed', stateMessage: 'socket missing', enabled: false, config: { socket: '/run/docker.sock' } });
    t.same(u.config, { socket: '/run/docker.sock' });
    t.equal(u.enabled, false);
    t.equal(u.secretRef, 's1');
    t.equal(await store.providerInstances.delete(a.id), true);
  });

  t.test('apps, database servers and grants, with the references between them enforced', async (t) => {
    await store.devices.insert({ id: 'nas', name: 'nas', connection: {} });
    const app = await store.apps.insert({ id: 'nextcloud', catalogId: 'nextcloud', catalogVersion: '29.0.1', project: 'warren-nextcloud', device: 'nas', inputs: { domain: 'cloud.lan', admins: ['ann'] } });
    t.same(await store.apps.get('nextcloud'), app);
    t.equal(app.status, 'pending');
    t.same((await store.apps.list({ device: 'nas' })).map((a) => a.id), ['nextcloud']);
    t.same(await store.apps.list({ status: 'running' }), []);
    const running = await store.apps.update('nextcloud', { status: 'running', secretsRef: 'sec-1' });
    t.equal(running.status, 'running');
    t.same(running.inputs, { domain: 'cloud.lan', admins: ['ann'] });
    await t.rejects(store.apps.insert({ catalogId: 'x', catalogVersion: '1', project: 'x', device: 'nowhere' }), conflict, 'an app on an unknown device is refused');

    const server = await store.dbServers.insert({ device: 'nas', engine: 'postgres', mode: 'pooled', version: '15.4', container: 'warren-pg', adminSecretRef: 'sec-admin' });
    t.same(await store.dbServers.get(server.id), server);
    t.equal(server.app, null);
    const dedicated = await store.dbServers.insert({ device: 'nas', engine: 'mariadb', mode: 'dedicated', app: 'nextcloud' });
    t.same((await store.dbServers.list({ engine: 'postgres' })).map((s) => s.id), [server.id]);
    t.same((await store.dbServers.list({ device: 'nas', mode: 'dedicated' })).map((s) => s.id), [dedicated.id]);
    t.equal((await store.dbServers.update(server.id, { version: '15.5' })).version, '15.5');

    const grant = await store.dbGrants.insert({ app: 'nextcloud', ref: 'main', server: server.id, database: 'w_nextcloud_main', username: 'w_nextcloud_main', secretRef: 'sec-2' });
    t.same(await store.dbGrants.get('nextcloud', 'main'), grant);
    t.same(grant.isolation, {});
    const checked = await store.dbGrants.update('nextcloud', 'main', { isolation: { ok: true, checkedAt: 1700000000000, probes: ['other_db'] } });
    t.same(checked.isolation, { ok: true, checkedAt: 1700000000000, probes: ['other_db'] });
    t.same((await store.dbGrants.list({ server: server.id })).map((g) => g.ref), ['main']);
    await t.rejects(store.dbGrants.insert({ ...grant }), conflict, 'one grant per app and ref');
    await t.rejects(store.dbGrants.update('nextcloud', 'nope', { database: 'x' }), notFound);

    await t.rejects(store.dbServers.delete(server.id), conflict, 'a server with grants stays');
    await t.rejects(store.apps.delete('nextcloud'), conflict, 'an app with grants stays');
    await t.rejects(store.devices.delete('nas'), conflict, 'a device with apps stays');
    t.equal(await store.dbGrants.delete('nextcloud', 'main'), true);
    t.equal(await store.dbServers.delete(server.id), true);
    t.equal(await store.dbServers.delete(dedicated.id), true);
    t.equal(await store.apps.delete('nextcloud'), true);
    t.equal(await store.devices.delete('nas'), true);
  });

  t.test('operations journal steps and list unfinished ones oldest first', async (t) => {
    const op = await store.operations.insert({ kind: 'install', target: 'app:gitea', steps: [{ name: 'pull', state: 'pending' }, { name: 'create-db', state: 'pending' }] });
    t.equal(op.state, 'pending');
    t.equal(op.currentStep, null);
    t.same(await store.operations.get(op.id), op);
    const progressed = await store.operations.update(op.id, { state: 'running', currentStep: 1, steps: [{ name: 'pull', state: 'done' }, { name: 'create-db', state: 'running', data: { database: 'w_gitea' } }] });
    t.equal(progressed.currentStep, 1);
    t.same(progressed.steps[1], { name: 'create-db', state: 'running', data: { database: 'w_gitea' } });
    const other = await store.operations.insert({ kind: 'remove', target: 'app:old', state: 'failed', error: 'engine gone' });
    t.same((await store.operations.list({ state: ['pending', 'running'] })).map((o) => o.id), [op.id]);
    t.same((await store.operations.list({ state: 'failed' }))[0]?.error, 'engine gone');
    t.same((await store.operations.list({ target: 'app:gitea' })).map((o) => o.id), [op.id]);
    t.equal((await store.operations.list({ limit: 1 })).length, 1);
    t.equal(await store.operations.delete(other.id), true);
  });

  t.test('users, API tokens and sessions; deleting a user takes their credentials', async (t) => {
    const ann = await store.users.insert({ username: 'ann', passwordHash: 'scrypt$abc' });
    t.same(await store.users.get(ann.id), ann);
    t.same(await store.users.findByUsername('ann'), ann);
    await t.rejects(store.users.insert({ username: 'ann', passwordHash: 'x' }), conflict);
    t.equal((await store.users.update(ann.id, { passwordHash: 'scrypt$def' })).passwordHash, 'scrypt$def');
    t.same((await store.users.list()).map((u) => u.username), ['ann']);

    const token = await store.apiTokens.insert({ name: 'home-assistant', userId: ann.id, tokenHash: 'h1', prefix: 'wrn_ab12' });
    t.equal(token.lastUsedAt, null);
    t.same(await store.apiTokens.findByHash('h1'), token);
    await t.rejects(store.apiTokens.insert({ name: 'dup', userId: ann.id, tokenHash: 'h1', prefix: 'p' }), conflict);
    await store.apiTokens.touch(token.id, 1_750_000_000_123);
    t.equal((await store.apiTokens.get(token.id))?.lastUsedAt, 1_750_000_000_123);
    t.same((await store.apiTokens.list({ userId: ann.id })).map((x) => x.name), ['home-assistant']);
    await t.rejects(store.apiTokens.insert({ name: 'orphan', userId: 'nobody', tokenHash: 'h2', prefix: 'p' }), conflict);

    const now = 1_800_000_000_000;
    await store.sessions.insert({ idHash: 's-live', userId: ann.id, expiresAt: now + 60_000 });
    await store.sessions.insert({ idHash: 's-old', userId: ann.id, expiresAt: now - 1 });
    t.same(await store.sessions.get('s-live', now), { idHash: 's-live', userId: ann.id, expiresAt: now + 60_000 });
    t.equal(await store.sessions.get('s-old', now), undefined, 'an expired session is not returned');
    t.equal(await store.sessions.deleteExpired(now), 1);
    t.equal(await store.sessions.delete('s-live'), true);
    await store.sessions.insert({ idHash: 's-2', userId: ann.id, expiresAt: now + 1 });

    t.equal(await store.users.delete(ann.id), true);
    t.equal(await store.apiTokens.findByHash('h1'), undefined, 'tokens went with the user');
    t.equal(await store.sessions.get('s-2', now), undefined, 'sessions went with the user');
  });

  t.test('a setup token is consumed once, and not after it expires', async (t) => {
    const now = 1_800_000_000_000;
    await store.setupTokens.insert({ tokenHash: 'st1', expiresAt: now + 1000 });
    await store.setupTokens.insert({ tokenHash: 'st2', expiresAt: now - 1 });
    const results = await Promise.all([store.setupTokens.consume('st1', now), store.setupTokens.consume('st1', now)]);
    t.same(results.sort(), [false, true], 'two racing uses: exactly one wins');
    t.same(await store.setupTokens.get('st1'), { tokenHash: 'st1', expiresAt: now + 1000, usedAt: now });
    t.equal(await store.setupTokens.consume('st2', now), false, 'expired');
    t.equal(await store.setupTokens.consume('missing', now), false);
    t.equal(await store.setupTokens.delete('st2'), true);
  });

  t.test('kv: JSON values by namespace, upserted', async (t) => {
    t.equal(await store.kv.get('p1', 'cursor'), undefined);
    await store.kv.set('p1', 'cursor', { page: 1, seen: ['a'] });
    await store.kv.set('p1', 'cursor', { page: 2, seen: ['a', 'b'] });
    await store.kv.set('p1', 'flag', false);
    await store.kv.set('p1', 'nothing', null);
    await store.kv.set('p2', 'cursor', 'other namespace');
    t.same(await store.kv.get('p1', 'cursor'), { page: 2, seen: ['a', 'b'] });
    t.equal(await store.kv.get('p1', 'flag'), false);
    t.equal(await store.kv.get('p1', 'nothing'), null, 'a stored null differs from a missing key');
    t.same(await store.kv.keys('p1'), ['cursor', 'flag', 'nothing']);
    t.equal(await store.kv.delete('p1', 'flag'), true);
    t.equal(await store.kv.deleteNamespace('p1'), 2);
    t.same(await store.kv.keys('p1'), []);
    t.equal(await store.kv.get('p2', 'cursor'), 'other namespace');
  });

  t.test('events are bounded to the newest N and can be read after an id', async (t) => {
    const bounded = await env.open({ eventsToKeep: 5, migrate: false });
    const appended: EventRecord[] = [];
    for (let i = 0; i < 12; i++) appended.push(await bounded.events.append({ domain: i % 2 ? 'apps' : 'devices', type: 'changed', payload: { i, nested: { ok: true } }, at: 1_000 + i }));
    t.ok(appended.every((e, i) => i === 0 || e.id > appended[i - 1]!.id), 'ids increase');
    const kept = await bounded.events.list({ limit: 100 });
    t.same(kept.map((e) => e.payload.i), [7, 8, 9, 10, 11], 'only the newest 5 are kept, oldest first');
    t.same(kept[0], appended[7]);
    t.same((await bounded.events.list({ after: appended[9]!.id })).map((e) => e.payload.i), [10, 11]);
    t.same((await bounded.events.list({ limit: 2 })).map((e) => e.payload.i), [10, 11], 'without after: the newest');
    t.same((await bounded.events.list({ domain: 'apps' })).map((e) => e.payload.i), [7, 9, 11]);
    const [{ n }] = await bounded.knex('events').count({ n: '*' });
    t.equal(Number(n), 5, 'the table itself holds 5 rows');
  });

  t.test('timestamps are numbers beyond 2^32 on both engines', async (t) => {
    const far = 4_102_444_800_000; // 2100-01-01
    const user = await store.users.insert({ username: 'far', passwordHash: 'x' });
    await store.sessions.insert({ idHash: 'far', userId: user.id, expiresAt: far });
    t.equal((await store.sessions.get('far', far - 1))?.expiresAt, far);
  });

  t.test('a transaction commits together or not at all', async (t) => {
    await store.transaction(async (tx) => {
      await tx.devices.insert({ id: 'tx1', name: 'tx1', connection: {} });
      await tx.kv.set('tx', 'k', 1);
    });
    t.ok(await store.devices.get('tx1'));
    await t.rejects(
      store.transaction(async (tx) => {
        await tx.devices.insert({ id: 'tx2', name: 'tx2', connection: {} });
        await tx.secrets.put('rolled back');
        await tx.devices.insert({ id: 'tx3', name: 'tx1', connection: {} });
      }),
      conflict,
    );
    t.equal(await store.devices.get('tx2'), undefined, 'the first insert was rolled back');
    const [{ n }] = await store.knex('secrets').count({ n: '*' });
    t.equal(Number(n), 0, 'and so was the secret');
  });
});
