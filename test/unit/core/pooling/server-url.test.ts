// The URL an existing server is adopted by: engine from the scheme, default ports, encoded parts, and
// clear refusals (with the path) for what cannot be used.
import t from 'tap';
import { parseServerUrl } from '../../../../core/pooling/service.js';

t.test('postgres and mysql URLs are split into their parts', async (t) => {
  t.same(parseServerUrl('postgres://admin:s%40cret@10.0.0.5:5433/maint'), { engine: 'postgres', host: '10.0.0.5', port: 5433, user: 'admin', password: 's@cret', database: 'maint' });
  t.same(parseServerUrl('postgresql://admin@db.lan/postgres'), { engine: 'postgres', host: 'db.lan', port: 5432, user: 'admin', password: '', database: 'postgres' });
  t.same(parseServerUrl('mysql://root:pw@[::1]'), { engine: 'mariadb', host: '::1', port: 3306, user: 'root', password: 'pw' });
  t.equal(parseServerUrl('mariadb://root:pw@nas:3307').port, 3307);
});

t.test('what cannot be adopted is refused with the path and an example', async (t) => {
  for (const [url, why] of [['not a url', /does not parse/], ['ftp://a@b', /unknown scheme ftp:/], ['postgres://db.lan/x', /no admin user/]] as const) {
    t.throws(() => parseServerUrl(url), { code: 'WARREN_ERR_INVALID_INPUT', message: why, details: [{ path: '/url' }], hint: /postgres:\/\/admin:secret@/ });
  }
  // The password is not echoed back in the error.
  let message = '';
  try {
    parseServerUrl('redis://u:topsecret@h');
  } catch (e) {
    message = JSON.stringify(e) + (e as Error).message;
  }
  t.match(message, /unknown scheme redis:/);
  t.notMatch(message, /topsecret/);
});
