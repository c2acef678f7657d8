// Runs a suite against both engines: SQLite in a temp dir, and Postgres in a fresh database on the
// test environment's server (dropped at the end), skipped or failed per needServices when absent.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type tap from 'tap';
import { openStore, type Store, type StoreOptions } from '../../../../core/store/index.js';
import { SecretBox } from '../../../../core/secrets/secret-box.js';
import { needServices } from '../../../helpers/services.js';

export type Engine = 'sqlite' | 'postgres';

export interface EngineEnv {
  engine: Engine;
  dataDir: string;
  databaseUrl?: string;
  /** Opens a store (closed at the end of the test); pass `migrate: false` for an unmigrated one. */
  open(opts?: Partial<StoreOptions> & { migrate?: boolean }): Promise<Store>;
}

/** The type of `t` inside a tap test callback. */
export type TapTest = Parameters<Parameters<typeof tap.test>[0]>[0];

export const testKey = Buffer.alloc(32, 42);

export function forEachEngine(t: TapTest, body: (t: TapTest, env: EngineEnv) => Promise<void>): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    t.test(engine, async (t) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'warren-store-'));
      t.teardown(() => rm(dataDir, { recursive: true, force: true }));
      let databaseUrl: string | undefined;
      if (engine === 'postgres') {
        // tap's skip() is typed as a subtest factory, which SkippableTest does not admit; it does accept a message.
        const state = needServices(t as unknown as Parameters<typeof needServices>[0], 'postgres');
        if (!state?.postgres) return;
        databaseUrl = await createDatabase(state.postgres.url, t);
      }
      const opened: Store[] = [];
      t.teardown(async () => {
        for (const s of opened) await s.close();
      });
      const env: EngineEnv = {
        engine,
        dataDir,
        databaseUrl,
        async open(opts = {}) {
          const { migrate = true, ...rest } = opts;
          const store = await openStore({ dataDir, databaseUrl, secretBox: SecretBox.fromKey(testKey), ...rest });
          opened.push(store);
          if (migrate) await store.migrate();
          return store;
        },
      };
      await body(t, env);
    });
  }
}

async function createDatabase(adminUrl: string, t: TapTest): Promise<string> {
  const name = `warren_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
