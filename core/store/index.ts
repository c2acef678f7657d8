/**
 * The hub's database: SQLite in `<dataDir>/warren.db` by default (WAL, foreign keys on), Postgres when
 * a `postgres://` URL is given. Same schema, same behaviour, same types on both.
 *
 * ```ts
 * const store = await openStore({ dataDir, databaseUrl });   // opens the SecretBox from dataDir too
 * await store.migrate();                                      // applies pending migrations
 * await store.devices.insert({ name: 'nuc', connection: { socket: '/var/run/docker.sock' } });
 * const id = await store.secrets.put('s3cret');               // only ciphertext reaches the database
 * await store.transaction(async (tx) => { await tx.apps.update(...); await tx.operations.update(...); });
 * await store.close();
 * ```
 *
 * Repositories (each a small object; rows come back as camelCase objects with JSON columns parsed,
 * booleans as booleans and timestamps as epoch milliseconds; `id` is generated when not given):
 * - `devices`            get, findByName, list, insert, update, delete
 * - `providerInstances`  get, list({plugin}), insert, update, delete
 * - `apps`               get, list({device, status}), insert, update, delete
 * - `operations`         get, list({state, target, limit}), insert, update, delete
 * - `dbServers`          get, list({device, engine, mode}), insert, update, delete
 * - `dbGrants`           get(app, ref), list({app, server}), insert, update(app, ref, patch), delete(app, ref)
 * - `users`              get, findByUsername, list, insert, update, delete (cascades to tokens, sessions)
 * - `apiTokens`          get, findByHash, list({userId}), insert, touch, delete
 * - `sessions`           get(idHash) (unexpired only), insert, delete, deleteExpired
 * - `setupTokens`        get, insert, consume (once, atomically), delete
 * - `events`             append (keeps the newest `eventsToKeep`), list({after, domain, limit})
 * - `kv`                 get, set, delete, keys, deleteNamespace
 * - `metrics`            insert(samples), range({device, metric, from, to}), thin(now) (rules: core/metrics/thinning.ts)
 * - `secrets`            put(value) -> id, get(id), replace(id, value), delete(id)
 *
 * Errors: WARREN_ERR_NOT_FOUND when updating something missing, WARREN_ERR_CONFLICT for a taken
 * id/name or a row still referred to, WARREN_ERR_SECRET for a secret that fails authentication,
 * WARREN_ERR_STORE for anything else the database refuses.
 *
 * SQLite runs on one connection: inside `store.transaction(fn)`, use only the `tx` repositories that
 * `fn` receives; a query through `store.*` there waits for the transaction and never gets its turn.
 *
 * The secret key stays in the data directory (`secret.key`) or WARREN_SECRET_KEY even when the data
 * is in Postgres: a database backup alone does not reveal the secrets, and without the key they are
 * lost. Bundling: knex's unused drivers (sqlite3, mysql, mysql2, mariadb, oracledb, tedious,
 * pg-native, pg-query-stream) and the native better-sqlite3 must be esbuild externals.
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import { WarrenError } from '../errors.js';
import type { Logger } from '../plugin/types.js';
import { SecretBox } from '../secrets/secret-box.js';
import { migrationSource } from './migrations.js';
import { appsRepository } from './repositories/apps.js';
import { apiTokensRepository, sessionsRepository, setupTokensRepository, usersRepository } from './repositories/auth.js';
import { dbGrantsRepository, dbServersRepository } from './repositories/db-pool.js';
import { devicesRepository } from './repositories/devices.js';
import { eventsRepository } from './repositories/events.js';
import { kvRepository } from './repositories/kv.js';
import { metricsRepository } from './repositories/metrics.js';
import { operationsRepository } from './repositories/operations.js';
import { providerInstancesRepository } from './repositories/provider-instances.js';
import { secretsRepository } from './repositories/secrets.js';
import type { Db } from './rows.js';

export type { Device, NewDevice, DevicePatch } from './repositories/devices.js';
export type { ProviderInstance, NewProviderInstance, ProviderInstancePatch } from './repositories/provider-instances.js';
export type { AppRecord, NewApp, AppPatch } from './repositories/apps.js';
export type { Operation, OperationState, OperationStep, NewOperation, OperationPatch } from './repositories/operations.js';
export type { DbServer, NewDbServer, DbServerPatch, DbGrant, NewDbGrant, DbGrantPatch, DbEngine } from './repositories/db-pool.js';
export type { User, ApiToken, Session, SetupToken } from './repositories/auth.js';
export type { EventRecord, NewEvent } from './repositories/events.js';
export type { MetricSample, ThinningResult } from './repositories/metrics.js';

export const SQLITE_FILE_NAME = 'warren.db';
export const DEFAULT_EVENTS_TO_KEEP = 1000;

export interface StoreOptions {
  dataDir: string;
  /** `postgres://...` to use Postgres; otherwise SQLite in `<dataDir>/warren.db`. */
  databaseUrl?: string;
  /** Defaults to `SecretBox.open({ dataDir })` (WARREN_SECRET_KEY or `<dataDir>/secret.key`). */
  secretBox?: SecretBox;
  /** How many recent events to keep. */
  eventsToKeep?: number;
  /** Receives knex's own warnings (pool errors, deprecations); without one they are dropped. */
  logger?: Logger;
}

export type Engine = 'sqlite' | 'postgres';

function repositories(db: Db, engine: Engine, box: SecretBox, eventsToKeep: number) {
  return {
    devices: devicesRepository(db),
    providerInstances: providerInstancesRepository(db),
    apps: appsRepository(db),
    operations: operationsRepository(db),
    dbServers: dbServersRepository(db),
    dbGrants: dbGrantsRepository(db),
    users: usersRepository(db),
    apiTokens: apiTokensRepository(db),
    sessions: sessionsRepository(db),
    setupTokens: setupTokensRepository(db),
    events: eventsRepository(db, eventsToKeep),
    kv: kvRepository(db),
    metrics: metricsRepository(db, engine),
    secrets: secretsRepository(db, box),
  };
}

export type Repositories = ReturnType<typeof repositories>;

export interface Store extends Repositories {
  readonly engine: Engine;
  /** Where the data lives, for messages: the SQLite file, or the Postgres URL without its password. */
  readonly location: string;
  /** The escape hatch for queries no repository offers; prefer adding a repository method. */
  readonly knex: Knex;
  readonly secretBox: SecretBox;
  /** Applies pending migrations; returns their names. */
  migrate(): Promise<string[]>;
  /** Undoes every migration, leaving an empty database (tests). Returns the names undone. */
  rollbackAll(): Promise<string[]>;
  /** Runs `fn` in one transaction; it commits if `fn` resolves and rolls back if it throws. */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// Postgres returns bigint (timestamps, counts) as strings by default. Epoch milliseconds fit in a
// double exactly, so they are parsed as numbers — on this connection only, not for every pg user
// in the process (the database-pool plugins use pg too).
const INT8_OID = 20;
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export async function openStore(opts: StoreOptions): Promise<Store> {
  const secretBox = opts.secretBox ?? (await SecretBox.open({ dataDir: opts.dataDir }));
  const eventsToKeep = opts.eventsToKeep ?? DEFAULT_EVENTS_TO_KEEP;
  if (!Number.isInteger(eventsToKeep) || eventsToKeep < 1) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `eventsToKeep must be a positive integer, got ${eventsToKeep}`);
  }

  let engine: Engine;
  let location: string;
  let config: Knex.Config;
  if (opts.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(opts.databaseUrl)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'database URL must start with postgres:// (or be left unset for SQLite)', {
        details: [{ path: '/databaseUrl', message: 'unsupported scheme' }],
        hint: 'e.g. postgres://warren:PASSWORD@db.lan:5432/warren',
      });
    }
    engine = 'postgres';
    location = redactUrl(opts.databaseUrl);
    config = {
      client: 'pg',
      connection: { connectionString: opts.databaseUrl, types: pgTypes } as Knex.PgConnectionConfig,
      pool: { min: 0, max: 10 },
    };
  } else {
    engine = 'sqlite';
    location = join(opts.dataDir, SQLITE_FILE_NAME);
    await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
    // The file holds password and token hashes: create it private. SQLite gives its -wal and -shm
    // files the database file's mode, so they are private too. An existing file keeps its mode.
    await (await open(location, 'a', 0o600)).close();
    config = {
      client: 'better-sqlite3',
      connection: { filename: location },
      useNullAsDefault: true,
      pool: {
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          try {
            conn.pragma('journal_mode = WAL');
            conn.pragma('foreign_keys = ON');
            conn.pragma('busy_timeout = 5000');
            done(null, conn);
          } catch (e) {
            done(e as Error, conn);
          }
        },
      },
    };
  }

  const say = (level: 'debug' | 'warn' | 'error') => (message: unknown) => opts.logger?.[level](`store: ${String(message)}`);
  const knex = knexFactory({ ...config, log: { debug: say('debug'), warn: say('warn'), error: say('error'), deprecate: say('warn') } });
  try {
    await knex.raw('select 1');
  } catch (cause) {
    await knex.destroy();
    throw new WarrenError('WARREN_ERR_STORE', `cannot open the database at ${location}: ${(cause as Error).message}`, {
      hint: engine === 'sqlite' ? 'check that the data directory is writable' : 'check that Postgres is reachable and the URL, user and password are right',
      cause,
    });
  }

  let closed = false;
  const store: Store = {
    engine,
    location,
    knex,
    secretBox,
    ...repositories(knex, engine, secretBox, eventsToKeep),
    async migrate() {
      const [, names] = await migrationStep('migrate', () => knex.migrate.latest({ migrationSource }));
      return names;
    },
    async rollbackAll() {
      const [, names] = await migrationStep('roll back', () => knex.migrate.rollback({ migrationSource }, true));
      return names;
    },
    transaction(fn) {
      return knex.transaction((trx) => fn(repositories(trx, engine, secretBox, eventsToKeep)));
    },
    async close() {
      if (closed) return;
      closed = true;
      await knex.destroy();
    },
  };
  return store;
}

async function migrationStep(what: string, step: () => Promise<[number, string[]]>): Promise<[number, string[]]> {
  try {
    return await step();
  } catch (cause) {
    const message = (cause as Error).message ?? String(cause);
    const newer = /migration directory is corrupt|files are missing/i.test(message);
    throw new WarrenError('WARREN_ERR_STORE', `cannot ${what} the database schema: ${message}`, {
      hint: newer ? 'the database was migrated by a newer Warren; run that version (or restore a backup)' : 'see the cause in the log; the schema was left as the last complete migration',
      cause,
    });
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
