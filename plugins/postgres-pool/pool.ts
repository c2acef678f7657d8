// A DatabasePool over one PostgreSQL server, reached through psql/pg_dump run inside the server's
// container. Names and values travel as psql -c arguments or environment variables (PGDATABASE,
// PGUSER), never through a shell and never as a conninfo string, so no name can change the command.
import { WarrenError } from '../../core/errors.js';
import { type IsolationProbe, isolationReport, streamedDump, streamedRestore } from '../../core/providers/database-pool-kit.js';
import type {
  DatabaseCredentials,
  DatabaseEntry,
  DatabasePool,
  DatabasePoolDriver,
  DatabaseRef,
  IsolationReport,
  PoolServer,
  ProvisionRequest,
  ProvisionResult,
  ServerInfo,
  ServerService,
  ServerServiceOptions,
} from '../../core/providers/database-pool.js';
import {
  connectionUrl,
  databaseStatements,
  deprovisionStatements,
  type ExistingState,
  firstError,
  isDatabaseRefusal,
  isPermissionDenied,
  LIST_QUERY,
  type ListRow,
  NAMES_QUERY,
  parseJsonLine,
  parseSelfTest,
  SELF_TEST_SCRIPT,
  sessionScript,
  provisionScript,
  quoteIdent,
  quoteLiteral,
  ROW_COUNTS_QUERY,
  SERVER_INFO_QUERY,
  type ServerInfoRow,
  SESSION_SETTINGS,
  shortVersion,
  stateQuery,
  warmScript,
} from './translate.js';

const ADMIN = 'postgres';
const PORT = 5432;

export class PostgresDriver implements DatabasePoolDriver {
  readonly engine = 'postgres' as const;
  readonly limits = { database: 63, user: 63 };

  readonly releases = ['17', '16', '15', '14', '13'];

  constructor(readonly defaultImage: string) {}

  serverService(opts: ServerServiceOptions): ServerService {
    return {
      port: PORT,
      service: {
        image: opts.image,
        environment: { POSTGRES_USER: ADMIN, POSTGRES_PASSWORD: opts.adminPassword, PGDATA: '/var/lib/postgresql/data' },
        command: ['postgres', '-c', `max_connections=${opts.maxConnections ?? 100}`, '-c', "password_encryption=scram-sha-256"],
        volumes: [{ type: 'volume', source: 'data', target: '/var/lib/postgresql/data' }],
        // Over TCP: the official image's init server listens on the socket only, so this passes once the real one runs.
        healthcheck: { test: ['CMD', 'pg_isready', '-q', '-h', '127.0.0.1', '-U', ADMIN], intervalSeconds: 1, timeoutSeconds: 3, retries: 60, startPeriodSeconds: 60 },
        stopGracePeriodSeconds: 30,
      },
    };
  }

  open(server: PoolServer): DatabasePool {
    return new PostgresPool(server);
  }
}

export class PostgresPool implements DatabasePool {
  readonly engine = 'postgres' as const;

  /** The maintenance database the admin connects to (and apps are kept out of). */
  private readonly maintenance: string;

  constructor(private readonly server: PoolServer) {
    this.maintenance = server.direct?.database ?? ADMIN;
  }

  /** `env` with the admin's connection: the local socket in the container, or TCP to an adopted server. */
  private adminEnv(database?: string): string[] {
    const d = this.server.direct;
    return ['env', `PGPASSWORD=${this.server.adminPassword}`, `PGUSER=${d?.user ?? ADMIN}`, ...(d ? [`PGHOST=${d.host}`, `PGPORT=${d.port}`, 'PGCONNECT_TIMEOUT=10'] : []), ...(database ? [`PGDATABASE=${database}`] : [])];
  }

  private async admin(statements: string[], signal?: AbortSignal, database = this.maintenance): Promise<string> {
    const cmd = [...this.adminEnv(database), 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At'];
    for (const s of [...SESSION_SETTINGS, ...statements]) cmd.push('-c', s);
    const { exitCode, output } = await this.server.channel.exec(cmd, signal);
    if (exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `PostgreSQL refused an admin statement: ${firstError(output)}`);
    return output;
  }

  private async query<T>(sql: string, signal?: AbortSignal, database?: string): Promise<T> {
    return parseJsonLine<T>(await this.admin([sql], signal, database));
  }

  /**
   * The self-test's probes as the app's user over TCP, as an app would connect (password, SCRAM), not
   * through the trusted local socket; all in one exec, since each exec costs a round trip. The checks in
   * its own database share one session; each other database is a login of its own (that is the check).
   */
  private async selfTest(creds: DatabaseCredentials, probe: IsolationProbe, signal?: AbortSignal) {
    const session = [probe.own.sql, ...probe.denials.map(([, sql]) => sql)];
    const { output } = await this.server.channel.exec(
      ['env', `PGPASSWORD=${creds.password}`, `PGUSER=${creds.user}`, `PGHOST=${this.server.direct?.host ?? '127.0.0.1'}`, `PGPORT=${this.server.direct?.port ?? PORT}`, 'PGCONNECT_TIMEOUT=10',
        'sh', '-c', SELF_TEST_SCRIPT, 'sh', creds.database, sessionScript(session), ...probe.foreign.flatMap((db) => [db, 'SELECT 1'])],
      signal,
    );
    const results = parseSelfTest(output, session.length);
    if (results.length !== session.length + probe.foreign.length) {
      throw new WarrenError('WARREN_ERR_DATABASE', `the isolation probe gave ${results.length} answers for ${session.length + probe.foreign.length} checks: ${output.slice(0, 300)}`);
    }
    // In the order isolationReport reads them: own, other databases, denials.
    return [results[0]!, ...results.slice(session.length), ...results.slice(1, session.length)];
  }

  async prepare(signal?: AbortSignal): Promise<void> {
    // Apps must not even open sessions in the maintenance database; the admin uses the local socket as superuser.
    await this.admin([`REVOKE ALL ON DATABASE ${quoteIdent(this.maintenance)} FROM PUBLIC`], signal);
  }

  async preparedChanges(signal?: AbortSignal): Promise<boolean> {
    const r = await this.query<{ open: boolean }>(`SELECT jsonb_build_object('open', has_database_privilege('public', ${quoteLiteral(this.maintenance)}, 'CONNECT'))::text`, signal);
    return r.open;
  }

  async unprepare(signal?: AbortSignal): Promise<void> {
    // PUBLIC's default privileges on a database.
    await this.admin([`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(this.maintenance)} TO PUBLIC`], signal);
  }

  async serverInfo(signal?: AbortSignal): Promise<ServerInfo> {
    const r = await this.query<ServerInfoRow>(SERVER_INFO_QUERY, signal);
    return {
      engine: 'postgres',
      version: shortVersion(r.version),
      extensionsAvailable: r.extensions,
      connectionsUsed: r.used,
      connectionsMax: r.max,
      host: this.server.host,
      port: this.server.port,
    };
  }

  private state(database: string, user: string, signal?: AbortSignal): Promise<ExistingState> {
    return this.query<ExistingState>(stateQuery(database, user), signal);
  }

  async provision(req: ProvisionRequest, signal?: AbortSignal): Promise<ProvisionResult> {
    // One exec: the server-level script on the maintenance database, then the database-level statements
    // in the new database (psql cannot switch databases safely by a quoted name inside a script).
    const inDatabase = [...SESSION_SETTINGS, 'BEGIN', ...databaseStatements(req.user, req.extensions ?? []), 'COMMIT'].map((x) => `${x};`).join('\n');
    const r = await this.server.channel.exec(
      [...this.adminEnv(), 'sh', '-c',
        // The listing comes last, from the maintenance database, so that the self-test needs no round trip of its own.
        'printf "%s" "$1" | PGDATABASE="$0" psql -X -q -v ON_ERROR_STOP=1 -At -f - && printf "%s" "$3" | PGDATABASE="$2" psql -X -q -v ON_ERROR_STOP=1 -At -f - && PGDATABASE="$0" psql -X -q -At -c "$4"',
        this.maintenance, provisionScript(req), req.database, inDatabase, NAMES_QUERY],
      signal,
    );
    if (r.exitCode !== 0) {
      const missing = (req.extensions ?? []).filter((x) => r.output.includes(`"${x}"`));
      throw new WarrenError('WARREN_ERR_DATABASE', `PostgreSQL refused to provision ${req.database}: ${firstError(r.output)}`, {
        ...(missing.length ? { hint: `this server's image has no ${missing.join(', ')} extension: use an image that ships it` } : {}),
      });
    }
    const base = { engine: 'postgres' as const, host: this.server.host, port: this.server.port, database: req.database, user: req.user, password: req.password };
    const others = parseJsonLine<string[]>(r.output).filter((d) => d !== req.database);
    return { ...base, url: connectionUrl(base), otherDatabases: others };
  }

  async deprovision(req: DatabaseRef, signal?: AbortSignal): Promise<void> {
    const state = await this.state(req.database, req.user, signal);
    const statements = deprovisionStatements(req.database, req.user, state);
    if (statements.length) await this.admin(statements, signal);
  }

  async exists(req: DatabaseRef, signal?: AbortSignal): Promise<{ database: boolean; user: boolean }> {
    const s = await this.state(req.database, req.user, signal);
    return { database: s.database, user: s.role };
  }

  async listDatabases(signal?: AbortSignal): Promise<DatabaseEntry[]> {
    const rows = await this.query<ListRow[]>(LIST_QUERY, signal);
    return rows.map((r) => ({
      database: r.database,
      owner: r.owner,
      sizeBytes: Number(r.sizeBytes),
      connections: Number(r.connections),
      ...(r.connectionLimit >= 0 ? { connectionLimit: r.connectionLimit } : {}),
    }));
  }

  async warm(signal?: AbortSignal): Promise<void> {
    const { exitCode, output } = await this.server.channel.exec(
      [...this.adminEnv(this.maintenance), 'sh', '-c', 'printf "%s" "$0" | psql -X -q -v ON_ERROR_STOP=1 -At -f -', warmScript()],
      signal,
    );
    // Two warms at once: one of them finds the spare made by the other, which is what both wanted.
    if (exitCode !== 0 && !/already exists/.test(output)) throw new WarrenError('WARREN_ERR_DATABASE', `PostgreSQL refused to make a spare database: ${firstError(output)}`);
  }

  async verifyIsolation(creds: DatabaseCredentials, signal?: AbortSignal, listed?: string[]): Promise<IsolationReport> {
    const others = (listed ?? (await this.listDatabases(signal)).map((d) => d.database)).filter((d) => d !== creds.database);
    const probe: IsolationProbe = {
      own: { sql: 'SELECT current_user', expect: creds.user },
      foreign: [this.maintenance, ...others],
      denials: [
        ['cannot create roles', `CREATE ROLE ${quoteIdent(`wn_probe_${Date.now().toString(36)}`)}`],
        ['cannot create databases', `CREATE DATABASE ${quoteIdent(`wn_probe_${Date.now().toString(36)}`)}`],
        ['cannot become superuser', `ALTER ROLE ${quoteIdent(creds.user)} SUPERUSER`],
      ],
    };
    return isolationReport(creds, probe, await this.selfTest(creds, probe, signal), {
      refused: isDatabaseRefusal, refusedMessage: 'refused: no CONNECT privilege', denied: isPermissionDenied, deniedMessage: 'permission denied', firstError,
    });
  }

  async extensionsUsed(req: DatabaseRef, signal?: AbortSignal): Promise<string[]> {
    return this.query<string[]>("SELECT coalesce(jsonb_agg(extname ORDER BY extname), '[]')::text FROM pg_extension WHERE extname <> 'plpgsql'", signal, req.database);
  }

  async rowCounts(req: DatabaseRef, signal?: AbortSignal): Promise<Record<string, number>> {
    const counts = await this.query<Record<string, number | string>>(ROW_COUNTS_QUERY, signal, req.database);
    return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)]));
  }

  async dump(req: DatabaseRef, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const env = this.adminEnv(req.database);
    if (this.server.channel.stream) return streamedDump(this.server.channel, [...env, 'pg_dump', '--no-owner', '--no-privileges'], `pg_dump of ${req.database}`, firstError, signal);
    // Without streaming: pg_dump writes to a file so that its warnings cannot mix into the base64 the hub decodes.
    const script =
      'f=$(mktemp) || exit 1; if pg_dump --no-owner --no-privileges -f "$f" 2>"$f.err"; then base64 -w0 "$f"; rc=0; else cat "$f.err"; rc=1; fi; rm -f "$f" "$f.err"; exit $rc';
    const { exitCode, output } = await this.server.channel.exec([...env, 'sh', '-c', script], signal);
    if (exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `pg_dump of ${req.database} failed: ${firstError(output)}`);
    const bytes = Buffer.from(output.trim(), 'base64');
    return (async function* () {
      yield new Uint8Array(bytes);
    })();
  }

  async restore(req: DatabaseRef, data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    // SET ROLE first, in the same session, so that what the dump creates belongs to the app's user.
    const psql = (input: string) => [...this.adminEnv(req.database), 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
      '-c', `SET ROLE ${quoteIdent(req.user)}`, '-f', input];
    if (this.server.channel.stream) return streamedRestore(this.server.channel, psql('-'), data, `restoring into ${req.database}`, firstError, signal);
    const file = await this.server.channel.upload(data, signal);
    try {
      const { exitCode, output } = await this.server.channel.exec(psql(file), signal);
      if (exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `restoring into ${req.database} failed: ${firstError(output)}`);
    } finally {
      await this.server.channel.exec(['rm', '-f', file]).catch(() => {});
    }
  }
}
