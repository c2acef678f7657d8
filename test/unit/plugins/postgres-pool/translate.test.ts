import t from 'tap';
import { connectionUrl, deprovisionStatements, firstError, isDatabaseRefusal, parseJsonLine, provisionStatements, quoteIdent, quoteLiteral, shortVersion } from '../../../../plugins/postgres-pool/translate.js';

t.test('quoting', async (t) => {
  t.equal(quoteIdent('wn_a_main'), '"wn_a_main"');
  t.equal(quoteIdent('a"; DROP DATABASE x; --'), '"a""; DROP DATABASE x; --"');
  t.equal(quoteLiteral("it's \\ fine"), "'it''s \\ fine'");
  t.throws(() => quoteIdent('a\0b'));
  t.throws(() => quoteIdent(''));
});

t.test('a new role is locked down and the database closed to PUBLIC', async (t) => {
  const s = provisionStatements({ database: 'wn_a_main', user: 'wn_a_main', password: "p'w", connectionLimit: 20 }, { role: false, database: false });
  t.match(s[0], /^CREATE ROLE "wn_a_main" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE .*CONNECTION LIMIT 20 PASSWORD 'p''w'$/);
  t.equal(s[1], 'CREATE DATABASE "wn_a_main" OWNER "wn_a_main" ENCODING \'UTF8\'');
  t.ok(s.includes('REVOKE ALL ON DATABASE "wn_a_main" FROM PUBLIC'));
  const again = provisionStatements({ database: 'd', user: 'u', password: 'x' }, { role: true, database: true });
  t.match(again[0], /^ALTER ROLE "u" WITH .*PASSWORD 'x'$/, 'a retry converges on the password given');
  t.notOk(again.some((x) => x.startsWith('CREATE')));
});

t.test('deprovision drops only what exists', async (t) => {
  t.same(deprovisionStatements('d', 'u', { role: false, database: false }), []);
  t.match(deprovisionStatements('d', 'u', { role: true, database: true }).join('\n'), /pg_terminate_backend[\s\S]*DROP DATABASE IF EXISTS "d"[\s\S]*DROP ROLE IF EXISTS "u"/);
});

t.test('output parsing', async (t) => {
  t.same(parseJsonLine('WARNING:  something\n{"a":1}\n'), { a: 1 });
  t.throws(() => parseJsonLine('psql: error: connection refused'));
  t.equal(shortVersion('16.4 (Debian 16.4-1.pgdg120+2)'), '16.4');
  t.ok(isDatabaseRefusal('psql: error: connection to server at "127.0.0.1", port 5432 failed: FATAL:  permission denied for database "wn_b_main"'));
  t.equal(firstError("ERROR:  role \"x\" already exists\nLINE 1: CREATE ROLE x PASSWORD 'secret'"), 'ERROR:  role "x" already exists', 'the statement (and its password) is not repeated');
  t.equal(connectionUrl({ user: 'u@x', password: 'p/w:', host: 'h', port: 5432, database: 'd b' }), 'postgres://u%40x:p%2Fw%3A@h:5432/d%20b');
});
