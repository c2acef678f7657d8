// The plugin host's persistence over the store: instance configs in provider_instances (secret fields
// split off into one encrypted secret per instance), per-instance storage in the kv table, and
// per-instance named secrets as encrypted secrets referenced from kv.
import type { Store } from '../store/index.js';
import type { InstancePersistence, StoredInstance } from './host.js';
import type { KeyValueStorage, SecretStorage } from './types.js';

export function storePersistence(store: Store): InstancePersistence {
  const secretIndex = (id: string) => `secrets:${id}`;
  return {
    async list() {
      return (await store.providerInstances.list()).map((i) => ({
        id: i.id,
        plugin: i.plugin,
        provider: i.provider,
        config: i.config,
        configVersion: i.configVersion,
        enabled: i.enabled,
      }));
    },
    async save(rec: StoredInstance, secrets: Record<string, string>) {
      const existing = await store.providerInstances.get(rec.id);
      let secretRef = existing?.secretRef ?? null;
      if (Object.keys(secrets).length) {
        const blob = JSON.stringify(secrets);
        if (secretRef) await store.secrets.replace(secretRef, blob);
        else secretRef = await store.secrets.put(blob);
      }
      const fields = { config: rec.config, configVersion: rec.configVersion, enabled: rec.enabled, secretRef };
      if (existing) await store.providerInstances.update(rec.id, fields);
      else await store.providerInstances.insert({ id: rec.id, plugin: rec.plugin, provider: rec.provider, ...fields });
    },
    async secretsOf(id: string) {
      const inst = await store.providerInstances.get(id);
      if (!inst?.secretRef) return {};
      return JSON.parse(await store.secrets.get(inst.secretRef)) as Record<string, string>;
    },
    async delete(id: string) {
      const inst = await store.providerInstances.get(id);
      await store.providerInstances.delete(id);
      if (inst?.secretRef) await store.secrets.delete(inst.secretRef);
      for (const name of await store.kv.keys(secretIndex(id))) {
        const ref = await store.kv.get<string>(secretIndex(id), name);
        if (ref) await store.secrets.delete(ref);
      }
      await store.kv.deleteNamespace(secretIndex(id));
      await store.kv.deleteNamespace(`instance:${id}`);
    },
    async recordState(id, state, message) {
      if (await store.providerInstances.get(id)) await store.providerInstances.update(id, { state, stateMessage: message ?? null });
    },
    storage(instanceId: string): KeyValueStorage {
      const ns = `instance:${instanceId}`;
      return {
        get: <T>(key: string) => store.kv.get<T>(ns, key),
        set: (key, value) => store.kv.set(ns, key, value),
        delete: async (key) => void (await store.kv.delete(ns, key)),
        keys: () => store.kv.keys(ns),
      };
    },
    secrets(instanceId: string): SecretStorage {
      const ns = secretIndex(instanceId);
      return {
        async get(name) {
          const ref = await store.kv.get<string>(ns, name);
          return ref ? store.secrets.get(ref) : undefined;
        },
        async set(name, value) {
          const ref = await store.kv.get<string>(ns, name);
          if (ref) await store.secrets.replace(ref, value);
          else await store.kv.set(ns, name, await store.secrets.put(value));
        },
        async delete(name) {
          const ref = await store.kv.get<string>(ns, name);
          if (ref) await store.secrets.delete(ref);
          await store.kv.delete(ns, name);
        },
      };
    },
  };
}
