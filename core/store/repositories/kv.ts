import { type Db, fromJson, run, toJson } from '../rows.js';

/** JSON values by namespace and key; plugin instances get one namespace each. */
export function kvRepository(db: Db) {
  return {
    async get<T = unknown>(namespace: string, key: string): Promise<T | undefined> {
      const r = await run('read setting', () => db('kv').where({ namespace, key }).first('value'));
      return r ? fromJson<T>(r.value) : undefined;
    },
    async set(namespace: string, key: string, value: unknown): Promise<void> {
      await run('write setting', () => db('kv').insert({ namespace, key, value: toJson(value) }).onConflict(['namespace', 'key']).merge(['value']));
    },
    async delete(namespace: string, key: string): Promise<boolean> {
      return (await run('remove setting', () => db('kv').where({ namespace, key }).delete())) > 0;
    },
    async keys(namespace: string): Promise<string[]> {
      return (await run('list settings', () => db('kv').where({ namespace }).orderBy('key').pluck('key'))).map(String);
    },
    /** Removes a whole namespace, e.g. when a plugin instance is deleted. Returns how many keys went. */
    async deleteNamespace(namespace: string): Promise<number> {
      return run('remove settings', () => db('kv').where({ namespace }).delete());
    },
  };
}

export type KvRepository = ReturnType<typeof kvRepository>;
