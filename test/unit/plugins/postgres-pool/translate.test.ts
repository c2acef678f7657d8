import t from 'tap';
import { connectionUrl, deprovisionStatements, firstError, isDatabaseRefusal, LIST_QUERY, parseBatch, parseJsonLine, parseSelfTest, provisionScript, quoteIdent, quoteLiteral, sessionScript, shortVersion, SPARE_DATABASE, warmScript } from '../../../../plugins/postgres-pool/translate.js';

t.test('quoting', async (t) => {
  t.equal(quoteIdent('wn_a_main'), '"wn_a_main"');
  t.equal(quoteIdent('a"; DROP DATABASE x; --'), '"a""; DROP DATABASE x; --"');
  t.equal(quoteLiteral("it's \\ fine"), "'it''s \\ fine'");
  t.throws(() => quoteIdent('a\0b'));
  t.throws(() => quoteIdent(''));
});

t.test('one provision script: role created or altered, database created only when missing, closed to PUBLIC', async (t) => {
  const s = provisionScript({ database: 'wn_a_main', user: 'wn_a_main', password: "p'w", connectionLimit: 20 });
  t.match(s, /\\if :wn_role_exists\nALTER ROLE "wn_a_main" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE .*CONNECTION LIMIT 20 PASSWORD 'p''w';\n\\else\nCREATE ROLE "wn_a_main"/);
  t.match(s, /SELECT 'CREATE DATABASE "wn_a_main" OWNER "wn_a_main" ENCODING ''UTF8''' \|\| CASE WHEN .*STRATEGY FILE_COPY.* WHERE NOT EXISTS .* \\gexec/);
  // The spare, when there is one, is renamed (and granted) in the same transaction as the role.
  t.match(s, /BEGIN;\n[^]*\\if :wn_use_spare\nALTER DATABASE "wn__spare" RENAME TO "wn_a_main";\nALTER DATABASE "wn_a_main" ALLOW_CONNECTIONS true;\nALTER DATABASE "wn_a_main" OWNER TO "wn_a_main";[^]*COMMIT;\n\\else/);
  t.match(s, /REVOKE ALL ON DATABASE "wn_a_main" FROM PUBLIC;/);
  t.match(s, /SET password_encryption TO 'scram-sha-256';/);
});

t.test('the spare database is made like an app database, closed to PUBLIC, and never listed', async (t) => {
  const s = warmScript();
  t.match(s, /SELECT 'CREATE DATABASE "wn__spare" ENCODING ''UTF8''' \|\| CASE .* WHERE NOT EXISTS \(SELECT 1 FROM pg_database WHERE datname = 'wn__spare'\) \\gexec/);
  t.match(s, /REVOKE ALL ON DATABASE "wn__spare" FROM PUBLIC;\nALTER DATABASE "wn__spare" ALLOW_CONNECTIONS false;/);
  t.match(LIST_QUERY, /NOT IN \('postgres', 'wn__spare'\)/);
  t.equal(SPARE_DATABASE, 'wn__spare');
});

t.test('batch output is split by its markers', async (t) => {
  t.same(parseBatch('x\n@@wn-check 0\nFATAL: no\nmore\n@@wn-check 2\n'), [{ exitCode: 0, output: 'x' }, { exitCode: 2, output: 'FATAL: no\nmore' }]);
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
  t.equal(firstError('psql:<stdin>:2: ERROR:  extension "vector" is not available\nDETAIL:  Could not open\nHINT:  install it'), 'ERROR:  extension "vector" is not available');
  t.equal(connectionUrl({ user: 'u@x', password: 'p/w:', host: 'h', port: 5432, database: 'd b' }), 'postgres://u%40x:p%2Fw%3A@h:5432/d%20b');
});

t.test('the self-test: checks in the own database share one session, a refused login fails them all', async (t) => {
  const s = sessionScript(['SELECT current_user', 'CREATE ROLE "a""b"']);
  t.match(s, /^SELECT current_user;\n\\if :ERROR\n\\echo 'ERROR: ' :LAST_ERROR_MESSAGE\n\\echo '@@wn-check 1'\n\\else\n\\echo '@@wn-check 0'\n\\endif\nCREATE ROLE "a""b";\n/);
  t.same(parseSelfTest('me\n@@wn-check 0\nERROR:  permission denied to create role\n@@wn-check 1\n@@wn-session 0\n\n@@wn-session-end\nFATAL: no\n@@wn-check 2\n', 2), [
    { exitCode: 0, output: 'me' },
    { exitCode: 1, output: 'ERROR:  permission denied to create role' },
    { exitCode: 2, output: 'FATAL: no' },
  ]);
  t.same(parseSelfTest('\n@@wn-session 2\npsql: error: password authentication failed\n@@wn-session-end\n', 2), [
    { exitCode: 2, output: 'psql: error: password authentication failed' },
    { exitCode: 2, output: 'psql: error: password authentication failed' },
  ]);
  t.same(parseSelfTest('garbage', 2), [], 'unreadable output gives no answers (the caller refuses it)');
});
