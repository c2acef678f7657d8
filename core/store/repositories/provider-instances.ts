import { type Db, type Row, bool, defined, fromJson, newId, notFound, num, run, strOrNull, toJson } from '../rows.js';

export interface ProviderInstance {
  id: string;
  plugin: string;
  provider: string;
  /** The validated config with every `x-secret` field removed; those live in `secretRef`. */
  config: Record<string, unknown>;
  /** Id in `store.secrets` of a JSON object holding the secret fields, if any. */
  secretRef: string | null;
  configVersion: number;
  state: string;
  stateMessage: string | null;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export type NewProviderInstance = Pick<ProviderInstance, 'plugin' | 'provider' | 'config'> &
  Partial<Omit<ProviderInstance, 'plugin' | 'provider' | 'config' | 'createdAt' | 'updatedAt'>>;
export type ProviderInstancePatch = Partial<Omit<ProviderInstance, 'id' | 'plugin' | 'provider' | 'createdAt' | 'updatedAt'>>;

const fromRow = (r: Row): ProviderInstance => ({
  id: String(r.id),
  plugin: String(r.plugin),
  provider: String(r.provider),
  config: fromJson(r.config),
  secretRef: strOrNull(r.secret_ref),
  configVersion: num(r.config_version),
  state: String(r.state),
  stateMessage: strOrNull(r.state_message),
  enabled: bool(r.enabled),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const toRow = (p: ProviderInstancePatch & { plugin?: string; provider?: string }): Row =>
  defined({
    plugin: p.plugin,
    provider: p.provider,
    config: p.config === undefined ? undefined : toJson(p.config),
    secret_ref: p.secretRef,
    config_version: p.configVersion,
    state: p.state,
    state_message: p.stateMessage,
    enabled: p.enabled,
  });

export function providerInstancesRepository(db: Db) {
  const repo = {
    async get(id: string): Promise<ProviderInstance | undefined> {
      const r = await run('get provider instance', () => db('provider_instances').where({ id }).first());
      return r ? fromRow(r) : undefined;
    },
    async list(filter: { plugin?: string } = {}): Promise<ProviderInstance[]> {
      return (await run('list provider instances', () => db('provider_instances').where(defined(filter)).orderBy(['plugin', 'provider', 'id']))).map(fromRow);
    },
    async insert(input: NewProviderInstance): Promise<ProviderInstance> {
      const now = Date.now();
      const inst: ProviderInstance = {
        id: input.id ?? newId(),
        plugin: input.plugin,
        provider: input.provider,
        config: input.config,
        secretRef: input.secretRef ?? null,
        configVersion: input.configVersion ?? 1,
        state: input.state ?? 'stopped',
        stateMessage: input.stateMessage ?? null,
        enabled: input.enabled ?? true,
        createdAt: now,
        updatedAt: now,
      };
      await run(`add provider instance ${inst.id}`, () =>
        db('provider_instances').insert({ id: inst.id, ...toRow(inst), created_at: now, updated_at: now }),
      );
      return inst;
    },
    async update(id: string, patch: ProviderInstancePatch): Promise<ProviderInstance> {
      const n = await run(`update provider instance ${id}`, () =>
        db('provider_instances').where({ id }).update({ ...toRow(patch), updated_at: Date.now() }),
      );
      if (n === 0) throw notFound('provider instance', id);
      return (await repo.get(id))!;
    },
    async delete(id: string): Promise<boolean> {
      return (await run(`remove provider instance ${id}`, () => db('provider_instances').where({ id }).delete())) > 0;
    },
  };
  return repo;
}

export type ProviderInstancesRepository = ReturnType<typeof providerInstancesRepository>;
