import { type Db, type Row, defined, fromJson, newId, notFound, num, run, strOrNull, toJson } from '../rows.js';

export interface AppRecord {
  id: string;
  catalogId: string;
  catalogVersion: string;
  device: string | null;
  status: string;
  /** The user's answers to the manifest's `inputs` form (never secrets; those go through `secretsRef`). */
  inputs: Record<string, unknown>;
  /** Id in `store.secrets` of the app's generated secrets (a JSON object), kept across updates. */
  secretsRef: string | null;
  /** The Compose project name the stack is deployed under. */
  project: string;
  createdAt: number;
  updatedAt: number;
}

export type NewApp = Pick<AppRecord, 'catalogId' | 'catalogVersion' | 'project'> &
  Partial<Omit<AppRecord, 'catalogId' | 'catalogVersion' | 'project' | 'createdAt' | 'updatedAt'>>;
export type AppPatch = Partial<Omit<AppRecord, 'id' | 'createdAt' | 'updatedAt'>>;

const fromRow = (r: Row): AppRecord => ({
  id: String(r.id),
  catalogId: String(r.catalog_id),
  catalogVersion: String(r.catalog_version),
  device: strOrNull(r.device),
  status: String(r.status),
  inputs: fromJson(r.inputs),
  secretsRef: strOrNull(r.secrets_ref),
  project: String(r.project),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const toRow = (a: AppPatch): Row =>
  defined({
    catalog_id: a.catalogId,
    catalog_version: a.catalogVersion,
    device: a.device,
    status: a.status,
    inputs: a.inputs === undefined ? undefined : toJson(a.inputs),
    secrets_ref: a.secretsRef,
    project: a.project,
  });

export function appsRepository(db: Db) {
  const repo = {
    async get(id: string): Promise<AppRecord | undefined> {
      const r = await run('get app', () => db('apps').where({ id }).first());
      return r ? fromRow(r) : undefined;
    },
    async list(filter: { device?: string; status?: string } = {}): Promise<AppRecord[]> {
      return (await run('list apps', () => db('apps').where(defined(filter)).orderBy('id'))).map(fromRow);
    },
    async insert(input: NewApp): Promise<AppRecord> {
      const now = Date.now();
      const app: AppRecord = {
        id: input.id ?? newId(),
        catalogId: input.catalogId,
        catalogVersion: input.catalogVersion,
        device: input.device ?? null,
        status: input.status ?? 'pending',
        inputs: input.inputs ?? {},
        secretsRef: input.secretsRef ?? null,
        project: input.project,
        createdAt: now,
        updatedAt: now,
      };
      await run(`add app ${app.id}`, () => db('apps').insert({ id: app.id, ...toRow(app), created_at: now, updated_at: now }));
      return app;
    },
    async update(id: string, patch: AppPatch): Promise<AppRecord> {
      const n = await run(`update app ${id}`, () => db('apps').where({ id }).update({ ...toRow(patch), updated_at: Date.now() }));
      if (n === 0) throw notFound('app', id);
      return (await repo.get(id))!;
    },
    /** Refused while database grants or a dedicated server still belong to the app. */
    async delete(id: string): Promise<boolean> {
      return (await run(`remove app ${id}`, () => db('apps').where({ id }).delete())) > 0;
    },
  };
  return repo;
}

export type AppsRepository = ReturnType<typeof appsRepository>;
