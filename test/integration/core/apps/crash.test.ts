// Kill the hub at every step boundary of an install and of a removal (the test hook
// WARREN_TEST_CRASH_AT=<kind>:<step>:<before|after> makes the hub SIGKILL itself there), start it
// again without the hook, and check: the app ends installed and healthy, or absent with no container,
// network, volume, database, user, grant, app row or secret left behind. Real hub processes on the
// local Docker, one boundary after the other, sharing one data directory.
import t, { type Test } from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { needServices, type TestEnvState } from '../../../helpers/services.js';
import { openStore, type Store } from '../../../../core/store/index.js';
import { crashWorkspace, deviceReady, killedWithin, recovered, setupHub, startHub, stopHub, waitOp, type RunningHub } from './hub-process.js';
import { leftovers, removeDefaultPools, until } from './fixture.js';

const root = join(import.meta.dirname, '../../../..');
const APP = 'crash-demo';
const PROJECT = `warren-${APP}`;
const INSTALL_STEPS = ['record-app', 'secrets', 'database', 'deploy', 'healthy', 'finish'];
const REMOVE_STEPS = ['stop', 'remove-stack', 'database', 'forget'];

/** The demo app under another id, with a one-second healthcheck so that each install is quick. */
function crashCatalog(dir: string): string {
  const text = readFileSync(join(root, 'catalog/apps/warren-demo/compose.yaml'), 'utf8')
    .replace('id: warren-demo', `id: ${APP}`)
    .replace('"8080:8080"', '"18081:8080"')
    .replace('interval: 10s', 'interval: 1s');
  mkdirSync(join(dir, APP), { recursive: true });
  writeFileSync(join(dir, APP, 'compose.yaml'), text);
  return dir;
}

/** The hub's store, opened beside the running hub (SQLite in WAL mode takes a second reader). */
async function withStore<T>(dataDir: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ dataDir });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const column = async (store: Store, sql: string): Promise<Set<string>> =>
  new Set(((await store.knex.raw(sql)) as { id: string | null }[]).map((r) => r.id).filter((x): x is string => !!x));

/** What must be gone once the app is absent; each entry names a leftover. */
async function orphans(docker: Docker, dataDir: string, baselineSecrets: Set<string>): Promise<string[]> {
  const out = await leftovers(docker, PROJECT);
  const servers = await withStore(dataDir, async (store) => {
    if (await store.apps.get(APP)) out.push(`app row ${APP}`);
    for (const g of await store.dbGrants.list({ app: APP })) out.push(`grant ${g.app}/${g.ref}`);
    const referenced = new Set([
      ...(await column(store, 'select admin_secret_ref as id from db_servers')),
      ...(await column(store, 'select secret_ref as id from db_grants')),
      ...(await column(store, 'select secrets_ref as id from apps')),
    ]);
    for (const s of await column(store, 'select id from secrets')) if (!referenced.has(s) && !baselineSecrets.has(s)) out.push(`secret ${s}`);
    for (const o of await store.operations.list({ state: ['pending', 'running'] })) out.push(`unfinished operation ${o.kind} ${o.id}`);
    return column(store, 'select container as id from db_servers');
  });
  // Database servers are checked through this hub's records: other suites may run servers of their own
  // on the same engine. A server whose creation was interrupted is its pooling operation's to undo.
  for (const project of servers) {
    const [c] = await docker.listContainers({ filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
    if (!c) continue;
    const exec = await docker.getContainer(c.Id).exec({ Cmd: ['psql', '-U', 'postgres', '-Atc', "select 'db ' || datname from pg_database where datname like '%crash_demo%' union all select 'user ' || rolname from pg_roles where rolname like '%crash_demo%'"], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => { stream.on('data', (b: Buffer) => chunks.push(b)); stream.on('end', () => resolve()); });
    // Docker multiplexes exec output behind 8-byte frame headers; the names are plain ASCII after them.
    const text = Buffer.concat(chunks).toString('latin1');
    for (const m of text.matchAll(/(db|user) ([a-z0-9_]*crash_demo[a-z0-9_]*)/g)) out.push(`${m[1]} ${m[2]} in ${project}`);
  }
  return out;
}

function secretIds(dataDir: string): Promise<Set<string>> {
  return withStore(dataDir, (store) => column(store, 'select id from secrets'));
}

async function installed(t: Test, h: RunningHub): Promise<void> {
  const app = (await h.api('GET', `/api/apps/${APP}`)).body.app;
  t.equal(app.status, 'running', 'installed and running');
  const page = await until('the page', async () => {
    const res = await fetch('http://127.0.0.1:18081/');
    return res.ok && (await res.text());
  }, 30_000);
  t.match(page, /database: /, 'and healthy: its page reaches its database');
}

// 20 boundaries, each two real hub starts: well past the suite's default per-file timeout on a busy machine.
t.setTimeout(45 * 60_000);

t.test('a hub killed at every step boundary of install and remove recovers to installed or absent', async (t) => {
  const state = needServices(t, 'docker', 'images');
  if (!state) return;
  const started = Date.now();
  const docker = new Docker({ socketPath: state.docker!.socket });
  await removeDefaultPools(docker);
  t.teardown(() => removeDefaultPools(docker));
  const { dataDir, catalogDir } = crashWorkspace(t, docker, PROJECT, 'crash');
  crashCatalog(catalogDir);

  // Set-up: the local Docker as a device, saved in the shared data directory.
  await stopHub(await setupHub(t, { dataDir, catalogDir }, state));

  // WARREN_CRASH_BOUNDARIES (comma-separated) runs a subset while working on one step.
  const only = process.env.WARREN_CRASH_BOUNDARIES?.split(',').filter(Boolean);
  const boundaries = [
    ...INSTALL_STEPS.flatMap((s) => [`install:${s}:before`, `install:${s}:after`]),
    ...REMOVE_STEPS.flatMap((s) => [`remove:${s}:before`, `remove:${s}:after`]),
  ].filter((b) => !only || only.includes(b));
  const outcomes: Record<string, string> = {};
  for (const at of boundaries) {
    await t.test(at, async (t) => {
      let mark = Date.now();
      const phases: string[] = [];
      const phase = (name: string) => { phases.push(`${name} ${((Date.now() - mark) / 1000).toFixed(1)} s`); mark = Date.now(); };
      t.teardown(() => t.comment(phases.join(', ')));
      const baseline = await secretIds(dataDir);
      const dying = await startHub(dataDir, catalogDir, at);
      phase('start');
      await deviceReady(dying);
      phase('device ready');
      if (at.startsWith('remove:')) {
        const r = await dying.api('POST', '/api/apps', { app: APP });
        t.equal((await waitOp(dying, r.body.operation)).state, 'done', 'installed first');
        const gone = await dying.api('DELETE', `/api/apps/${APP}?removeData=true`);
        t.equal(gone.status, 202);
      } else {
        const r = await dying.api('POST', '/api/apps', { app: APP });
        t.equal(r.status, 202, JSON.stringify(r.body.error ?? ''));
      }
      t.equal(await killedWithin(dying, 180_000), 'SIGKILL', `the hub died at ${at}`);
      phase('until killed');

      const hub = await startHub(dataDir, catalogDir);
      try {
        const ops = await recovered(hub);
        phase('restart and recovery');
        const last = ops.filter((o) => o.kind === at.split(':')[0]).at(-1)!;
        t.not(last.state, 'failed', `the interrupted ${last.kind} ended ${last.state}${last.error ? ` (${last.error})` : ''}`);
        const present = (await hub.api('GET', `/api/apps/${APP}`)).status === 200;
        outcomes[at] = present ? 'installed' : 'absent';
        if (present) {
          await installed(t, hub);
          const r = await hub.api('DELETE', `/api/apps/${APP}?removeData=true`);
          t.equal((await waitOp(hub, r.body.operation)).state, 'done', 'then removed');
          phase('check and remove');
        }
        t.same(await orphans(docker, dataDir, baseline), [], 'absent with nothing orphaned');
        phase('orphan check');
      } finally {
        await stopHub(hub);
        phase('stop');
      }
    });
  }
  // Before the deploy is done an install rolls back; from then on it is finished. Removal always finishes.
  if (!only) t.same(outcomes, Object.fromEntries(boundaries.map((b) => {
    const [kind, step, when] = b.split(':');
    if (kind === 'remove') return [b, 'absent'];
    const i = INSTALL_STEPS.indexOf(step!);
    return [b, i > 3 || (i === 3 && when === 'after') ? 'installed' : 'absent'];
  })), 'each boundary ends the way its place in the journal says');
  t.comment(`${boundaries.length} boundaries in ${Math.round((Date.now() - started) / 1000)} s`);
});
