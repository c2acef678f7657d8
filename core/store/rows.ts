// Shared by the repositories: the few conversions that differ between SQLite and Postgres, and the
// mapping of driver errors to coded ones.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { WarrenError } from '../errors.js';

/** A knex instance or a transaction: repositories run on either. */
export type Db = Knex | Knex.Transaction;

export type Row = Record<string, unknown>;

export const newId = (): string => randomUUID();

export const toJson = (value: unknown): string => JSON.stringify(value ?? null);

export function fromJson<T>(text: unknown): T {
  return JSON.parse(String(text)) as T;
}

// Postgres bigint arrives as a number thanks to the type parser in index.ts; SQLite gives numbers.
// Number() also guards against a driver configured otherwise.
export const num = (v: unknown): number => Number(v);
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const bool = (v: unknown): boolean => v === true || v === 1 || v === '1';

/** Drops undefined values so that a patch only touches the columns it names. */
export function defined(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined));
}

export function notFound(what: string, id: string): WarrenError {
  return new WarrenError('WARREN_ERR_NOT_FOUND', `${what} ${id} not found`);
}

/**
 * Runs a query, turning constraint violations into WARREN_ERR_CONFLICT (a user can act on those:
 * the name is taken, or something still refers to the row) and anything else into WARREN_ERR_STORE.
 */
export async function run<T>(what: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (e) {
    if (e instanceof WarrenError) throw e;
    const code = String((e as { code?: unknown }).code ?? '');
    const message = (e as Error).message ?? String(e);
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      throw new WarrenError('WARREN_ERR_CONFLICT', `${what}: already exists`, { cause: e, hint: 'choose another id or name' });
    }
    // SQLite reports an ON DELETE RESTRICT violation as SQLITE_CONSTRAINT_TRIGGER; the message tells.
    if (code === '23503' || (code.startsWith('SQLITE_CONSTRAINT') && /FOREIGN KEY constraint failed/.test(message))) {
      throw new WarrenError('WARREN_ERR_CONFLICT', `${what}: it refers to something missing, or something still refers to it`, {
        cause: e,
        hint: 'remove what depends on it first (apps on a device, grants on a server)',
      });
    }
    throw new WarrenError('WARREN_ERR_STORE', `${what}: ${message}`, { cause: e });
  }
}

/** Runs `fn` in the caller's transaction when `db` is one, else in a new transaction. */
export function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction(fn);
}

/**
 * Multi-row insert of rows that all have `columns`, in chunks under both engines' bind-parameter
 * limits. Written as one VALUES list because knex spells multi-row inserts for SQLite as a chain of
 * UNION ALL selects, measured 1.5 times slower for metric batches.
 */
export async function insertRows(db: Db, table: string, columns: readonly string[], rows: readonly Row[]): Promise<void> {
  const chunk = Math.floor(8000 / columns.length);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    await db.raw(`insert into ?? (${columns.map(() => '??').join(', ')}) values ${part.map(() => tuple).join(', ')}`, [
      table,
      ...columns,
      ...part.flatMap((r) => columns.map((c) => (r[c] ?? null) as Knex.Value)),
    ]);
  }
}
