// A DatabasePool over one MariaDB server, reached through the `mariadb` client run inside the server's
// container. Names and values travel as quoted parts of -e statements or as separate arguments, never
// through a shell; passwords go in MYSQL_PWD, which the client reads instead of a command-line flag.
import { WarrenError } from '../../core/errors.js';
import { type IsolationProbe, isolationChecks, isolationReport, streamedDump, streamedRestore } from '../../core/providers/database-pool-kit.js';
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
  account,
  BATCH_SCRIPT,
  parseBatch,
  connectionUrl,
  deprovisionStatements,
  type ExistingState,
  firstError,
  isAccessDenied,
  LIST_QUERY,
  type ListRow,
  NAMES_QUERY,
  parseJsonLine,
  provisionStatements,
  quoteIdent,
  rowCountsQuery,
  SERVER_INFO_QUERY,
  type ServerInfoRow,
  SESSION_SETTINGS,
  shortVersion,
  stateQuery,
  tablesQuery,
  wildcardSibling,
} from './translate.js';

const PORT = 3306;
const CLIENT = ['mariadb', '--batch', '--skip-column-names', '--raw'];

export class MariadbDriver implements DatabasePoolDriver {
  readonly engine = 'mariadb' as const;
  /** Database names up to 64; user names up to 80 since 10.0, kept to 32 so that MySQL-era tools cope. */
  readonly limits = { database: 64, user: 32 };

  readonly releases = ['11.4', '10.11', '10.6'];

  constructor(readonly defaultImage: string) {}

  serverService(opts: ServerServiceOptions): ServerService {
    return {
      port: PORT,
      service: {
        image: opts.image,
        environment: { MARIADB_ROOT_PASSWORD: opts.adminPassword },
        command: ['mariadbd', `--max-connections=${opts.maxConnections ?? 151}`],
        volumes: [{ type: 'volume', source: 'data', target: '/var/lib/mysql' }],
        // Over TCP: both the official and the test image initialise with networking off, so a TCP answer means ready.
        // `ping` succeeds even when access is denied, so the check needs no password.
        healthcheck: { test: ['CMD', 'mariadb-admin', '--protocol=tcp', '--host=127.0.0.1', `--port=${PORT}`, '--connect-timeout=2', 'ping'], intervalSeconds: 1, timeoutSeconds: 3, retries: 90, startPeriodSeconds: 90 },
        stopGracePeriodSeconds: 30,
      },
    };
  }

  open(server: PoolServer): DatabasePool {
    return new MariadbPool(server);
  }
}

export class MariadbPool implements DatabasePool {
  readonly engine = 'mariadb' as const;

  constructor(private readonly server: PoolServer) {}

  /** The admin's account and, for an adopted server, its address (over TCP). */
  private adminArgs(): string[] {
    const d = this.server.direct;
    return [`--user=${d?.user ?? 'root'}`, ...(d ? ['--protocol=tcp', `--host=${d.host}`, `--port=${d.port}`] : [])];
  }

  private async admin(statements: string[], signal?: AbortSignal): Promise<string> {
    const sql = [SESSION_SETTINGS, ...statements].join(';\n');
    const { exitCode, output } = await this.server.channel.exec(['env', `MYSQL_PWD=${this.server.adminPassword}`, ...CLIENT, ...this.adminArgs(), '-e', sql], signal);
    if (exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `MariaDB refused an admin statement: ${firstError(output)}`);
    return output;
  }

  private async query<T>(sql: string, signal?: AbortSignal): Promise<T> {
    return parseJsonLine<T>(await this.admin([sql], signal));
  }

  /**
   * Runs each (database, statement) as the app's account over TCP, so that `'user'@'%'` and its password
   * are what is tested; all in one exec, since each exec costs a round trip.
   */
  private async asUser(creds: DatabaseCredentials, checks: [database: string, sql: string][], signal?: AbortSignal) {
    const { output } = await this.server.channel.exec(
      ['env', `MYSQL_PWD=${creds.password}`, `U=${creds.user}`, `H=${this.server.direct?.host ?? '127.0.0.1'}`, `P=${this.server.direct?.port ?? PORT}`, 'sh', '-c', BATCH_SCRIPT, 'sh', ...checks.flat()],
      signal,
    );
    const results = parseBatch(output);
    if (results.length !== checks.length) throw new WarrenError('WARREN_ERR_DATABASE', `the isolation probe gave ${results.length} answers for ${checks.length} checks: ${output.slice(0, 300)}`);
    return results;
  }

  async prepare(signal?: AbortSignal): Promise<void> {
    // Anonymous accounts and the test database would be open to every app; official images drop them, adopted servers may not.
    // An adopted server is someone else's: Warren takes nothing away from it (the self-test still checks Warren's databases).
    if (this.server.direct) return;
    await this.admin(["DELETE FROM mysql.global_priv WHERE User = ''", 'DROP DATABASE IF EXISTS test', 'FLUSH PRIVILEGES'], signal);
  }

  async serverInfo(signal?: AbortSignal): Promise<ServerInfo> {
    const r = await this.query<ServerInfoRow>(SERVER_INFO_QUERY, signal);
    return {
      engine: 'mariadb',
      version: shortVersion(r.version),
      extensionsAvailable: [],
      connectionsUsed: Number(r.used),
      connectionsMax: Number(r.max),
      host: this.server.host,
      port: this.server.port,
    };
  }

  private state(database: string, user: string, signal?: AbortSignal): Promise<ExistingState> {
    return this.query<ExistingState>(stateQuery(database, user), signal);
  }

  async provision(req: ProvisionRequest, signal?: AbortSignal): Promise<ProvisionResult> {
    if (req.extensions?.length) {
      throw new WarrenError('WARREN_ERR_DATABASE', `MariaDB has no extensions; ${req.app} asks for ${req.extensions.join(', ')}`, {
        details: [{ path: '/extensions', message: 'not supported by MariaDB' }],
      });
    }
    // The listing rides along, so that the self-test that follows needs no round trip of its own.
    const listed = parseJsonLine<string[]>(await this.admin([...provisionStatements(req), NAMES_QUERY], signal));
    const base = { engine: 'mariadb' as const, host: this.server.host, port: this.server.port, database: req.database, user: req.user, password: req.password };
    return { ...base, url: connectionUrl(base), otherDatabases: listed.filter((d) => d !== req.database) };
  }

  async deprovision(req: DatabaseRef, signal?: AbortSignal): Promise<void> {
    const statements = deprovisionStatements(req.database, req.user, await this.state(req.database, req.user, signal));
    if (statements.length) await this.admin(statements, signal);
  }

  async exists(req: DatabaseRef, signal?: AbortSignal): Promise<{ database: boolean; user: boolean }> {
    const s = await this.state(req.database, req.user, signal);
    return { database: Boolean(s.database), user: Boolean(s.user) };
  }

  async listDatabases(signal?: AbortSignal): Promise<DatabaseEntry[]> {
    const rows = await this.query<ListRow[]>(LIST_QUERY, signal);
    return rows
      .map((r) => ({
        database: r.database,
        owner: r.owner ?? '',
        sizeBytes: Number(r.sizeBytes),
        connections: Number(r.connections),
        ...(r.connectionLimit ? { connectionLimit: Number(r.connectionLimit) } : {}),
      }))
      .sort((a, b) => a.database.localeCompare(b.database));
  }

  async verifyIsolation(creds: DatabaseCredentials, signal?: AbortSignal, listed?: string[]): Promise<IsolationReport> {
    const others = (listed ?? (await this.listDatabases(signal)).map((d) => d.database)).filter((d) => d !== creds.database);
    const probe: IsolationProbe = {
      own: { sql: 'SELECT DATABASE()', expect: creds.database },
      foreign: ['mysql', ...others],
      denials: [
        ['cannot create databases', `CREATE DATABASE ${quoteIdent(wildcardSibling(creds.database))}`],
        ['cannot create users', `CREATE USER ${account(`wn_probe_${Date.now().toString(36)}`)}`],
        ['cannot grant', `GRANT SELECT ON mysql.* TO ${account(creds.user)}`],
      ],
    };
    return isolationReport(creds, probe, await this.asUser(creds, isolationChecks(creds, probe), signal), {
      refused: isAccessDenied, refusedMessage: 'access denied', denied: isAccessDenied, deniedMessage: 'access denied', firstError,
    });
  }

  async extensionsUsed(): Promise<string[]> {
    return []; // MariaDB has no extensions.
  }

  async rowCounts(req: DatabaseRef, signal?: AbortSignal): Promise<Record<string, number>> {
    const tables = await this.query<string[]>(tablesQuery(req.database), signal);
    const counts = await this.query<Record<string, number>>(rowCountsQuery(req.database, tables), signal);
    return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)]));
  }

  async dump(req: DatabaseRef, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const env = ['env', `MYSQL_PWD=${this.server.adminPassword}`];
    const dumpArgs = [...this.adminArgs(), '--single-transaction', '--routines', '--triggers', '--hex-blob', '--skip-comments', '--no-create-db'];
    if (this.server.channel.stream) return streamedDump(this.server.channel, [...env, 'mariadb-dump', ...dumpArgs, '--', req.database], `mariadb-dump of ${req.database}`, firstError, signal);
    // Without streaming: to a file first, so that warnings cannot mix into the base64 the hub decodes; --hex-blob keeps it text.
    const script =
      `f=$(mktemp) || exit 1; if mariadb-dump ${dumpArgs.join(' ')} -- "$0" >"$f" 2>"$f.err"; ` +
      'then base64 -w0 "$f"; rc=0; else cat "$f.err"; rc=1; fi; rm -f "$f" "$f.err"; exit $rc';
    const { exitCode, output } = await this.server.channel.exec([...env, 'sh', '-c', script, req.database], signal);
    if (exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `mariadb-dump of ${req.database} failed: ${firstError(output)}`);
    const bytes = Buffer.from(output.trim(), 'base64');
    return (async function* () {
      yield new Uint8Array(bytes);
    })();
  }

  async restore(req: DatabaseRef, data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    const env = ['env', `MYSQL_PWD=${this.server.adminPassword}`];
    if (this.server.channel.stream) return streamedRestore(this.server.channel, [...env, 'mariadb', ...this.adminArgs(), `--database=${req.database}`], data, `restoring into ${req.database}`, firstError, signal);
    const file = await this.server.channel.upload(data, signal);
    try {
      const { exitCode, output } = await this.server.channel.exec([...env, 'sh', '-c', 'f="$1"; shift; exec mariadb "$@" --database="$0" <"$f"', req.database, file, ...this.adminArgs()], signal);
      if (exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `restoring into ${req.database} failed: ${firstError(output)}`);
    } finally {
      await this.server.channel.exec(['rm', '-f', file]).catch(() => {});
    }
  }
}
