// The README's first command line, for real: `npm start` builds and serves; /api/health answers;
// SIGTERM shuts the hub down cleanly (exit 0, connections closed, plugins unloaded).
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

t.test('npm start serves /api/health, and SIGTERM stops it cleanly', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'warren-start-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: { ...process.env, WARREN_DATA_DIR: dataDir, WARREN_PORT: String(port), WARREN_ADMIN_PASSWORD: 'correct horse battery', WARREN_NO_LOCAL_DEVICE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } });

  let health: Response | undefined;
  for (let i = 0; i < 240 && !health; i++) {
    try {
      health = await fetch(`http://127.0.0.1:${port}/api/health`);
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  t.ok(health, `the hub answered (log so far:\n${out.slice(-2000)})`);
  t.equal(health?.status, 200);
  t.same(((await health?.json()) as { status: string }).status, 'ok');
  t.equal((await fetch(`http://127.0.0.1:${port}/api/plugins`)).status, 401);
  const page = await fetch(`http://127.0.0.1:${port}/`);
  t.match(await page.text(), /<wn-app>/, 'the UI shell is served');

  // npm forwards signals poorly; signal the hub process itself (the node child of npm).
  const { execSync } = await import('node:child_process');
  const pids = execSync(`pgrep -f '^node dist/warren.js serve'`).toString().trim().split('\n').map(Number);
  const groupOf = (pid: number) => Number(execSync(`ps -o pgid= -p ${pid}`).toString().trim());
  const hubPid = pids.find((p) => groupOf(p) === child.pid) ?? 0;
  t.ok(hubPid > 0, 'found the hub process');
  process.kill(hubPid, 'SIGTERM');
  const code = await exited;
  t.equal(code, 0, 'exit code 0 after SIGTERM');
  t.match(out, /"msg":"stopping"/);
  t.match(out, /"msg":"stopped"/);
});
