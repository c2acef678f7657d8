// Accounts, sessions and API tokens. Passwords are hashed with scrypt (memory-hard, in Node's own
// crypto); session ids and API tokens are 256-bit random values stored only as SHA-256 hashes, so a
// copy of the database grants no access.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { WarrenError } from '../errors.js';
import type { HubLogger } from '../log.js';
import type { Store, User } from '../store/index.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, keylen: 32 };
export const SESSION_COOKIE = 'warren_session';
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
const SETUP_TTL_MS = 24 * 3600 * 1000;

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function validatePassword(password: unknown, path = '/password'): string {
  if (typeof password !== 'string' || password.length < 8) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'the password must be at least 8 characters', {
      details: [{ path, message: 'must be a string of at least 8 characters' }],
    });
  }
  return password;
}

function validateUsername(username: unknown): string {
  if (typeof username !== 'string' || !/^[a-zA-Z0-9_.@-]{1,64}$/.test(username)) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'the user name may use letters, digits and _ . @ - (1 to 64)', {
      details: [{ path: '/username', message: 'must match ^[a-zA-Z0-9_.@-]{1,64}$' }],
    });
  }
  return username;
}

export class Auth {
  /** A dummy hash to spend the same time on unknown users as on wrong passwords. */
  private dummyHash?: Promise<string>;

  constructor(private readonly store: Store, private readonly logger: HubLogger) {}

  async setupRequired(): Promise<boolean> {
    return (await this.store.users.list()).length === 0;
  }

  /**
   * First start: with WARREN_ADMIN_PASSWORD the admin account is created; otherwise a one-time
   * setup link is logged. Returns the setup token when one was made (for the log line's caller).
   */
  async bootstrap(opts: { adminPassword?: string; adminUser?: string; baseUrl: string }): Promise<string | undefined> {
    if (!(await this.setupRequired())) return undefined;
    if (opts.adminPassword) {
      const username = validateUsername(opts.adminUser ?? 'admin');
      await this.store.users.insert({ username, passwordHash: await hashPassword(validatePassword(opts.adminPassword, '/WARREN_ADMIN_PASSWORD')) });
      this.logger.info({ user: username }, 'admin account created from WARREN_ADMIN_PASSWORD');
      return undefined;
    }
    const token = randomBytes(24).toString('base64url');
    await this.store.setupTokens.insert({ tokenHash: sha256(token), expiresAt: Date.now() + SETUP_TTL_MS });
    // The one-time link is meant for the log: whoever can read the hub's log can administer it anyway.
    this.logger.warn(`no account yet: finish setup within 24 h at ${opts.baseUrl}/#/setup?token=${token}`);
    return token;
  }

  async completeSetup(token: unknown, username: unknown, password: unknown): Promise<{ user: User; sessionId: string }> {
    const name = validateUsername(username);
    const pw = validatePassword(password);
    if (typeof token !== 'string' || !(await this.store.setupTokens.consume(sha256(token)))) {
      throw new WarrenError('WARREN_ERR_UNAUTHORIZED', 'this setup link is not valid (used, expired or mistyped)', {
        hint: 'Restart the hub without accounts to get a new link in its log, or set WARREN_ADMIN_PASSWORD.',
      });
    }
    if (!(await this.setupRequired())) throw new WarrenError('WARREN_ERR_CONFLICT', 'setup was already completed', { hint: 'Log in instead.' });
    const user = await this.store.users.insert({ username: name, passwordHash: await hashPassword(pw) });
    return { user, sessionId: await this.startSession(user.id) };
  }

  async login(username: unknown, password: unknown): Promise<{ user: User; sessionId: string }> {
    const user = typeof username === 'string' ? await this.store.users.findByUsername(username) : undefined;
    const ok = user
      ? await verifyPassword(String(password ?? ''), user.passwordHash)
      : await verifyPassword(String(password ?? ''), await (this.dummyHash ??= hashPassword('not-a-password')));
    if (!user || !ok) {
      throw new WarrenError('WARREN_ERR_UNAUTHORIZED', 'wrong user name or password', { hint: 'Check both; the user name is case-sensitive.' });
    }
    return { user, sessionId: await this.startSession(user.id) };
  }

  private async startSession(userId: string): Promise<string> {
    const sessionId = randomBytes(32).toString('base64url');
    await this.store.sessions.insert({ idHash: sha256(sessionId), userId, expiresAt: Date.now() + SESSION_TTL_MS });
    await this.store.sessions.deleteExpired();
    return sessionId;
  }

  async logout(sessionId: string): Promise<void> {
    await this.store.sessions.delete(sha256(sessionId));
  }

  async userForSession(sessionId: string | undefined): Promise<User | undefined> {
    if (!sessionId) return undefined;
    const s = await this.store.sessions.get(sha256(sessionId));
    return s ? this.store.users.get(s.userId) : undefined;
  }

  async createToken(userId: string, name: unknown): Promise<{ token: string; id: string; name: string; prefix: string; createdAt: number }> {
    if (typeof name !== 'string' || !/^[\w .@-]{1,64}$/.test(name)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'a token needs a name of 1 to 64 letters, digits, spaces or _ . @ -', {
        details: [{ path: '/name', message: 'must match ^[\\w .@-]{1,64}$' }],
      });
    }
    const token = `wrn_${randomBytes(32).toString('base64url')}`;
    const rec = await this.store.apiTokens.insert({ name, userId, tokenHash: sha256(token), prefix: token.slice(0, 10) });
    return { token, id: rec.id, name: rec.name, prefix: rec.prefix, createdAt: rec.createdAt };
  }

  async userForToken(token: string | undefined): Promise<User | undefined> {
    if (!token) return undefined;
    const rec = await this.store.apiTokens.findByHash(sha256(token));
    if (!rec) return undefined;
    void this.store.apiTokens.touch(rec.id).catch(() => {});
    return this.store.users.get(rec.userId);
  }

  /** The first account, created if there is none: the CLI's `tokens create` works before setup too. */
  async ownerForCli(): Promise<User> {
    const users = await this.store.users.list();
    if (users[0]) return users[0];
    throw new WarrenError('WARREN_ERR_NOT_FOUND', 'there is no account yet', {
      hint: 'Start the hub once and finish setup (or set WARREN_ADMIN_PASSWORD), then create tokens.',
    });
  }
}
