// Updates on the local Docker with a fixture catalog of one small app in several versions
// (test/fixtures/catalog-update, built on the local warren-test/web image): a good update keeps the
// app's data and secrets; an update that never becomes healthy, or whose image cannot be had, is rolled
// back and the app runs its previous version on the same data; `warren apps logs --follow` streams the
// installed app's lines until Ctrl-C. Run under /tmp/warren-services.lock.
import t from 'tap';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { needServices } from '../../../helpers/services.js';
import { appsHub, leftovers, until } from './fixture.js';

const root = join(import.meta.dirname, '../../../..');
const fixtures = join(root, 'test/fixtures/catalog-update');
const APP = 'upd-demo';
const PROJECT = `warren-${APP}`;

/** Puts `version` (a folder of test/fixtures/catalog-update) in the catalog folder the hub reads. */
function publish(catalogDir: string, version: string): void {
  rmSync(join(catalogDir, APP), { recursive: true, force: true });
  cpSync(join(fixtures, version, APP), join(catalogDir, APP), { recursive: true });
}

async function execIn(docker: Docker, id: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => { stream.on('data', (b: Buffer) => chunks.push(b)); stream.on('end', () => resolve()); });
  // Strip Docker's 8-byte multiplexing headers.
  const buf = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= buf.length;) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

/** What the running container says about itself: its version, env secrets, and the file written on first start. */
async function observe(docker: Docker) {
  const [c] = await docker.listContainers({ filters: JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }) });
  if (!c) throw new Error(`no running container of ${PROJECT}`);
  const info = await docker.getContainer(c.Id).inspect();
  const env = Object.fromEntries(info.Config.Env.map((e: string) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return {
    image: info.Config.Image,
    version: env.APP_VERSION as string,
    token: env.TOKEN as string,
    sessionKey: env.SESSION_KEY as string | undefined,
    first: (await execIn(docker, c.Id, ['cat', '/data/first'])).trim(),
    served: (await execIn(docker, c.Id, ['wget', '-qO-', 'http://127.0.0.1:8080/version'])).trim(),
    volume: info.Mounts.find((m: { Destination: string }) => m.Destination === '/data')?.Name as string,
  };
}

t.setTimeout(20 * 60_000);

t.test('update, rollback and logs of an installed app', async (t) => {
  const state = needServices(t, 'docker', 'images');
  if (!state) return;
  const docker = new Docker({ socketPath: state.docker!.socket });
  const catalogDir = mkdtempSync(join(tmpdir(), 'warren-update-catalog-'));
  publish(catalogDir, 'v1');
  t.teardown(async () => {
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }) })) await docker.getContainer(c.Id).remove({ force: true, v: true });
    for (const v of (await docker.listVolumes({ filters: JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }) })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => {});
    for (const n of await docker.listNetworks({ filters: JSON.stringify({ label: [`com.docker.compose.project=${PROJECT}`] }) })) await docker.getNetwork(n.Id).remove().catch(() => {});
    rmSync(catalogDir, { recursive: true, force: true });
  });
  const { th, api, finish } = await appsHub(t, state, { catalogDirs: [catalogDir] });
  const refresh = async (version: string) => {
    publish(catalogDir, version);
    const r = await api('POST', '/api/catalog/refresh');
    t.same(r.body.problems, [], `catalog has ${version}`);
  };
  const update = async () => {
    const r = await api('POST', `/api/apps/${APP}/update`);
    t.equal(r.status, 202, JSON.stringify(r.body.error ?? ''));
    return finish(r.body.operation);
  };

  const installed = await api('POST', '/api/apps', { app: APP });
  t.equal(installed.status, 202, JSON.stringify(installed.body.error ?? ''));
  t.equal((await finish(installed.body.operation)).state, 'done', 'v1 installed');
  const v1 = await observe(docker);
  t.match(v1, { version: '1.0.0', served: '1.0.0', first: `1.0.0 ${v1.token}` });
  t.match(v1.token, /^[A-Za-z0-9]{24}$/);

  await t.test('warren apps logs --follow streams new lines until Ctrl-C', async (t) => {
    const token = (await api('POST', '/api/tokens', { name: 'logs-cli' })).body.token as string;
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'core/cli/main.ts'), 'apps', 'logs', APP, '--follow', '--tail', '1', '--hub', th.url, '--token', token], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const ticks = () => [...out.matchAll(/^web \| tick (\d+) v1\.0\.0$/gm)].map((m) => Number(m[1]));
    await until('three new lines streamed', async () => ticks().length >= 4, 30_000);
    const seen = ticks();
    t.ok(seen.slice(1).every((n, i) => n === seen[i]! + 1), `lines arrive in order as they are written: ${seen.join(',')}`);
    child.kill('SIGINT');
    const end = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    if (!end) child.kill('SIGKILL');
    t.same(end, { code: 0, signal: null }, `Ctrl-C ends it cleanly${err ? `: ${err}` : ''}`);
    t.notMatch(err, /error|warren:/i, 'nothing on stderr');

    // Without --follow the command prints the tail and returns by itself.
    const once = spawn(process.execPath, ['--import', 'tsx', join(root, 'core/cli/main.ts'), 'apps', 'logs', APP, '--tail', '3', '--hub', th.url, '--token', token], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    once.stdout.on('data', (d) => (text += d));
    const code = await new Promise((resolve) => once.on('exit', resolve));
    t.equal(code, 0);
    t.match(text, /^web \| tick \d+ v1\.0\.0$/m);
    // An unknown app is a clear error, not a hang.
    const bad = spawn(process.execPath, ['--import', 'tsx', join(root, 'core/cli/main.ts'), 'apps', 'logs', 'no-such-app', '--follow', '--hub', th.url, '--token', token], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let badErr = '';
    bad.stderr.on('data', (d) => (badErr += d));
    t.equal(await new Promise((resolve) => bad.on('exit', resolve)), 1);
    t.match(badErr, /no installed app "no-such-app"/);
  });

  await t.test('a good update keeps data and secrets and adds the new secret', async (t) => {
    await refresh('v2');
    const op = await update();
    t.equal(op.state, 'done', JSON.stringify(op.error));
    const app = (await api('GET', `/api/apps/${APP}`)).body.app;
    t.match(app, { catalogVersion: '2.0.0', status: 'running' });
    const v2 = await observe(docker);
    t.match(v2, { version: '2.0.0', served: '2.0.0', token: v1.token, first: v1.first, volume: v1.volume }, 'same volume, same data, same secret');
    t.match(v2.sessionKey, /^[0-9a-f]{32}$/, 'the secret v2 added was generated');
  });

  const v2 = await observe(docker);
  for (const [version, why] of [['v3-unhealthy', /unhealthy|did not become healthy/], ['v4-missing-image', /missing|pull|127\.0\.0\.1:9|connect/i]] as const) {
    await t.test(`a failed update (${version}) is rolled back to the version that ran`, async (t) => {
      await refresh(version);
      const op = await update();
      t.equal(op.state, 'rolled_back', `${op.state}: ${op.error}`);
      t.match(op.error, why, 'the reason is kept');
      t.match(op.steps.find((s: { name: string }) => s.name === 'deploy'), { state: 'undone' });
      const app = (await api('GET', `/api/apps/${APP}`)).body.app;
      t.match(app, { catalogVersion: '2.0.0', status: 'running' }, 'the app says it runs the old version');
      t.same(await observe(docker), v2, 'and it does: same image, version, secrets, volume and data');
    });
  }

  await t.test('updating again once the catalog is fixed works', async (t) => {
    await refresh('v2');
    const op = await update();
    t.equal(op.state, 'done');
    t.match(await observe(docker), { version: '2.0.0', token: v1.token, first: v1.first });
    const r = await api('DELETE', `/api/apps/${APP}?removeData=true`);
    t.equal((await finish(r.body.operation)).state, 'done');
    t.same(await leftovers(docker, PROJECT), [], 'removed with nothing left behind');
  });
});
