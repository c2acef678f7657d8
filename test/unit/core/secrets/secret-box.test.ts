import t from 'tap';
import { randomBytes } from 'node:crypto';
import { SecretBox, parseKey } from '../../../../core/secrets/secret-box.js';
import { WarrenError } from '../../../../core/errors.js';

const key = Buffer.alloc(32, 7);
const box = SecretBox.fromKey(key);

// tap matches thrown errors against a pattern object (a function would be taken as a class).
const isSecretError = (message?: RegExp, hint?: RegExp) => ({
  constructor: WarrenError,
  code: 'WARREN_ERR_SECRET',
  ...(message ? { message } : {}),
  ...(hint ? { hint } : {}),
});

t.test('round trip, including empty and non-ASCII text', async (t) => {
  for (const text of ['hunter2', '', 'pässwörd 🔑', 'x'.repeat(100_000)]) {
    t.equal(box.decrypt(box.encrypt(text)), text);
  }
});

t.test('sealed values are base64, with a fresh 12-byte nonce and a 16-byte tag appended', async (t) => {
  const a = box.encrypt('same');
  const b = box.encrypt('same');
  t.not(a.nonce, b.nonce, 'nonce is fresh each time');
  t.not(a.ciphertext, b.ciphertext);
  t.equal(Buffer.from(a.nonce, 'base64').length, 12);
  t.equal(Buffer.from(a.ciphertext, 'base64').length, 'same'.length + 16);
  t.match(a.keyId, /^[0-9a-f]{8}$/);
  t.equal(a.keyId, box.keyId);
  t.not(SecretBox.fromKey(randomBytes(32)).keyId, box.keyId, 'key id depends on the key');
});

t.test('tampering with any byte of ciphertext, tag or nonce is detected', async (t) => {
  const sealed = box.encrypt('database password');
  const body = Buffer.from(sealed.ciphertext, 'base64');
  for (let i = 0; i < body.length; i++) {
    const flipped = Buffer.from(body);
    flipped[i] ^= 0x01;
    t.throws(() => box.decrypt({ ...sealed, ciphertext: flipped.toString('base64') }), isSecretError(/failed authentication/), `byte ${i}`);
  }
  const nonce = Buffer.from(sealed.nonce, 'base64');
  nonce[0] ^= 0x80;
  t.throws(() => box.decrypt({ ...sealed, nonce: nonce.toString('base64') }), isSecretError(/failed authentication/));
  t.throws(() => box.decrypt({ ...sealed, ciphertext: body.subarray(0, body.length - 1).toString('base64') }), isSecretError());
  t.throws(() => box.decrypt({ ...sealed, nonce: '' }), isSecretError(/malformed/));
});

t.test('associated data binds a value to its place', async (t) => {
  const sealed = box.encrypt('v', 'row-1');
  t.equal(box.decrypt(sealed, 'row-1'), 'v');
  t.throws(() => box.decrypt(sealed, 'row-2'), isSecretError(/failed authentication/));
  t.throws(() => box.decrypt(sealed), isSecretError(/failed authentication/));
});

t.test('a value sealed under another key says so, with a hint', async (t) => {
  const other = SecretBox.fromKey(randomBytes(32));
  const sealed = other.encrypt('v');
  t.throws(() => box.decrypt(sealed), isSecretError(/sealed with key/, /restore the key/));
  // A forged key id with the right key still fails: the key id is authenticated.
  const forged = box.encrypt('v');
  t.throws(() => SecretBox.fromKey(key).decrypt({ ...forged, keyId: 'deadbeef' }), isSecretError(/sealed with key/));
});

t.test('keys parse from 64 hex chars or base64 of 32 bytes, and nothing else', async (t) => {
  const raw = randomBytes(32);
  t.same(parseKey(raw.toString('hex')), raw);
  t.same(parseKey(raw.toString('hex').toUpperCase()), raw);
  t.same(parseKey(raw.toString('base64')), raw);
  t.same(parseKey(raw.toString('base64url')), raw);
  t.same(parseKey(`  ${raw.toString('base64')}\n`), raw);
  t.throws(() => parseKey(randomBytes(16).toString('base64')), isSecretError(/decodes to 16 bytes/, /randomBytes\(32\)/));
  t.throws(() => parseKey('not a key!'), isSecretError(/neither 64 hex/));
  t.throws(() => parseKey(raw.toString('hex').slice(2)), isSecretError(/must be 32/));
});

t.test('open() prefers the key given as WARREN_SECRET_KEY', async (t) => {
  const raw = randomBytes(32);
  const a = await SecretBox.open({ dataDir: '/nonexistent/never-created', keyFromEnv: raw.toString('hex') });
  const b = await SecretBox.open({ dataDir: '/nonexistent/never-created', keyFromEnv: raw.toString('base64') });
  t.equal(a.keySource, 'env');
  t.equal(b.decrypt(a.encrypt('shared')), 'shared');
  await t.rejects(SecretBox.open({ dataDir: '/nonexistent', keyFromEnv: 'short' }), { code: 'WARREN_ERR_SECRET' });
});
