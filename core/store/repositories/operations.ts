import { type Db, type Row, defined, fromJson, newId, notFound, num, numOrNull, run, strOrNull, toJson } from '../rows.js';

export type OperationState = 'pending' | 'running' | 'done' | 'failed' | 'rolled_back';

/** One journaled step; the operation runner owns the shape of `data`. */
export interface OperationStep {
  name: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'undone';
  data?: Record<string, unknown>;
  error?: string;
}

export interface Operation {
  id: string;
  kind: string;
  /** What it acts on, e.g. `app:nextcloud` or `device:nuc`. */
  target: string;
  state: OperationState;
  steps: OperationStep[];
  /** Index into `steps` of the step being run, or null before the first. */
  currentStep: number | null;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

export type NewOperation = Pick<Operation, 'kind' | 'target'> & Partial<Omit<Operation, 'kind' | 'target' | 'createdAt' | 'updatedAt'>>;
export type OperationPatch = Partial<Pick<Operation, 'state' | 'steps' | 'currentStep' | 'error'>>;

const fromRow = (r: Row): Operation => ({
  id: String(r.id),
  kind: String(r.kind),
  target: String(r.target),
  state: String(r.state) as OperationState,
  steps: fromJson(r.steps),
  currentStep: numOrNull(r.current_step),
  error: strOrNull(r.error),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const toRow = (o: OperationPatch & { kind?: string; target?: string }): Row =>
  defined({
    kind: o.kind,
    target: o.target,
    state: o.state,
    steps: o.steps === undefined ? undefined : toJson(o.steps),
    current_step: o.currentStep,
    error: o.error,
  });

export function operationsRepository(db: Db) {
  const repo = {
    async get(id: string): Promise<Operation | undefined> {
      const r = await run('get operation', () => db('operations').where({ id }).first());
      return r ? fromRow(r) : undefined;
    },
    /** Oldest first. `state` may be a list, e.g. `['pending', 'running']` for what a restart must resume. */
    async list(filter: { state?: OperationState | OperationState[]; target?: string; limit?: number } = {}): Promise<Operation[]> {
      const rows = await run('list operations', () => {
        const q = db('operations').orderBy([{ column: 'created_at' }, { column: 'id' }]);
        if (filter.state !== undefined) q.whereIn('state', Array.isArray(filter.state) ? filter.state : [filter.state]);
        if (filter.target !== undefined) q.where({ target: filter.target });
        if (filter.limit !== undefined) q.limit(filter.limit);
        return q;
      });
      return rows.map(fromRow);
    },
    async insert(input: NewOperation): Promise<Operation> {
      const now = Date.now();
      const op: Operation = {
        id: input.id ?? newId(),
        kind: input.kind,
        target: input.target,
        state: input.state ?? 'pending',
        steps: input.steps ?? [],
        currentStep: input.currentStep ?? null,
        error: input.error ?? null,
        createdAt: now,
        updatedAt: now,
      };
      await run(`record operation ${op.kind}`, () => db('operations').insert({ id: op.id, ...toRow(op), created_at: now, updated_at: now }));
      return op;
    },
    async update(id: string, patch: OperationPatch): Promise<Operation> {
      const n = await run(`update operation ${id}`, () => db('operations').where({ id }).update({ ...toRow(patch), updated_at: Date.now() }));
      if (n === 0) throw notFound('operation', id);
      return (await repo.get(id))!;
    },
    async delete(id: string): Promise<boolean> {
      return (await run(`remove operation ${id}`, () => db('operations').where({ id }).delete())) > 0;
    },
  };
  return repo;
}

export type OperationsRepository = ReturnType<typeof operationsRepository>;
