// In-memory InstancePersistence for tests of the plugin host's logic; the hub uses the store.
import type { InstancePersistence, StoredInstance } from '../../core/plugin/host.js';

export class MemoryPersistence implements InstancePersistence {
  readonly instances = new Map<string, StoredInstance>();
  readonly secretValues = new Map<string, Record<string, string>>();
  readonly states: { id: string; state: string; message?: string }[] = [];
  readonly kv = new Map<string, unknown>();
  readonly named = new Map<string, string>();

  async list() { return [...this.instances.values()].map((i) => structuredClone(i)); }
  async save(rec: StoredInstance, secrets: Record<string, string>) {
    this.instances.set(rec.id, structuredClone(rec));
    this.secretValues.set(rec.id, { ...(this.secretValues.get(rec.id) ?? {}), ...secrets });
  }
  async secretsOf(id: string) { return { ...(this.secretValues.get(id) ?? {}) }; }
  async delete(id: string) { this.instances.delete(id); this.secretValues.delete(id); }
  async recordState(id: string, state: string, message?: string) { this.states.push({ id, state, message }); }
  storage(instanceId: string) {
    const k = (key: string) => `${instanceId}\u0000${key}`;
    return {
      get: async <T>(key: string) => this.kv.get(k(key)) as T | undefined,
      set: async (key: string, value: unknown) => void this.kv.set(k(key), structuredClone(value)),
      delete: async (key: string) => void this.kv.delete(k(key)),
      keys: async () => [...this.kv.keys()].filter((x) => x.startsWith(`${instanceId}\u0000`)).map((x) => x.split('\u0000')[1]),
    };
  }
  secrets(instanceId: string) {
    const k = (name: string) => `${instanceId}\u0000${name}`;
    return {
      get: async (name: string) => this.named.get(k(name)),
      set: async (name: string, value: string) => void this.named.set(k(name), value),
      delete: async (name: string) => void this.named.delete(k(name)),
    };
  }
}
