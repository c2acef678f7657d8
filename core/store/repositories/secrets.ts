import type { SecretBox } from '../../secrets/secret-box.js';
import { type Db, newId, notFound, run } from '../rows.js';

/**
 * Secret values by id. Values are sealed by the SecretBox before any query is built, so only
 * ciphertext reaches the database; each is bound to its row id, so swapping rows is detected.
 */
export function secretsRepository(db: Db, box: SecretBox) {
  return {
    async put(value: string): Promise<string> {
      const id = newId();
      const sealed = box.encrypt(value, id);
      await run('store secret', () =>
        db('secrets').insert({ id, key_id: sealed.keyId, ciphertext: sealed.ciphertext, nonce: sealed.nonce, created_at: Date.now() }),
      );
      return id;
    },
    /** Throws WARREN_ERR_NOT_FOUND for an unknown id, WARREN_ERR_SECRET for a value that fails to decrypt. */
    async get(id: string): Promise<string> {
      const r = await run('read secret', () => db('secrets').where({ id }).first('key_id', 'ciphertext', 'nonce'));
      if (!r) throw notFound('secret', id);
      return box.decrypt({ keyId: String(r.key_id), ciphertext: String(r.ciphertext), nonce: String(r.nonce) }, id);
    },
    async replace(id: string, value: string): Promise<void> {
      const sealed = box.encrypt(value, id);
      const n = await run('replace secret', () =>
        db('secrets').where({ id }).update({ key_id: sealed.keyId, ciphertext: sealed.ciphertext, nonce: sealed.nonce }),
      );
      if (n === 0) throw notFound('secret', id);
    },
    async delete(id: string): Promise<boolean> {
      return (await run('remove secret', () => db('secrets').where({ id }).delete())) > 0;
    },
  };
}

export type SecretsRepository = ReturnType<typeof secretsRepository>;
