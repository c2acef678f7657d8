import t from 'tap';
import { deprovisionStatements, grantPattern, parseJsonLine, provisionStatements, quoteIdent, quoteLiteral, rowCountsQuery, shortVersion, wildcardSibling } from '../../../../plugins/mariadb-pool/translate.js';

t.test('quoting', async (t) => {
  t.equal(quoteIdent('a`b'), '`a``b`');
  t.equal(quoteLiteral("a'b\\c\n\0"), "'a\\'b\\\\c\\n\\0'");
  t.throws(() => quoteIdent('a\0'));
});

t.test('grants name exactly one database: _ and % are escaped', async (t) => {
  t.equal(grantPattern('wn_a_main'), '`wn\\_a\\_main`');
  t.equal(grantPattern('50%'), '`50\\%`');
  t.equal(wildcardSibling('wn_a_main'), 'wnxa_main');
});

t.test('provision: own database only, connection limit, converging password', async (t) => {
  const s = provisionStatements({ database: 'wn_a_main', user: 'wn_a_main', password: 'pw', connectionLimit: 20 });
  t.match(s.join('\n'), /CREATE DATABASE IF NOT EXISTS `wn_a_main`/);
  t.match(s.join('\n'), /CREATE USER IF NOT EXISTS 'wn_a_main'@'%' IDENTIFIED BY 'pw' WITH MAX_USER_CONNECTIONS 20/);
  t.match(s.join('\n'), /ALTER USER 'wn_a_main'@'%' IDENTIFIED BY 'pw'/);
  t.match(s.join('\n'), /GRANT ALL PRIVILEGES ON `wn\\_a\\_main`\.\* TO 'wn_a_main'@'%'$/);
  t.notMatch(s.join('\n'), /\*\.\*/, 'never global privileges');
});

t.test('deprovision and parsing', async (t) => {
  t.same(deprovisionStatements('d', 'u', { database: 0, user: 0, sessions: null }), []);
  t.same(deprovisionStatements('d', 'u', { database: 1, user: 1, sessions: [7] }), ["DROP USER IF EXISTS 'u'@'%'", 'KILL CONNECTION 7', 'DROP DATABASE IF EXISTS `d`']);
  t.equal(shortVersion('10.11.6-MariaDB-0+deb12u1'), '10.11.6');
  t.same(parseJsonLine('[1, 2]\n'), [1, 2]);
  t.equal(rowCountsQuery('d', []), "SELECT '{}'");
  t.match(rowCountsQuery('d', ['t`x']), /SELECT COUNT\(\*\) FROM `d`\.`t``x`/);
});
