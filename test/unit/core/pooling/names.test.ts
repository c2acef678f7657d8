import fc from 'fast-check';
import t from 'tap';
import { connectionBudget, dedicatedProject, dedicatedReason, poolName, poolNames, releaseFor, sanitise, withTag } from '../../../../core/pooling/names.js';

t.test('plain ids give readable names', async (t) => {
  t.equal(poolName('nextcloud', 'main', 63), 'wn_nextcloud_main');
  t.equal(poolName('home-assistant', 'main', 63), 'wn_home_assistant_main');
  t.same(poolNames('gitea', 'main', { database: 64, user: 32 }), { database: 'wn_gitea_main', user: 'wn_gitea_main' });
});

t.test('ids that sanitise alike never share a name', async (t) => {
  const ids = ['a-b', 'a_b', 'a"b', 'A-B', 'a--b', 'a b', 'a;b'];
  const names = ids.map((id) => poolName(id, 'main', 63));
  t.equal(new Set(names).size, ids.length, names.join(' '));
  t.not(poolName('a-b', 'c', 63), poolName('a', 'b_c', 63), 'the app/ref boundary is unambiguous');
});

t.test('any id gives a name of [a-z0-9_] within the limit, stable across calls', async () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', minLength: 0, maxLength: 120 }), fc.constantFrom('main', 'cache', 'x"; DROP'), fc.constantFrom(16, 32, 63, 64), (app, ref, max) => {
      const n = poolName(app, ref, max);
      return /^wn_[a-z0-9_]*[a-z0-9]$/.test(n) && n.length <= max && n === poolName(app, ref, max);
    }),
  );
});

t.test('long ids are truncated with a hash so that prefixes stay distinct', async (t) => {
  const long = 'x'.repeat(80);
  const a = poolName(long + 'a', 'main', 32);
  const b = poolName(long + 'b', 'main', 32);
  t.equal(a.length, 32);
  t.not(a, b);
  t.equal(sanitise('Ünïcødé ☃ app'), 'unic_de_app');
});

t.test('dedicated projects are compose project names', async (t) => {
  t.equal(dedicatedProject('gitea', 'main'), 'warren-db-gitea-main');
  t.match(dedicatedProject('"; rm -rf / ' + 'y'.repeat(90), 'main'), /^[a-z0-9][a-z0-9-]{0,59}$/);
});

t.test('what the pool cannot give goes dedicated, with the reason', async (t) => {
  const pool = { version: '15.8', extensionsAvailable: ['pg_trgm', 'hstore'] };
  t.equal(dedicatedReason({ ref: 'main', engine: 'postgres', extensions: ['pg_trgm'] }, pool), undefined);
  t.match(dedicatedReason({ ref: 'main', engine: 'postgres', extensions: ['vector'] }, pool), /vector/);
  t.match(dedicatedReason({ ref: 'main', engine: 'postgres', versions: '>=16' }, pool), /needs postgres >=16; the shared server runs 15.8/);
  t.equal(dedicatedReason({ ref: 'main', engine: 'postgres', versions: '>=14 <16' }, pool), undefined);
  t.match(dedicatedReason({ ref: 'main', engine: 'postgres', dedicated: true }, pool), /its own/);
});

t.test('release tags and image tags', async (t) => {
  t.equal(releaseFor(['17', '16', '15'], '>=15 <17'), '16');
  t.equal(releaseFor(['11.4', '10.11', '10.6'], '~10.6'), '10.6');
  t.equal(releaseFor(['17'], '<10'), undefined);
  t.equal(withTag('postgres:16', '15'), 'postgres:15');
  t.equal(withTag('registry.lan:5000/db/postgres', '15'), 'registry.lan:5000/db/postgres:15');
});

t.test('connection budget refuses to overpack, saying why', async (t) => {
  const full = connectionBudget([{ connectionLimit: 20 }, { connectionLimit: 20 }, {}], 20, 5, 80, 20);
  t.notOk(full.ok);
  t.match(full.message, /3 app database\(s\) hold 60 connections, this one asks for 20 and 5 stay reserved: 85 of max_connections 80/);
  t.ok(connectionBudget([{ connectionLimit: 20 }], 20, 5, 100, 20).ok);
});
