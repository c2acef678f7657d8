/**
 * DatabasePool: one shared database server (Postgres or MariaDB) on one device, holding one isolated
 * database and user per app. Provisioning is idempotent: the same app and ref give the same database
 * and user. Credentials returned here are secrets: the caller stores them encrypted and never logs them.
 */
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

export interface DatabaseEntry {
  database: string;
  owner: string;
  sizeBytes: number;
  connections: number;
}

export interface IsolationReport {
  ok: boolean;
  checks: { name: string; ok: boolean; message: string }[];
}

export interface DatabasePool {
  readonly engine: DatabaseEngine;
  serverInfo(signal?: AbortSignal): Promise<ServerInfo>;
  provision(req: ProvisionRequest, signal?: AbortSignal): Promise<DatabaseCredentials>;
  deprovision(req: { app: string; ref: string }, signal?: AbortSignal): Promise<void>;
  listDatabases(signal?: AbortSignal): Promise<DatabaseEntry[]>;
  verifyIsolation(creds: DatabaseCredentials, signal?: AbortSignal): Promise<IsolationReport>;
  dump(req: { app: string; ref: string }, signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  restore(req: { app: string; ref: string }, data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void>;
}
