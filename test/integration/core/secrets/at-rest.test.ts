// The demand: a secret stored through the store never reaches the disk in clear. The control
// half writes the same kind of value in clear (into kv) and shows that this very search finds it, so
// the test would fail if secrets were ever written unencrypted.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, SQLITE_FILE_NAME } from '../../../../core/store/index.js';

const dbFiles = (dataDir: string) => ['', '-wal', '-shm'].map((suffix) => join(dataDir, SQLITE_FILE_NAME + suffix));

/** Which of the database's files hold `needle`, in any encoding a careless writer might use. */
async function filesContaining(dataDir: string, needle: string): Promise<string[]> {
  const forms = [Buffer.from(needle, 'utf8'), Buffer.from(needle, 'utf16le'), Buffer.from(Buffer.from(needle).toString('base64')), Buffer.from(Buffer.from(needle).toString('hex'))];
  const hits: string[] = [];
  for (const file of dbFiles(dataDir)) {
    if (!existsSync(file)) continue;
    const bytes = await readFile(file);
    if (forms.some((f) => bytes.includes(f))) hits.push(file.slice(dataDir.length + 1));
  }
  return hits;
}

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-at-rest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a secret stored through store.secrets is absent from the SQLite files, open and closed', async (t) => {
  const dataDir = await tempDir(t);
  const plaintext = `warren-at-rest-${randomBytes(12).toString('hex')}`;
  const store = await openStore({ dataDir });
  await store.migrate();
  const id = await store.secrets.put(plaintext);

  t.ok(existsSync(join(dataDir, `${SQLITE_FILE_NAME}-wal`)), 'while open, the write sits in the WAL');
  t.same(await filesContaining(dataDir, plaintext), [], 'not in warren.db, its WAL or shm while open');
  await store.close();
  t.same(await filesContaining(dataDir, plaintext), [], 'nor after close');

  const reopened = await openStore({ dataDir });
  t.equal(await reopened.secrets.get(id), plaintext, 'yet it was stored and reads back');
  await reopened.close();
});

t.test('control: the same search finds a value written in clear', async (t) => {
  const dataDir = await tempDir(t);
  const plaintext = `warren-at-rest-${randomBytes(12).toString('hex')}`;
  const store = await openStore({ dataDir });
  await store.migrate();
  await store.kv.set('control', 'written-in-clear', plaintext);
  t.same(await filesContaining(dataDir, plaintext), [`${SQLITE_FILE_NAME}-wal`], 'found in the WAL while open');
  await store.close();
  t.same(await filesContaining(dataDir, plaintext), [SQLITE_FILE_NAME], 'found in warren.db after close');
});
