// Starts a real hub in this process on a free port with a fresh data directory, capturing its log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { configFromEnv, type HubConfig } from '../../core/config.js';
import { Hub, type HubOptions } from '../../core/hub.js';
import { createLogger } from '../../core/log.js';

export interface TestHub {
  hub: Hub;
  url: string;
  dataDir: string;
  logs: string[];
  /** fetch against the hub with an optional bearer token. */
  call(method: string, path: string, opts?: { token?: string; cookie?: string; body?: unknown }): Promise<{ status: number; body: any; headers: Headers }>;
}

export async function startTestHub(
  t: { teardown(fn: () => unknown): void },
  opts: { env?: Record<string, string>; config?: Partial<HubConfig>; hub?: HubOptions; keepDataDir?: string } = {},
): Promise<TestHub> {
  const dataDir = opts.keepDataDir ?? mkdtempSync(join(tmpdir(), 'warren-hub-'));
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _e, cb) { logs.push(chunk.toString()); cb(); } });
  const config = {
    ...configFromEnv({ WARREN_DATA_DIR: dataDir, WARREN_PORT: '0', WARREN_HOST: '127.0.0.1', WARREN_NO_LOCAL_DEVICE: '1', ...opts.env }),
    ...opts.config,
  };
  const hub = await Hub.start(config, { logger: createLogger({ level: 'debug', destination: sink }), ...opts.hub });
  t.teardown(async () => {
    await hub.stop('test over');
    if (!opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  const call: TestHub['call'] = async (method, path, o = {}) => {
    const res = await fetch(`${hub.url}${path}`, {
      method,
      headers: {
        ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(o.cookie ? { cookie: o.cookie } : {}),
      },
      body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body, headers: res.headers };
  };
  return { hub, url: hub.url, dataDir, logs, call };
}

/** Logs in with the admin password given by WARREN_ADMIN_PASSWORD and returns a fresh API token. */
export async function adminToken(th: TestHub, password = 'correct horse battery'): Promise<string> {
  const login = await th.call('POST', '/api/auth/login', { body: { username: 'admin', password } });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  const cookie = login.headers.get('set-cookie')!.split(';')[0];
  const created = await th.call('POST', '/api/tokens', { cookie, body: { name: 'test' } });
  return created.body.token as string;
}
