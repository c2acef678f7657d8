import t from 'tap';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from '../../../../core/secrets/secret-box.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-key-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('first use creates <dataDir>/secret.key with mode 0600; later opens reuse it', async (t) => {
  const dir = await tempDir(t);
  const dataDir = join(dir, 'data');
  const a = await SecretBox.open({ dataDir, keyFromEnv: '' });
  t.equal(a.keySource, 'file');
  const st = await stat(join(dataDir, 'secret.key'));
  t.equal(st.mode & 0o777, 0o600);
  t.equal(Buffer.from((await readFile(join(dataDir, 'secret.key'), 'utf8')).trim(), 'base64').length, 32);
  const b = await SecretBox.open({ dataDir, keyFromEnv: '' });
  t.equal(b.keyId, a.keyId);
  t.equal(b.decrypt(a.encrypt('kept across restarts')), 'kept across restarts');
});

t.test('opens racing on a fresh directory agree on one key', async (t) => {
  const dataDir = await tempDir(t);
  const boxes = await Promise.all(Array.from({ length: 8 }, () => SecretBox.open({ dataDir, keyFromEnv: '' })));
  t.same(new Set(boxes.map((b) => b.keyId)).size, 1);
});

t.test('a key file readable by group or others is refused with a hint', async (t) => {
  const dataDir = await tempDir(t);
  await SecretBox.open({ dataDir, keyFromEnv: '' });
  const path = join(dataDir, 'secret.key');
  for (const mode of [0o640, 0o604, 0o644]) {
    await chmod(path, mode);
    await t.rejects(SecretBox.open({ dataDir, keyFromEnv: '' }), {
      code: 'WARREN_ERR_SECRET',
      message: /readable by others/,
      hint: new RegExp(`chmod 600 ${path}`),
    });
  }
  await chmod(path, 0o600);
  t.ok(await SecretBox.open({ dataDir, keyFromEnv: '' }));
});

t.test('a damaged key file is refused, not replaced', async (t) => {
  const dataDir = await tempDir(t);
  const path = join(dataDir, 'secret.key');
  await writeFile(path, 'garbage\n', { mode: 0o600 });
  await t.rejects(SecretBox.open({ dataDir, keyFromEnv: '' }), { code: 'WARREN_ERR_SECRET', message: /does not hold a valid key/ });
  t.equal(await readFile(path, 'utf8'), 'garbage\n');
});

t.test('WARREN_SECRET_KEY wins over the key file and leaves the data dir alone', async (t) => {
  const dataDir = await tempDir(t);
  const box = await SecretBox.open({ dataDir, keyFromEnv: Buffer.alloc(32, 1).toString('hex') });
  t.equal(box.keySource, 'env');
  await t.rejects(stat(join(dataDir, 'secret.key')), { code: 'ENOENT' });
});
