// Real hub processes for the suites that kill one (WARREN_TEST_CRASH_AT) and start another on the same
// data directory: the local Docker is added as a device by the suite, the catalog is one folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Test } from 'tap';
import type { TestEnvState } from '../../../helpers/services.js';
import { PASSWORD, removeProject, TEST_REWRITES, until } from './fixture.js';

const root = join(import.meta.dirname, '../../../..');

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

export interface RunningHub {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  output(): string;
}

export async function startHub(dataDir: string, catalogDir: string, crashAt?: string): Promise<RunningHub> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'core/cli/main.ts'), 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      WARREN_DATA_DIR: dataDir,
      WARREN_PORT: String(port),
      WARREN_HOST: '127.0.0.1',
      WARREN_ADMIN_PASSWORD: PASSWORD,
      WARREN_NO_LOCAL_DEVICE: '1',
      WARREN_POLL_INTERVAL_SECONDS: '5',
      WARREN_APPS_RECONCILE_SECONDS: '1',
      WARREN_APPS_HEALTH_TIMEOUT_SECONDS: '120',
      WARREN_IMAGE_REWRITES: JSON.stringify(TEST_REWRITES),
      WARREN_CATALOG_SOURCES: JSON.stringify([catalogDir]),
      ...(crashAt ? { WARREN_TEST_CRASH_AT: crashAt } : { WARREN_TEST_CRASH_AT: '' }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  // The admin account is made once the features have started, a moment after the port answers.
  const cookie = await until('the hub to let the admin in', async () => {
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
    return login.ok && login.headers.get('set-cookie')?.split(';')[0];
  }, 60_000);
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* text */ }
    return { status: res.status, body: parsed as any };
  };
  return { child, exited, api, output: () => out };
}

export async function stopHub(h: RunningHub): Promise<void> {
  if (h.child.exitCode === null && h.child.signalCode === null) h.child.kill('SIGTERM');
  await h.exited;
}

/** Adds the local Docker as device "local", with the test environment's helper image (every suite's set-up). */
export function addLocalDevice(h: RunningHub, state: TestEnvState): Promise<{ status: number; body: any }> {
  return h.api('POST', '/api/devices', { name: 'local', connection: { type: 'socket', socketPath: state.docker!.socket }, helperImage: state.images!.web });
}


/**
 * The data directory the suite's hubs share and its catalog folder; when the test ends both are removed
 * with the app's Compose project (containers, volumes, networks) on the local engine.
 */
export function crashWorkspace(t: Test, docker: Docker, project: string, name: string): { dataDir: string; catalogDir: string } {
  const dataDir = mkdtempSync(join(tmpdir(), `warren-${name}-`));
  const catalogDir = mkdtempSync(join(tmpdir(), `warren-${name}-catalog-`));
  t.teardown(async () => {
    await removeProject(docker, project);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(catalogDir, { recursive: true, force: true });
  });
  return { dataDir, catalogDir };
}

/** The set-up hub (no crash hook): started on the workspace with the local Docker saved as device "local". */
export async function setupHub(t: Test, ws: { dataDir: string; catalogDir: string }, state: TestEnvState): Promise<RunningHub> {
  const h = await startHub(ws.dataDir, ws.catalogDir);
  const added = await addLocalDevice(h, state);
  t.equal(added.status, 201, `device local added${added.status === 201 ? '' : `: ${JSON.stringify(added.body.error ?? added.body)}`}`);
  return h;
}

export async function deviceReady(h: RunningHub): Promise<void> {
  await until('device local online with fresh metrics', async () => {
    const d = (await h.api('GET', '/api/devices/snapshot')).body.devices?.[0];
    return d?.online && d.metricsAgeSeconds !== null && d.metricsAgeSeconds < 30;
  }, 90_000);
}

export async function waitOp(h: RunningHub, id: string): Promise<any> {
  return until(`operation ${id}`, async () => {
    const op = (await h.api('GET', `/api/operations/${id}`)).body.operation;
    return op && !['pending', 'running'].includes(op.state) && op;
  }, 180_000);
}


/**
 * Waits up to `ms` for a hub started with WARREN_TEST_CRASH_AT to die; one still alive then is stopped.
 * Returns the signal it died of (SIGKILL when the hook fired), or undefined when it had to be stopped.
 */
export async function killedWithin(h: RunningHub, ms: number): Promise<NodeJS.Signals | null | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const end = await Promise.race([h.exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  clearTimeout(timer);
  if (!end) await stopHub(h);
  return end?.signal;
}

export interface OperationView { id: string; kind: string; state: string; error: string | null }

/** Waits until a restarted hub's recovery has ended every operation; returns them all. */
export function recovered(h: RunningHub): Promise<OperationView[]> {
  return until('recovery to end every operation', async () => {
    const ops = (await h.api('GET', '/api/operations')).body.operations as OperationView[] | undefined;
    return ops && ops.length > 0 && ops.every((o) => o.state !== 'pending' && o.state !== 'running') && ops;
  }, 180_000);
}
