// A real hub for the browser tests: every feature, images rewritten to the locally built ones, the
// web UI from dist/ui (built once per run), and a Chromium driven by playwright-core.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { AppsFeature } from '../../../core/apps/index.js';
import { CatalogFeature } from '../../../core/catalog/index.js';
import { DevicesFeature } from '../../../core/devices/index.js';
import { featureRoutes } from '../../../core/features.js';
import type { HubExtension } from '../../../core/hub.js';
import { PoolingFeature } from '../../../core/pooling/index.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';
import { readState, type TestEnvState } from '../../helpers/services.js';

export const root = join(import.meta.dirname, '../../..');
export const screenshots = join(root, 'docs/screenshots');
export const PASSWORD = 'correct horse battery';
// Whichever release the pooling feature picks for a server (a dedicated one takes the newest the app
// allows), the locally built image answers: the test machine pulls nothing.
const REWRITES = {
  ...Object.fromEntries(['13', '14', '15', '16', '17'].map((v) => [`postgres:${v}`, 'warren-test/postgres:15'])),
  ...Object.fromEntries(['10.6', '10.11', '11', '11.4'].map((v) => [`mariadb:${v}`, 'warren-test/mariadb:10.11'])),
};

let built = false;
/** dist/ui from this checkout's ui/ (the hub serves dist/ui when run from source). */
export function buildUi(): void {
  if (built) return;
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
  built = true;
}

type Teardown = { teardown(fn: () => unknown): void };

/**
 * Removes the database servers of one pooling namespace (shared and dedicated, with their volumes and
 * networks) from the local engine and the test devices' engines.
 */
export function removePools(namespace: string): void {
  const state = readState();
  const sockets = [state.docker?.socket, ...(state.devices ?? []).map((d) => d.docker.socket)].filter((x): x is string => !!x);
  const label = `label=warren.pool.namespace=${namespace}`;
  for (const socket of sockets) {
    const docker = (...args: string[]) => execFileSync('docker', ['-H', `unix://${socket}`, ...args], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n').filter(Boolean);
    try {
      const ids = docker('ps', '-aq', '--filter', label);
      if (ids.length) docker('rm', '-f', '-v', ...ids);
      for (const kind of ['volume', 'network']) {
        const names = docker(kind, 'ls', '-q', '--filter', label);
        if (names.length) docker(kind, 'rm', ...names);
      }
    } catch {
      // an engine that is not there has nothing of ours
    }
  }
}

export async function uiHub(t: Teardown, opts: { adminPassword?: boolean; pollIntervalMs?: number; extensions?: HubExtension[] } = {}): Promise<TestHub> {
  buildUi();
  // The hub's database servers get a namespace of their own, removed when the test ends (they outlive
  // the apps that used them by design).
  const namespace = `wu${randomBytes(3).toString('hex')}`;
  t.teardown(() => removePools(namespace));
  return startTestHub(t, {
    env: opts.adminPassword === false ? {} : { WARREN_ADMIN_PASSWORD: PASSWORD },
    hub: {
      routeModules: featureRoutes(),
      extensions: [
        new DevicesFeature({ pollIntervalMs: opts.pollIntervalMs ?? 2_000, watchedIntervalMs: 1_000 }),
        new PoolingFeature({ imageRewrites: REWRITES, healthTimeoutMs: 120_000, namespace }),
        new CatalogFeature(),
        new AppsFeature({ imageRewrites: REWRITES, reconcileIntervalMs: 1_000, healthTimeoutMs: 120_000 }),
        ...(opts.extensions ?? []),
      ],
    },
  });
}

/** Session cookie for REST calls made by the test itself (set-up the UI is not under test for). */
export async function adminCookie(th: TestHub): Promise<string> {
  const r = await th.call('POST', '/api/auth/login', { body: { username: 'admin', password: PASSWORD } });
  if (r.status !== 200) throw new Error(`login failed: ${JSON.stringify(r.body)}`);
  return r.headers.get('set-cookie')!.split(';')[0]!;
}

export const tlsOf = (s: TestEnvState, i: number) => {
  const f = s.devices![i]!.docker.tcp.tls;
  return { ca: readFileSync(f.ca, 'utf8'), cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') };
};

/** The shared test devices as POST /api/devices bodies: the local engine, dev1 over SSH, dev2 over TCP+TLS. */
export function deviceBodies(state: TestEnvState): Record<string, unknown>[] {
  const [dev1, dev2] = state.devices!;
  const helperImage = state.images!.web;
  return [
    { name: 'local', connection: { type: 'socket', socketPath: state.docker!.socket }, helperImage },
    { name: 'dev1', connection: { type: 'ssh', host: dev1!.ssh.host, port: dev1!.ssh.port, username: dev1!.ssh.username, privateKey: readFileSync(dev1!.ssh.privateKeyPath, 'utf8') }, helperImage },
    { name: 'dev2', connection: { type: 'tcp', host: dev2!.docker.tcp.host, port: dev2!.docker.tcp.port, tls: tlsOf(state, 1) }, nodeExporterUrl: dev2!.nodeExporter!.url, helperImage },
  ];
}

// One polling helper for every suite; re-exported for the suites that import it from here.
import { until } from '../../helpers/wait.js';
export { until };

/** A TCP relay in front of an address that the test can cut: a device going away without touching the shared one. */
export async function relay(t: Teardown, host: string, port: number): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (server.listening) server.close(() => resolve());
      else resolve();
    });
  t.teardown(cut);
  return { port: (server.address() as { port: number }).port, cut };
}

/** The system Chromium; playwright gives each launch a fresh temporary profile and removes it on close. */
export async function browser(t: Teardown, executablePath: string): Promise<Browser> {
  const b = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  t.teardown(() => b.close());
  return b;
}

/** The window size every suite's pages start with (screenshots at a laptop's size). */
export const desktop = { viewport: { width: 1280, height: 860 } };

export interface AdminSession {
  page: Page;
  /** Script errors the page threw (a suite ends with `t.same(errors, [])`). */
  errors: string[];
  /** REST calls as the admin, for set-up and checks the UI is not under test for. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>;
}

/**
 * A fresh Chromium with one desktop page logged in as the admin through the form; the page's script
 * errors are collected and its confirm() dialogs accepted (the UI asks before removing or replacing).
 */
export async function adminSession(t: Teardown, th: TestHub, executablePath: string): Promise<AdminSession> {
  const cookie = await adminCookie(th);
  const b = await browser(t, executablePath);
  const page = await b.newPage(desktop);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await logIn(page, th.url);
  return { page, errors, api: (method, path, body) => th.call(method, path, { cookie, body }) };
}

// Runs in the page. Kept as source text: the test runner's transform would wrap named functions in a
// helper (__name) that does not exist in the page.
const RECORD_TEXTS = `({ host, selector, key }) => {
  function find(root) {
    for (const el of root.querySelectorAll('*')) {
      if (el.localName === host) return el;
      const inner = el.shadowRoot && find(el.shadowRoot);
      if (inner) return inner;
    }
    return undefined;
  }
  const shadow = find(document)?.shadowRoot;
  if (!shadow) throw new Error('no ' + host + ' on the page');
  const seen = (window[key] = []);
  function note() {
    const text = shadow.querySelector(selector)?.textContent?.trim();
    if (text && text !== seen.at(-1)) seen.push(text);
  }
  new MutationObserver(note).observe(shadow, { subtree: true, childList: true, characterData: true, attributes: true });
  note();
}`;

/**
 * Records each text an element inside a component's shadow root takes, as the page renders it: a
 * state that lasts a moment (upload progress) is missed by polling. Returns a reader of the list.
 */
export async function recordTexts(page: Page, host: string, selector: string): Promise<() => Promise<string[]>> {
  const key = `__texts_${randomBytes(4).toString('hex')}`;
  await page.evaluate(`(${RECORD_TEXTS})(${JSON.stringify({ host, selector, key })})`);
  return () => page.evaluate(`[...window[${JSON.stringify(key)}]]`) as Promise<string[]>;
}

/** Caps the page's upload speed (bytes per second; -1 lifts the cap), as a slow home uplink would. */
export async function throttleUploads(page: Page, bytesPerSecond: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: bytesPerSecond });
}

/** Logs in as the admin through the login form and waits for the dashboard. */
export async function logIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/#/dashboard`);
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

/** Saves a screenshot of the page under docs/screenshots (PNG, viewport only to stay small). */
export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), animations: 'disabled', caret: 'hide' });
}
