// Encryption at rest: AES-256-GCM with one 32-byte key, taken from WARREN_SECRET_KEY or else from
// `<dataDir>/secret.key` (created on first use, mode 0600). Every sealed value carries a short key id
// derived from the key, so that a value sealed under another key is reported as such (not as tampering)
// and a later rotation can keep old keys for decryption only.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WarrenError } from '../errors.js';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_FILE_NAME = 'secret.key';

export interface SealedSecret {
  /** base64 of the ciphertext with the 16-byte GCM tag appended. */
  ciphertext: string;
  /** base64 of the 12-byte nonce, fresh for every encryption. */
  nonce: string;
  /** Short id of the key that sealed it (8 hex chars). */
  keyId: string;
}

export interface SecretBoxOptions {
  dataDir: string;
  /** The value of WARREN_SECRET_KEY; defaults to `process.env.WARREN_SECRET_KEY`. Empty means unset. */
  keyFromEnv?: string;
}

export class SecretBox {
  readonly keyId: string;
  /** Where the key came from, for logs and `warren` diagnostics (never the key itself). */
  readonly keySource: 'env' | 'file' | 'given';
  private readonly key: Buffer;

  private constructor(key: Buffer, keySource: 'env' | 'file' | 'given') {
    this.key = key;
    this.keyId = keyIdOf(key);
    this.keySource = keySource;
  }

  static async open(opts: SecretBoxOptions): Promise<SecretBox> {
    const fromEnv = opts.keyFromEnv ?? process.env.WARREN_SECRET_KEY;
    if (fromEnv) return new SecretBox(parseKey(fromEnv), 'env');
    return new SecretBox(await loadOrCreateKeyFile(opts.dataDir), 'file');
  }

  /** Builds a box from raw key bytes (tests, and tools that hold the key themselves). */
  static fromKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES) throw new WarrenError('WARREN_ERR_SECRET', `secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
    return new SecretBox(Buffer.from(key), 'given');
  }

  /**
   * `associatedData` is authenticated but not encrypted: bind a value to where it is stored (e.g. its
   * row id) so that a ciphertext copied into another row does not decrypt there.
   */
  encrypt(plaintext: string, associatedData?: string): SealedSecret {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadOf(this.keyId, associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { ciphertext: body.toString('base64'), nonce: nonce.toString('base64'), keyId: this.keyId };
  }

  decrypt(sealed: SealedSecret, associatedData?: string): string {
    if (sealed.keyId !== this.keyId) {
      throw new WarrenError('WARREN_ERR_SECRET', `secret was sealed with key ${sealed.keyId}, but the hub's key is ${this.keyId}`, {
        hint: `restore the key it was written with (WARREN_SECRET_KEY or ${KEY_FILE_NAME} in the data directory)`,
      });
    }
    const nonce = Buffer.from(sealed.nonce, 'base64');
    const body = Buffer.from(sealed.ciphertext, 'base64');
    if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
      throw new WarrenError('WARREN_ERR_SECRET', 'secret is malformed (bad nonce or ciphertext length)');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadOf(this.keyId, associatedData));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new WarrenError('WARREN_ERR_SECRET', 'secret failed authentication: it was altered, or moved from where it was stored', {
        hint: 'the stored value cannot be trusted; set the secret again',
        cause,
      });
    }
  }
}

// The key id is in the AAD so that a row's key id cannot be rewritten without detection.
function aadOf(keyId: string, associatedData?: string): Buffer {
  return Buffer.from(`warren-secret-v1\0${keyId}\0${associatedData ?? ''}`, 'utf8');
}

function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('warren-secret-key-id\0').update(key).digest('hex').slice(0, 8);
}

const KEY_HINT = `generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`;

/** Accepts 64 hex characters or base64 (standard or url-safe) of exactly 32 bytes. */
export function parseKey(text: string): Buffer {
  const s = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const key = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === KEY_BYTES) return key;
    throw new WarrenError('WARREN_ERR_SECRET', `WARREN_SECRET_KEY decodes to ${key.length} bytes; it must be ${KEY_BYTES}`, { hint: KEY_HINT });
  }
  throw new WarrenError('WARREN_ERR_SECRET', 'WARREN_SECRET_KEY is neither 64 hex characters nor base64 of 32 bytes', { hint: KEY_HINT });
}

async function loadOrCreateKeyFile(dataDir: string): Promise<Buffer> {
  const path = join(dataDir, KEY_FILE_NAME);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if the file exists, so two hubs starting at once cannot both write a key.
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.writeFile(`${randomBytes(KEY_BYTES).toString('base64')}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // A umask cannot widen 0600, but chmod makes the intent independent of how the file was opened.
    await chmod(path, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new WarrenError('WARREN_ERR_SECRET', `cannot create the secret key file ${path}: ${(e as Error).message}`, {
        hint: 'make the data directory writable, or set WARREN_SECRET_KEY',
        cause: e,
      });
    }
  }
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new WarrenError('WARREN_ERR_SECRET', `secret key file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`, {
      hint: `restrict it: chmod 600 ${path}`,
    });
  }
  const text = (await readFile(path, 'utf8')).trim();
  try {
    return parseKey(text);
  } catch (e) {
    throw new WarrenError('WARREN_ERR_SECRET', `secret key file ${path} does not hold a valid key`, {
      hint: 'restore it from a backup; deleting it makes every stored secret unreadable',
      cause: e,
    });
  }
}
