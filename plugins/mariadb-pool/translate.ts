// Pure mapping between Warren's requests and MariaDB: quoting, grant patterns, the statements a provision
// needs, and reading the client's output. Every name goes through quoteIdent (or grantPattern) and every
// value through quoteLiteral.
import { parseJsonLine as parseJson } from '../../core/providers/database-pool-kit.js';

export { parseBatch, shortVersion } from '../../core/providers/database-pool-kit.js';

/** The one JSON value mariadb prints on its own line. */
export const parseJsonLine = <T>(output: string): T => parseJson<T>(output, 'mariadb');

/** `` `name` `` with embedded backticks doubled. NUL is refused; MariaDB cannot store it in a name. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error(`not a valid MariaDB identifier: ${JSON.stringify(name)}`);
  return '`' + name.replaceAll('`', '``') + '`';
}

const LITERAL_ESCAPES: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z' };

/** A string literal under a sql_mode without NO_BACKSLASH_ESCAPES (which {@link SESSION_SETTINGS} ensures). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/[\\'\0\n\r\x1a]/g, (c) => LITERAL_ESCAPES[c]!)}'`;
}

/**
 * The database part of a GRANT. There, `_` and `%` are wildcards: granting on `wn_a_main` unescaped would
 * also let the user create and use `wnXaXmain`. Escaped, the grant matches exactly one database.
 */
export function grantPattern(database: string): string {
  return quoteIdent(database.replace(/[\\_%]/g, (c) => `\\${c}`));
}

export const account = (user: string): string => `${quoteLiteral(user)}@'%'`;

/** Known session state for every admin command: the quoting above depends on backslash escapes. */
export const SESSION_SETTINGS = "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'";

export function provisionStatements(req: { database: string; user: string; password: string; connectionLimit?: number }): string[] {
  const limit = `WITH MAX_USER_CONNECTIONS ${Math.max(0, Math.trunc(req.connectionLimit ?? 0))}`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${quoteIdent(req.database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    `CREATE USER IF NOT EXISTS ${account(req.user)} IDENTIFIED BY ${quoteLiteral(req.password)} ${limit}`,
    // A retried provision converges on the password and limit given now.
    `ALTER USER ${account(req.user)} IDENTIFIED BY ${quoteLiteral(req.password)} ${limit}`,
    `GRANT ALL PRIVILEGES ON ${grantPattern(req.database)}.* TO ${account(req.user)}`,
  ];
}

export const stateQuery = (database: string, user: string): string =>
  `SELECT JSON_OBJECT('database', EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name = ${quoteLiteral(database)}), ` +
  `'user', EXISTS (SELECT 1 FROM mysql.user WHERE User = ${quoteLiteral(user)} AND Host = '%'), ` +
  `'sessions', (SELECT JSON_ARRAYAGG(id) FROM information_schema.processlist WHERE user = ${quoteLiteral(user)}))`;

export interface ExistingState {
  database: boolean | 0 | 1;
  user: boolean | 0 | 1;
  sessions: number[] | null;
}

export function deprovisionStatements(database: string, user: string, state: ExistingState): string[] {
  const out: string[] = [];
  // The account goes first so that no new session starts; open ones are ended so that DROP DATABASE is not blocked.
  if (state.user) out.push(`DROP USER IF EXISTS ${account(user)}`);
  for (const id of state.sessions ?? []) out.push(`KILL CONNECTION ${Math.trunc(id)}`);
  if (state.database) out.push(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
  return out;
}

export const SYSTEM_SCHEMAS = "('mysql', 'information_schema', 'performance_schema', 'sys')";

export const SERVER_INFO_QUERY =
  "SELECT JSON_OBJECT('version', @@version, 'max', @@max_connections, " +
  "'used', (SELECT COUNT(*) FROM information_schema.processlist WHERE command NOT IN ('Daemon', 'Binlog Dump')))";

/** Owner: the account whose database-level grant pattern matches the schema (LIKE reads the escapes). */
export const LIST_QUERY =
  "SELECT COALESCE(JSON_ARRAYAGG(JSON_OBJECT('database', s.schema_name, " +
  "'owner', (SELECT MIN(d.User) FROM mysql.db d WHERE s.schema_name LIKE d.Db), " +
  "'connectionLimit', (SELECT MIN(u.max_user_connections) FROM mysql.db d JOIN mysql.user u ON u.User = d.User AND u.Host = d.Host WHERE s.schema_name LIKE d.Db), " +
  "'sizeBytes', (SELECT COALESCE(SUM(t.data_length + t.index_length), 0) FROM information_schema.tables t WHERE t.table_schema = s.schema_name), " +
  "'connections', (SELECT COUNT(*) FROM information_schema.processlist p WHERE p.db = s.schema_name))), '[]') " +
  `FROM information_schema.schemata s WHERE s.schema_name NOT IN ${SYSTEM_SCHEMAS}`;

/** App databases by name only (no sizes, which make the server open every table's metadata). */
export const NAMES_QUERY = `SELECT COALESCE(JSON_ARRAYAGG(schema_name), '[]') FROM information_schema.schemata WHERE schema_name NOT IN ${SYSTEM_SCHEMAS}`;

export const tablesQuery = (database: string): string =>
  `SELECT COALESCE(JSON_ARRAYAGG(table_name), '[]') FROM information_schema.tables WHERE table_schema = ${quoteLiteral(database)} AND table_type = 'BASE TABLE'`;

export function rowCountsQuery(database: string, tables: string[]): string {
  if (tables.length === 0) return "SELECT '{}'";
  const pairs = tables.map((t) => `${quoteLiteral(t)}, (SELECT COUNT(*) FROM ${quoteIdent(database)}.${quoteIdent(t)})`);
  return `SELECT JSON_OBJECT(${pairs.join(', ')})`;
}

/**
 * Runs the client once per (database, statement) pair given as arguments, in one exec, as the user in
 * $U (password in MYSQL_PWD) over TCP to $H:$P, printing each output followed by a marker with its exit code. Arguments are
 * positional parameters, never parsed as shell.
 */
export const BATCH_SCRIPT =
  'while [ $# -gt 1 ]; do out=$(mariadb --batch --skip-column-names --raw --protocol=tcp --host="$H" --port="$P" --connect-timeout=10 --user="$U" --database="$1" -e "$2" 2>&1); ' +
  'rc=$?; printf \'%s\\n@@wn-check %s\\n\' "$out" "$rc"; shift 2; done';



export interface ServerInfoRow {
  version: string;
  max: number;
  used: number;
}

export interface ListRow {
  database: string;
  owner: string | null;
  connectionLimit: number | null;
  sizeBytes: number | string;
  connections: number;
}


export function isAccessDenied(output: string): boolean {
  return /Access denied/i.test(output);
}

/** `mysql://user:password@host:port/database`, every part percent-encoded. */
export function connectionUrl(c: { user: string; password: string; host: string; port: number; database: string }): string {
  return `mysql://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/${encodeURIComponent(c.database)}`;
}

/** The client's ERROR line only: it never quotes the statement, but keep messages short and free of context. */
export function firstError(output: string): string {
  const line = output.split('\n').find((l) => /^ERROR/.test(l.trim()));
  return (line ?? output.trim().split('\n').pop() ?? '').trim().slice(0, 500);
}

/** A database name the user's grant must not cover: its own with one `_` swapped (what an unescaped `_` would match). */
export function wildcardSibling(database: string): string {
  const i = database.indexOf('_');
  return i >= 0 ? `${database.slice(0, i)}x${database.slice(i + 1)}` : `${database}_x`;
}
