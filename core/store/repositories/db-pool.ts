import { type Db, type Row, defined, fromJson, newId, notFound, num, run, strOrNull, toJson } from '../rows.js';

export type DbEngine = 'postgres' | 'mariadb';

export interface DbServer {
  id: string;
  device: string;
  engine: DbEngine;
  version: string | null;
  container: string | null;
  adminSecretRef: string | null;
  /** `pooled`: shared by apps on the device; `dedicated`: serves one app (`app`). */
  mode: 'pooled' | 'dedicated';
  app: string | null;
  createdAt: number;
  updatedAt: number;
}

export type NewDbServer = Pick<DbServer, 'device' | 'engine' | 'mode'> & Partial<Omit<DbServer, 'device' | 'engine' | 'mode' | 'createdAt' | 'updatedAt'>>;
export type DbServerPatch = Partial<Pick<DbServer, 'version' | 'container' | 'adminSecretRef' | 'mode' | 'app'>>;

const serverFromRow = (r: Row): DbServer => ({
  id: String(r.id),
  device: String(r.device),
  engine: String(r.engine) as DbEngine,
  version: strOrNull(r.version),
  container: strOrNull(r.container),
  adminSecretRef: strOrNull(r.admin_secret_ref),
  mode: String(r.mode) as DbServer['mode'],
  app: strOrNull(r.app),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const serverToRow = (s: DbServerPatch & { device?: string; engine?: DbEngine }): Row =>
  defined({
    device: s.device,
    engine: s.engine,
    version: s.version,
    container: s.container,
    admin_secret_ref: s.adminSecretRef,
    mode: s.mode,
    app: s.app,
  });

export function dbServersRepository(db: Db) {
  const repo = {
    async get(id: string): Promise<DbServer | undefined> {
      const r = await run('get database server', () => db('db_servers').where({ id }).first());
      return r ? serverFromRow(r) : undefined;
    },
    async list(filter: { device?: string; engine?: DbEngine; mode?: DbServer['mode'] } = {}): Promise<DbServer[]> {
      return (await run('list database servers', () => db('db_servers').where(defined(filter)).orderBy('id'))).map(serverFromRow);
    },
    async insert(input: NewDbServer): Promise<DbServer> {
      const now = Date.now();
      const server: DbServer = {
        id: input.id ?? newId(),
        device: input.device,
        engine: input.engine,
        version: input.version ?? null,
        container: input.container ?? null,
        adminSecretRef: input.adminSecretRef ?? null,
        mode: input.mode,
        app: input.app ?? null,
        createdAt: now,
        updatedAt: now,
      };
      await run(`add database server ${server.id}`, () =>
        db('db_servers').insert({ id: server.id, ...serverToRow(server), created_at: now, updated_at: now }),
      );
      return server;
    },
    async update(id: string, patch: DbServerPatch): Promise<DbServer> {
      const n = await run(`update database server ${id}`, () => db('db_servers').where({ id }).update({ ...serverToRow(patch), updated_at: Date.now() }));
      if (n === 0) throw notFound('database server', id);
      return (await repo.get(id))!;
    },
    /** Refused while grants still point at the server. */
    async delete(id: string): Promise<boolean> {
      return (await run(`remove database server ${id}`, () => db('db_servers').where({ id }).delete())) > 0;
    },
  };
  return repo;
}

/** One app's database on a server, identified by the app and the manifest's database `ref`. */
export interface DbGrant {
  app: string;
  ref: string;
  server: string;
  database: string;
  username: string;
  /** Id in `store.secrets` of the user's password. */
  secretRef: string | null;
  /** The last isolation self-test, e.g. `{ ok, checkedAt, message }`. */
  isolation: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export type NewDbGrant = Omit<DbGrant, 'secretRef' | 'isolation' | 'createdAt' | 'updatedAt'> & Partial<Pick<DbGrant, 'secretRef' | 'isolation'>>;
export type DbGrantPatch = Partial<Pick<DbGrant, 'server' | 'database' | 'username' | 'secretRef' | 'isolation'>>;

const grantFromRow = (r: Row): DbGrant => ({
  app: String(r.app),
  ref: String(r.ref),
  server: String(r.server),
  database: String(r.database),
  username: String(r.username),
  secretRef: strOrNull(r.secret_ref),
  isolation: fromJson(r.isolation),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const grantToRow = (g: DbGrantPatch): Row =>
  defined({
    server: g.server,
    database: g.database,
    username: g.username,
    secret_ref: g.secretRef,
    isolation: g.isolation === undefined ? undefined : toJson(g.isolation),
  });

export function dbGrantsRepository(db: Db) {
  const repo = {
    async get(app: string, ref: string): Promise<DbGrant | undefined> {
      const r = await run('get database grant', () => db('db_grants').where({ app, ref }).first());
      return r ? grantFromRow(r) : undefined;
    },
    async list(filter: { app?: string; server?: string } = {}): Promise<DbGrant[]> {
      return (await run('list database grants', () => db('db_grants').where(defined(filter)).orderBy(['app', 'ref']))).map(grantFromRow);
    },
    async insert(input: NewDbGrant): Promise<DbGrant> {
      const now = Date.now();
      const grant: DbGrant = { ...input, secretRef: input.secretRef ?? null, isolation: input.isolation ?? {}, createdAt: now, updatedAt: now };
      await run(`add database grant ${grant.app}/${grant.ref}`, () =>
        db('db_grants').insert({ app: grant.app, ref: grant.ref, ...grantToRow(grant), created_at: now, updated_at: now }),
      );
      return grant;
    },
    async update(app: string, ref: string, patch: DbGrantPatch): Promise<DbGrant> {
      const n = await run(`update database grant ${app}/${ref}`, () =>
        db('db_grants').where({ app, ref }).update({ ...grantToRow(patch), updated_at: Date.now() }),
      );
      if (n === 0) throw notFound('database grant', `${app}/${ref}`);
      return (await repo.get(app, ref))!;
    },
    async delete(app: string, ref: string): Promise<boolean> {
      return (await run(`remove database grant ${app}/${ref}`, () => db('db_grants').where({ app, ref }).delete())) > 0;
    },
  };
  return repo;
}

export type DbServersRepository = ReturnType<typeof dbServersRepository>;
export type DbGrantsRepository = ReturnType<typeof dbGrantsRepository>;
