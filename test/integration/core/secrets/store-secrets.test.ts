import t from 'tap';
import { forEachEngine, testKey } from '../store/engines.js';
import { SecretBox } from '../../../../core/secrets/secret-box.js';

forEachEngine(t, async (t, env) => {
  const store = await env.open();

  t.test('put, get, replace and delete', async (t) => {
    const id = await store.secrets.put('postgres-admin-pw');
    t.equal(await store.secrets.get(id), 'postgres-admin-pw');
    const before = await store.knex('secrets').where({ id }).first();
    await store.secrets.replace(id, 'rotated');
    t.equal(await store.secrets.get(id), 'rotated');
    const after = await store.knex('secrets').where({ id }).first();
    t.not(after.nonce, before.nonce, 'a replaced value gets a fresh nonce');
    t.equal(await store.secrets.delete(id), true);
    t.equal(await store.secrets.delete(id), false);
    await t.rejects(store.secrets.get(id), { code: 'WARREN_ERR_NOT_FOUND' });
    await t.rejects(store.secrets.replace(id, 'x'), { code: 'WARREN_ERR_NOT_FOUND' });
    t.not(await store.secrets.put('same'), await store.secrets.put('same'), 'every put is a new id');
  });

  t.test('the row holds ciphertext, nonce and key id, never the value', async (t) => {
    const value = 'correct horse battery staple';
    const id = await store.secrets.put(value);
    const row = await store.knex('secrets').where({ id }).first();
    t.equal(row.key_id, SecretBox.fromKey(testKey).keyId);
    t.equal(Buffer.from(row.nonce, 'base64').length, 12);
    for (const [column, cell] of Object.entries(row)) {
      t.notOk(String(cell).includes(value), `${column} does not contain the value`);
      t.notOk(String(cell).includes(Buffer.from(value).toString('base64')), `${column} is not merely base64`);
    }
  });

  t.test('a ciphertext altered in the database is refused', async (t) => {
    const id = await store.secrets.put('tamper me');
    const row = await store.knex('secrets').where({ id }).first();
    const bytes = Buffer.from(row.ciphertext, 'base64');
    bytes[0] ^= 0x01;
    await store.knex('secrets').where({ id }).update({ ciphertext: bytes.toString('base64') });
    await t.rejects(store.secrets.get(id), { code: 'WARREN_ERR_SECRET', message: /failed authentication/ });
  });

  t.test('ciphertexts swapped between rows are refused', async (t) => {
    const a = await store.secrets.put('value of a');
    const b = await store.secrets.put('value of b');
    const ra = await store.knex('secrets').where({ id: a }).first();
    const rb = await store.knex('secrets').where({ id: b }).first();
    await store.knex('secrets').where({ id: a }).update({ ciphertext: rb.ciphertext, nonce: rb.nonce });
    await store.knex('secrets').where({ id: b }).update({ ciphertext: ra.ciphertext, nonce: ra.nonce });
    await t.rejects(store.secrets.get(a), { code: 'WARREN_ERR_SECRET' });
    await t.rejects(store.secrets.get(b), { code: 'WARREN_ERR_SECRET' });
  });

  t.test('opened with another key, the store says which key a secret needs', async (t) => {
    const id = await store.secrets.put('needs the first key');
    const other = await env.open({ secretBox: SecretBox.fromKey(Buffer.alloc(32, 1)), migrate: false });
    await t.rejects(other.secrets.get(id), { code: 'WARREN_ERR_SECRET', message: new RegExp(`sealed with key ${SecretBox.fromKey(testKey).keyId}`) });
  });
});
