// Kill the hub at every step boundary of an update (WARREN_TEST_CRASH_AT=update:<step>:<before|after>),
// start it again without the hook, and check that the update was either finished (the new version runs)
// or rolled back (the old version runs) — healthy, on the same volume and data, with the same secrets,
// and no operation left unfinished. Real hub processes on the local Docker sharing one data directory.
// Run under /tmp/warren-services.lock.
import t from 'tap';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { needServices } from '../../../helpers/services.js';
import { leftovers, until } from './fixture.js';
import { crashWorkspace, deviceReady, killedWithin, recovered, setupHub, startHub, stopHub, waitOp } from './hub-process.js';

const root = join(import.meta.dirname, '../../../..');
const APP = 'upd-demo';
const PROJECT = `warren-${APP}`;
const UPDATE_STEPS = ['secrets', 'database', 'deploy', 'healthy', 'finish'];

function publish(catalogDir: string, version: string): void {
  rmSync(join(catalogDir, APP), { recursive: true, force: true });
  cpSync(join(root, 'test/fixtures/catalog-update', version, APP), join(catalogDir, APP), { recursive: true });
}

/** Version, secret and first-start file of the running container (the file lives in the app's volume). */
async function observe(docker: Docker): Promise<{ version: string; token: string; first: string; volume: string }> {
  const [c] = await docker.listContainers({ filters: JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }) });
  if (!c) throw new Error(`no running container of ${PROJECT}`);
  const info = await docker.getContainer(c.Id).inspect();
  const env = Object.fromEntries(info.Config.Env.map((e: string) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const exec = await docker.getContainer(c.Id).exec({ Cmd: ['cat', '/data/first'], AttachStdout: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => { stream.on('data', (b: Buffer) => chunks.push(b)); stream.on('end', () => resolve()); });
  const first = Buffer.concat(chunks).subarray(8).toString('utf8').trim();
  return { version: String(env.APP_VERSION), token: String(env.TOKEN), first, volume: String(info.Mounts.find((m: { Destination: string }) => m.Destination === "/data")?.Name) };
}

t.setTimeout(30 * 60_000);

t.test('a hub killed at every step boundary of an update finishes it or rolls it back', async (t) => {
  const state = needServices(t, 'docker', 'images');
  if (!state) return;
  const started = Date.now();
  const docker = new Docker({ socketPath: state.docker!.socket });
  const { dataDir, catalogDir } = crashWorkspace(t, docker, PROJECT, 'update-crash');
  publish(catalogDir, 'v1');

  // Set-up: the local Docker as a device and version 1 installed, in the shared data directory.
  const setup = await setupHub(t, { dataDir, catalogDir }, state);
  await deviceReady(setup);
  const installed = await setup.api('POST', '/api/apps', { app: APP });
  t.equal((await waitOp(setup, installed.body.operation)).state, 'done', 'v1 installed');
  const original = await observe(docker);
  t.match(original, { version: '1.0.0', first: /^1\.0\.0 [A-Za-z0-9]{24}$/ });
  await stopHub(setup);

  const only = process.env.WARREN_CRASH_BOUNDARIES?.split(',').filter(Boolean);
  const boundaries = UPDATE_STEPS.flatMap((s) => [`update:${s}:before`, `update:${s}:after`]).filter((b) => !only || only.includes(b));
  const outcomes: Record<string, string> = {};
  for (const at of boundaries) {
    await t.test(at, async (t) => {
      publish(catalogDir, 'v2');
      const dying = await startHub(dataDir, catalogDir, at);
      await deviceReady(dying);
      const r = await dying.api('POST', `/api/apps/${APP}/update`);
      t.equal(r.status, 202, JSON.stringify(r.body.error ?? ''));
      t.equal(await killedWithin(dying, 120_000), 'SIGKILL', `the hub died at ${at}`);

      const hub = await startHub(dataDir, catalogDir);
      try {
        const ops = await recovered(hub);
        const last = ops.find((o) => o.id === r.body.operation)!;
        t.ok(['done', 'rolled_back'].includes(last.state), `the interrupted update ended ${last.state}${last.error ? ` (${last.error})` : ''}`);
        const app = (await hub.api('GET', `/api/apps/${APP}`)).body.app;
        const now = await observe(docker);
        outcomes[at] = now.version;
        t.equal(app.catalogVersion, now.version, 'the app row names the version that runs');
        t.equal(app.status, 'running');
        t.equal(last.state === 'done' ? '2.0.0' : '1.0.0', now.version, 'finished means v2, rolled back means v1');
        t.match(now, { token: original.token, first: original.first, volume: original.volume }, 'same secret, same volume, same data');
        // Back to v1 for the next boundary: an "update" to the catalog's v1.
        if (now.version !== '1.0.0') {
          publish(catalogDir, 'v1');
          t.same((await hub.api('POST', '/api/catalog/refresh')).body.problems, []);
          const back = await hub.api('POST', `/api/apps/${APP}/update`);
          t.equal((await waitOp(hub, back.body.operation)).state, 'done', 'back to v1');
        }
      } finally {
        await stopHub(hub);
      }
    });
  }
  // Before the new stack is deployed an update is rolled back; from then on it is finished.
  if (!only) t.same(outcomes, Object.fromEntries(boundaries.map((b) => {
    const [, step, when] = b.split(':');
    const i = UPDATE_STEPS.indexOf(step!);
    return [b, i > 2 || (i === 2 && when === 'after') ? '2.0.0' : '1.0.0'];
  })), 'each boundary ends the way its place in the journal says');

  // Remove through a last hub: nothing of the app is left.
  const hub = await startHub(dataDir, catalogDir);
  try {
    // The device connects in the background after start; removal needs its engine.
    await deviceReady(hub);
    const gone = await until('the removal to be accepted', async () => {
      const r = await hub.api('DELETE', `/api/apps/${APP}?removeData=true`);
      if (r.status !== 202) throw new Error(`${r.status} ${JSON.stringify(r.body.error ?? r.body)}`);
      return r;
    }, 60_000);
    t.equal((await waitOp(hub, gone.body.operation)).state, 'done');
  } finally {
    await stopHub(hub);
  }
  t.same(await leftovers(docker, PROJECT), []);
  t.comment(`${boundaries.length} boundaries in ${Math.round((Date.now() - started) / 1000)} s`);
});
