// Pure mapping between Warren's requests and PostgreSQL: quoting, the statements a provision needs, and
// reading psql's output. Every name goes through quoteIdent and every value through quoteLiteral.
import { parseJsonLine as parseJson } from '../../core/providers/database-pool-kit.js';

import { parseBatch } from '../../core/providers/database-pool-kit.js';

export { parseBatch, shortVersion } from '../../core/providers/database-pool-kit.js';

/** The one JSON value psql prints on its own line. */
export const parseJsonLine = <T>(output: string): T => parseJson<T>(output, 'psql');

/** `"name"` with embedded quotes doubled; NUL cannot be stored by PostgreSQL, so it is refused. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new Error(`not a valid PostgreSQL identifier: ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * A string constant. With standard_conforming_strings (on since 9.1, and set by the statements below)
 * backslashes are literal, so doubling single quotes is the whole escape.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a PostgreSQL string cannot contain NUL');
  return `'${value.replaceAll("'", "''")}'`;
}

/** Settings every admin session starts with, so that quoting and password hashing mean what we assume. */
export const SESSION_SETTINGS = ["SET standard_conforming_strings TO on", "SET client_min_messages TO warning", "SET password_encryption TO 'scram-sha-256'"];

export interface ExistingState {
  role: boolean;
  database: boolean;
}

export const stateQuery = (database: string, user: string): string =>
  `SELECT jsonb_build_object('role', EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(user)}), ` +
  `'database', EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(database)}))::text`;

const ROLE_ATTRIBUTES = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT';

/**
 * Since PostgreSQL 15, CREATE DATABASE copies its template through the shared buffers (WAL_LOG) unless
 * told otherwise: every database made would leave about 8 MB of template pages resident in the server's
 * shared memory. FILE_COPY copies the files instead (at the price of a checkpoint), as every release
 * before 15 did. An SQL expression appended to the statement that \gexec runs.
 */
const FILE_COPY = "CASE WHEN current_setting('server_version_num')::int >= 150000 THEN ' STRATEGY FILE_COPY' ELSE '' END";

/**
 * One psql script (run with -f) that brings the role and database to the requested state whether or not
 * they exist: psql's \if and \gexec decide on the server's answer, so a provision is one round trip.
 * Every name and value in it is quoted, and psql never interpolates inside quotes.
 */
export function provisionScript(req: { database: string; user: string; password: string; connectionLimit?: number }): string {
  const role = quoteIdent(req.user);
  const db = quoteIdent(req.database);
  const attrs = `${ROLE_ATTRIBUTES} CONNECTION LIMIT ${Math.trunc(req.connectionLimit ?? -1)} PASSWORD ${quoteLiteral(req.password)}`;
  const createDb = `CREATE DATABASE ${db} OWNER ${role} ENCODING 'UTF8'`;
  // Each commit waits for a flush to disk, which on a homelab's disk is most of a provision's time: the
  // statements go in as few transactions as CREATE DATABASE (which cannot run inside one) allows.
  const grants = [`ALTER DATABASE ${db} OWNER TO ${role};`, `REVOKE ALL ON DATABASE ${db} FROM PUBLIC;`, `GRANT ALL ON DATABASE ${db} TO ${role};`];
  return [
    ...SESSION_SETTINGS.map((x) => `${x};`),
    'BEGIN;',
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(req.user)}) AS wn_role_exists, ` +
      // The spare (an empty database made ahead of time, see warmScript) is renamed when there is one: CREATE
      // DATABASE copies a template and flushes it, the slowest part of a provision.
      `EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(SPARE_DATABASE)}) AND NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(req.database)}) AS wn_use_spare \\gset`,
    '\\if :wn_role_exists',
    `ALTER ROLE ${role} WITH ${attrs};`,
    '\\else',
    `CREATE ROLE ${role} WITH ${attrs};`,
    '\\endif',
    '\\if :wn_use_spare',
    `ALTER DATABASE ${quoteIdent(SPARE_DATABASE)} RENAME TO ${db};`,
    `ALTER DATABASE ${db} ALLOW_CONNECTIONS true;`,
    ...grants,
    'COMMIT;',
    '\\else',
    'COMMIT;',
    // CREATE DATABASE cannot run in a transaction block or a function; \gexec runs it as its own statement.
    `SELECT ${quoteLiteral(createDb)} || ${FILE_COPY} WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(req.database)}) \\gexec`,
    'BEGIN;',
    ...grants,
    'COMMIT;',
    '\\endif',
    '',
  ].join('\n');
}

/**
 * The empty database a shared server keeps ready for the next provision. App names are `wn_<app>_...` with
 * a non-empty sanitised app, so no app's database can be called this. Nobody may connect to it.
 */
export const SPARE_DATABASE = 'wn__spare';

/** Makes the spare when there is none; created exactly as a provision would create a database. */
export function warmScript(): string {
  const spare = quoteIdent(SPARE_DATABASE);
  return [
    ...SESSION_SETTINGS.map((x) => `${x};`),
    `SELECT ${quoteLiteral(`CREATE DATABASE ${spare} ENCODING 'UTF8'`)} || ${FILE_COPY} WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(SPARE_DATABASE)}) \\gexec`,
    `REVOKE ALL ON DATABASE ${spare} FROM PUBLIC;`,
    // Not even autovacuum opens a session there, which would make the rename fail while it lasts.
    `ALTER DATABASE ${spare} ALLOW_CONNECTIONS false;`,
    '',
  ].join('\n');
}

/**
 * Statements run as the app's user in ONE session (one connection and login instead of one per check):
 * each is followed by a marker with 1 when it failed, and its error message, read from psql's ERROR and
 * LAST_ERROR_MESSAGE variables, so that the output needs no stderr. psql never interpolates inside the
 * quotes the statements' names are in.
 */
export function sessionScript(statements: string[]): string {
  return statements.flatMap((sql) => [`${sql};`, '\\if :ERROR', "\\echo 'ERROR: ' :LAST_ERROR_MESSAGE", "\\echo '@@wn-check 1'", '\\else', "\\echo '@@wn-check 0'", '\\endif']).join('\n') + '\n';
}

/**
 * The self-test in one exec: `$1`/`$2` are the app's own database and a {@link sessionScript}, printed as
 * its markers followed by `@@wn-session <psql exit code>` and psql's stderr (a refused login) up to
 * `@@wn-session-end`; then every further (database, statement) pair, psql run once for each, its output
 * followed by `@@wn-check <exit code>`. Arguments are positional parameters, never parsed as shell.
 */
export const SELF_TEST_SCRIPT =
  'f=$(mktemp) || exit 1; out=$(printf "%s" "$2" | PGDATABASE="$1" psql -X -q -At -v ON_ERROR_STOP=0 -f - 2>"$f"); rc=$?; ' +
  'printf \'%s\\n@@wn-session %s\\n\' "$out" "$rc"; cat "$f"; printf \'\\n@@wn-session-end\\n\'; rm -f "$f"; shift 2; ' +
  'while [ $# -gt 1 ]; do out=$(PGDATABASE="$1" psql -X -q -At -v ON_ERROR_STOP=1 -c "$2" 2>&1); rc=$?; printf \'%s\\n@@wn-check %s\\n\' "$out" "$rc"; shift 2; done';

/** Splits {@link SELF_TEST_SCRIPT}'s output: the session's `n` results (a refused login fails them all alike), then the rest. */
export function parseSelfTest(output: string, n: number): { exitCode: number; output: string }[] {
  const m = /^([\s\S]*?)\n?@@wn-session (\d+)\n([\s\S]*?)\n@@wn-session-end\n([\s\S]*)$/.exec(output);
  if (!m) return [];
  const session = parseBatch(m[1]!.endsWith('\n') || m[1] === '' ? m[1]! : `${m[1]}\n`);
  const rest = parseBatch(m[4]!);
  const failed = { exitCode: Number(m[2]) || 2, output: m[3]!.trim() };
  return [...(session.length === n ? session : Array.from({ length: n }, () => failed)), ...rest];
}


/** Run inside the app's database as the admin: nobody but the owner may use its public schema. */
export function databaseStatements(user: string, extensions: string[]): string[] {
  return [
    `REVOKE ALL ON SCHEMA public FROM PUBLIC`,
    `ALTER SCHEMA public OWNER TO ${quoteIdent(user)}`,
    ...extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(e)}`),
  ];
}

export function deprovisionStatements(database: string, user: string, state: ExistingState): string[] {
  const out: string[] = [];
  if (state.database) {
    // Open sessions would make DROP DATABASE fail; the app is being removed, so they go.
    out.push(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(database)} AND pid <> pg_backend_pid()`);
    out.push(`DROP DATABASE IF EXISTS ${quoteIdent(database)}`);
  }
  if (state.role) out.push(`DROP ROLE IF EXISTS ${quoteIdent(user)}`);
  return out;
}

export const SERVER_INFO_QUERY =
  "SELECT jsonb_build_object('version', current_setting('server_version'), " +
  "'max', current_setting('max_connections')::int, " +
  "'used', (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'), " +
  "'extensions', (SELECT coalesce(jsonb_agg(name ORDER BY name), '[]') FROM pg_available_extensions))::text";

export const LIST_QUERY =
  "SELECT coalesce(jsonb_agg(jsonb_build_object('database', d.datname, 'owner', r.rolname, " +
  "'sizeBytes', pg_database_size(d.oid), 'connectionLimit', r.rolconnlimit, " +
  "'connections', (SELECT count(*) FROM pg_stat_activity a WHERE a.datid = d.oid)) ORDER BY d.datname), '[]')::text " +
  "FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE NOT d.datistemplate AND d.datname NOT IN ('postgres', 'wn__spare')";

/** App databases by name only (pg_database_size would stat every file of every database). */
export const NAMES_QUERY =
  "SELECT coalesce(jsonb_agg(datname ORDER BY datname), '[]')::text FROM pg_database WHERE NOT datistemplate AND datname NOT IN ('postgres', 'wn__spare')";

/** Exact counts per user table, in one statement (query_to_xml runs the generated count per table). */
export const ROW_COUNTS_QUERY =
  "SELECT coalesce(jsonb_object_agg(table_schema || '.' || table_name, " +
  "(xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text::bigint), '{}')::text " +
  "FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')";


export interface ServerInfoRow {
  version: string;
  max: number;
  used: number;
  extensions: string[];
}

export interface ListRow {
  database: string;
  owner: string;
  sizeBytes: number;
  connectionLimit: number;
  connections: number;
}


/** What psql says when a login reaches the server but is refused entry to a database. */
export function isDatabaseRefusal(output: string): boolean {
  return /permission denied for database|User does not have CONNECT privilege/i.test(output);
}

/** PostgreSQL words a refused privilege as "permission denied ..." or "must be superuser ...". */
export function isPermissionDenied(output: string): boolean {
  return /permission denied|must be superuser|must have .* privilege/i.test(output);
}

/** `postgres://user:password@host:port/database`, every part percent-encoded. */
export function connectionUrl(c: { user: string; password: string; host: string; port: number; database: string }): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@${c.host}:${c.port}/${encodeURIComponent(c.database)}`;
}

/** Only the ERROR/FATAL line: psql's LINE context could quote a statement that holds a password. */
export function firstError(output: string): string {
  // Script runs prefix each line with `psql:<stdin>:3: `; connection failures say `psql: error: ...`.
  const line = output.split('\n').find((l) => /\b(ERROR|FATAL|error):/.test(l));
  return (line ?? output.trim().split('\n').pop() ?? '').replace(/^psql:(<stdin>:\d+:)?\s*/, '').trim().slice(0, 500);
}
