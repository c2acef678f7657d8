// Users and the three kinds of credential. Only hashes are stored: the auth layer hashes tokens and
// session ids before they reach these repositories, so a leaked database grants no access.
import { type Db, type Row, newId, notFound, num, numOrNull, run } from '../rows.js';

export interface User {
  id: string;
  username: string;
  passwordHash: string;
  createdAt: number;
}

const userFromRow = (r: Row): User => ({
  id: String(r.id),
  username: String(r.username),
  passwordHash: String(r.password_hash),
  createdAt: num(r.created_at),
});

export function usersRepository(db: Db) {
  const repo = {
    async get(id: string): Promise<User | undefined> {
      const r = await run('get user', () => db('users').where({ id }).first());
      return r ? userFromRow(r) : undefined;
    },
    async findByUsername(username: string): Promise<User | undefined> {
      const r = await run('find user', () => db('users').where({ username }).first());
      return r ? userFromRow(r) : undefined;
    },
    async list(): Promise<User[]> {
      return (await run('list users', () => db('users').orderBy('username'))).map(userFromRow);
    },
    async insert(input: { id?: string; username: string; passwordHash: string }): Promise<User> {
      const user: User = { id: input.id ?? newId(), username: input.username, passwordHash: input.passwordHash, createdAt: Date.now() };
      await run(`add user ${user.username}`, () =>
        db('users').insert({ id: user.id, username: user.username, password_hash: user.passwordHash, created_at: user.createdAt }),
      );
      return user;
    },
    async update(id: string, patch: { username?: string; passwordHash?: string }): Promise<User> {
      const n = await run(`update user ${id}`, () =>
        db('users').where({ id }).update({ ...(patch.username === undefined ? {} : { username: patch.username }), ...(patch.passwordHash === undefined ? {} : { password_hash: patch.passwordHash }) }),
      );
      if (n === 0) throw notFound('user', id);
      return (await repo.get(id))!;
    },
    /** Also removes the user's API tokens and sessions. */
    async delete(id: string): Promise<boolean> {
      return (await run(`remove user ${id}`, () => db('users').where({ id }).delete())) > 0;
    },
  };
  return repo;
}

export interface ApiToken {
  id: string;
  name: string;
  userId: string;
  tokenHash: string;
  /** The first characters of the token, shown in lists so a user can tell tokens apart. */
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
}

const tokenFromRow = (r: Row): ApiToken => ({
  id: String(r.id),
  name: String(r.name),
  userId: String(r.user_id),
  tokenHash: String(r.token_hash),
  prefix: String(r.prefix),
  createdAt: num(r.created_at),
  lastUsedAt: numOrNull(r.last_used_at),
});

export function apiTokensRepository(db: Db) {
  return {
    async get(id: string): Promise<ApiToken | undefined> {
      const r = await run('get API token', () => db('api_tokens').where({ id }).first());
      return r ? tokenFromRow(r) : undefined;
    },
    async findByHash(tokenHash: string): Promise<ApiToken | undefined> {
      const r = await run('find API token', () => db('api_tokens').where({ token_hash: tokenHash }).first());
      return r ? tokenFromRow(r) : undefined;
    },
    async list(filter: { userId?: string } = {}): Promise<ApiToken[]> {
      const rows = await run('list API tokens', () => {
        const q = db('api_tokens').orderBy([{ column: 'created_at' }, { column: 'id' }]);
        if (filter.userId !== undefined) q.where({ user_id: filter.userId });
        return q;
      });
      return rows.map(tokenFromRow);
    },
    async insert(input: { id?: string; name: string; userId: string; tokenHash: string; prefix: string }): Promise<ApiToken> {
      const token: ApiToken = { id: input.id ?? newId(), name: input.name, userId: input.userId, tokenHash: input.tokenHash, prefix: input.prefix, createdAt: Date.now(), lastUsedAt: null };
      await run(`add API token ${token.name}`, () =>
        db('api_tokens').insert({ id: token.id, name: token.name, user_id: token.userId, token_hash: token.tokenHash, prefix: token.prefix, created_at: token.createdAt, last_used_at: null }),
      );
      return token;
    },
    async touch(id: string, at: number = Date.now()): Promise<void> {
      await run('record API token use', () => db('api_tokens').where({ id }).update({ last_used_at: at }));
    },
    async delete(id: string): Promise<boolean> {
      return (await run(`revoke API token ${id}`, () => db('api_tokens').where({ id }).delete())) > 0;
    },
  };
}

export interface Session {
  idHash: string;
  userId: string;
  expiresAt: number;
}

const sessionFromRow = (r: Row): Session => ({ idHash: String(r.id_hash), userId: String(r.user_id), expiresAt: num(r.expires_at) });

export function sessionsRepository(db: Db) {
  return {
    /** Returns the session only while it has not expired. */
    async get(idHash: string, now: number = Date.now()): Promise<Session | undefined> {
      const r = await run('get session', () => db('sessions').where({ id_hash: idHash }).where('expires_at', '>', now).first());
      return r ? sessionFromRow(r) : undefined;
    },
    async insert(session: Session): Promise<Session> {
      await run('start session', () => db('sessions').insert({ id_hash: session.idHash, user_id: session.userId, expires_at: session.expiresAt }));
      return { ...session };
    },
    async delete(idHash: string): Promise<boolean> {
      return (await run('end session', () => db('sessions').where({ id_hash: idHash }).delete())) > 0;
    },
    /** Returns how many expired sessions were removed. */
    async deleteExpired(now: number = Date.now()): Promise<number> {
      return run('remove expired sessions', () => db('sessions').where('expires_at', '<=', now).delete());
    },
  };
}

export interface SetupToken {
  tokenHash: string;
  expiresAt: number;
  usedAt: number | null;
}

export function setupTokensRepository(db: Db) {
  return {
    async get(tokenHash: string): Promise<SetupToken | undefined> {
      const r = await run('get setup token', () => db('setup_tokens').where({ token_hash: tokenHash }).first());
      return r ? { tokenHash: String(r.token_hash), expiresAt: num(r.expires_at), usedAt: numOrNull(r.used_at) } : undefined;
    },
    async insert(input: { tokenHash: string; expiresAt: number }): Promise<SetupToken> {
      await run('add setup token', () => db('setup_tokens').insert({ token_hash: input.tokenHash, expires_at: input.expiresAt, used_at: null }));
      return { tokenHash: input.tokenHash, expiresAt: input.expiresAt, usedAt: null };
    },
    /**
     * Marks the token used if it is unused and unexpired, in one statement so that two requests racing
     * with the same token cannot both succeed. Returns whether this call consumed it.
     */
    async consume(tokenHash: string, now: number = Date.now()): Promise<boolean> {
      const n = await run('use setup token', () =>
        db('setup_tokens').where({ token_hash: tokenHash }).whereNull('used_at').where('expires_at', '>', now).update({ used_at: now }),
      );
      return n > 0;
    },
    async delete(tokenHash: string): Promise<boolean> {
      return (await run('remove setup token', () => db('setup_tokens').where({ token_hash: tokenHash }).delete())) > 0;
    },
  };
}

export type UsersRepository = ReturnType<typeof usersRepository>;
export type ApiTokensRepository = ReturnType<typeof apiTokensRepository>;
export type SessionsRepository = ReturnType<typeof sessionsRepository>;
export type SetupTokensRepository = ReturnType<typeof setupTokensRepository>;
