/**
 * DatabasePool: the engine knowledge (SQL, identifier and literal quoting, client command lines, output
 * parsing) for one database engine, used by core/pooling without knowing which engine it is.
 *
 * A provider of kind `database-pool` is a {@link DatabasePoolDriver}: it describes the container that runs
 * a server of its engine ({@link DatabasePoolDriver.serverService}) and opens a {@link DatabasePool} over one
 * running server ({@link DatabasePoolDriver.open}). Core deploys the server with the device's ContainerHost
 * and hands the driver a {@link ServerChannel} that runs the engine's own client inside the server's
 * container, so the hub reaches a server on a private network of a remote device without publishing its
 * port. The channel is a live function: database-pool providers run in the hub's process.
 *
 * Core chooses the names (`wn_<app>_<ref>`, within {@link DatabasePoolDriver.limits}) and the passwords,
 * and stores the passwords encrypted; the driver always passes names through its identifier quoting and
 * passwords through its literal quoting, never through string concatenation. Provisioning is idempotent:
 * the same request gives the same database and user, with the password given.
 */
import type { ServiceSpec } from './compose.js';
import type { ExecStream } from './container-host.js';

export type DatabaseEngine = 'postgres' | 'mariadb';

export interface ServerInfo {
  engine: DatabaseEngine;
  version: string;
  extensionsAvailable: string[];
  connectionsUsed: number;
  connectionsMax: number;
  /** How apps on the device reach the server: host name on the private network, and port. */
  host: string;
  port: number;
}

export interface ProvisionRequest {
  app: string;
  /** The manifest's database ref (`main`, `cache`, ...). */
  ref: string;
  /** Database and user names chosen by core; quoted by the driver. */
  database: string;
  user: string;
  /** Set on creation, and reset when the user exists already (so a retried provision converges). */
  password: string;
  extensions?: string[];
  connectionLimit?: number;
}

export interface DatabaseCredentials {
  engine: DatabaseEngine;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  url: string;
}

export interface ProvisionResult extends DatabaseCredentials {
  /**
   * The server's other databases (not the engine's own), read in the same round trip as the provision,
   * for the isolation self-test that follows ({@link DatabasePool.verifyIsolation}'s `others`).
   */
  otherDatabases?: string[];
}

export interface DatabaseEntry {
  database: string;
  owner: string;
  sizeBytes: number;
  connections: number;
  /** The per-user connection limit of its owner, when one is set. */
  connectionLimit?: number;
}

export interface IsolationReport {
  ok: boolean;
  checks: { name: string; ok: boolean; message: string }[];
}

/** A database and its user, as named by core. */
export interface DatabaseRef {
  database: string;
  user: string;
}

export interface DatabasePool {
  readonly engine: DatabaseEngine;
  /**
   * Idempotent server hardening run once the server is healthy (e.g. no PUBLIC access to the
   * maintenance database), before any app database is provisioned.
   */
  prepare(signal?: AbortSignal): Promise<void>;
  serverInfo(signal?: AbortSignal): Promise<ServerInfo>;
  provision(req: ProvisionRequest, signal?: AbortSignal): Promise<ProvisionResult>;
  /** Drops the database and the user; already gone is success. */
  deprovision(req: DatabaseRef, signal?: AbortSignal): Promise<void>;
  /** App databases only (not the engine's own). */
  listDatabases(signal?: AbortSignal): Promise<DatabaseEntry[]>;
  /** Whether the user and the database exist, for checks that removal left nothing behind. */
  exists(req: DatabaseRef, signal?: AbortSignal): Promise<{ database: boolean; user: boolean }>;
  /**
   * Connects as the app's user, as an app would: it must reach its own database and must not reach
   * any other app's database, create users/roles or create databases. `others` is the server's other
   * databases when the caller listed them already (e.g. while the provision ran), which saves a round trip.
   */
  verifyIsolation(creds: DatabaseCredentials, signal?: AbortSignal, others?: string[]): Promise<IsolationReport>;
  /**
   * Optional, best effort, off the critical path: makes the next provision faster (Postgres keeps one
   * empty database made ahead of time, which a provision renames instead of copying a template).
   */
  warm?(signal?: AbortSignal): Promise<void>;
  /** Whether prepare() would close something to PUBLIC that is open now (an adopted server), so it can be undone. */
  preparedChanges?(signal?: AbortSignal): Promise<boolean>;
  /** Undoes what prepare() closed, when an adopted server is forgotten. */
  unprepare?(signal?: AbortSignal): Promise<void>;
  /** Extensions installed in the database (the engine's built-in ones left out), to check that a move can take them along. */
  extensionsUsed(req: DatabaseRef, signal?: AbortSignal): Promise<string[]>;
  /** Exact row counts per table (`schema.table` or `table`), to verify a move. */
  rowCounts(req: DatabaseRef, signal?: AbortSignal): Promise<Record<string, number>>;
  /** A plain SQL dump of the database, without ownership, restorable into another server. */
  dump(req: DatabaseRef, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  /** Loads a dump made by {@link dump} into the (existing, empty) database; objects belong to the user. */
  restore(req: DatabaseRef, data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void>;
}

/** Runs the engine's client inside the server's container (through the device's ContainerHost). */
export interface ServerChannel {
  /** Exit code and stdout+stderr together. */
  exec(cmd: string[], signal?: AbortSignal): Promise<{ exitCode: number; output: string }>;
  /** Copies bytes into a new temporary file in the server's container and returns its path; the caller removes it. */
  upload(data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<string>;
  /**
   * Runs a command with its input and output streamed, nothing held in memory (dumps and restores of any
   * size). Absent when the device's ContainerHost cannot stream; drivers then fall back to exec and upload.
   */
  stream?(cmd: string[], opts?: { stdin?: AsyncIterable<Uint8Array>; signal?: AbortSignal }): Promise<ExecStream>;
}

/** A running server as core knows it. */
export interface PoolServer {
  /** Host name on the private network (the service's alias) and port. */
  host: string;
  port: number;
  adminPassword: string;
  channel: ServerChannel;
  /**
   * Set for a server Warren did not deploy (adopted by URL): the channel runs the engine's clients on the
   * hub, and they connect over TCP to `host`:`port` as `user` (maintenance database `database`), instead
   * of running inside the server's container as the engine's default admin.
   */
  direct?: { host: string; port: number; user: string; database?: string };
}

export interface ServerServiceOptions {
  image: string;
  adminPassword: string;
  maxConnections?: number;
}

export interface ServerService {
  /**
   * The server's container; its data lives on the volume named `data` (core names and creates it) and
   * its healthcheck tells when it accepts connections. Core adds networks, restart policy and limits.
   */
  service: ServiceSpec;
  port: number;
}

export interface DatabasePoolDriver {
  readonly engine: DatabaseEngine;
  /** The image a new server uses unless configured otherwise (the engine's official image). */
  readonly defaultImage: string;
  /** Image tags of the engine's maintained releases, newest first (`17`, `16`, ...), for a need with a version range. */
  readonly releases: string[];
  /** Longest database and user names the engine accepts. */
  readonly limits: { database: number; user: number };
  serverService(opts: ServerServiceOptions): ServerService;
  open(server: PoolServer): DatabasePool;
}
