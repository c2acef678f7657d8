// The `warren` command against a real hub: tokens made on the hub's machine, plugins listed with
// their states (human and --json), a one-line reason and a non-zero exit on every error.
import t from 'tap';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestHub } from '../../../helpers/hub.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../../../../bin/warren.js');
const fixtures = join(import.meta.dirname, '../../../fixtures/plugins');

async function warren(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [bin, ...args], { env: { ...process.env, WARREN_TOKEN: '', ...env }, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

t.test('tokens, plugins and errors through the CLI', async (t) => {
  const th = await startTestHub(t, {
    env: { WARREN_ADMIN_PASSWORD: 'correct horse battery', WARREN_PLUGIN_PATHS: ['works', 'wrong-api'].map((n) => join(fixtures, n)).join(':') },
  });
  const created = await warren(['--data-dir', th.dataDir, '--json', 'tokens', 'create', 'cli']);
  t.equal(created.code, 0, created.stderr);
  const token = JSON.parse(created.stdout).token as string;
  t.match(token, /^wrn_/);

  const listed = await warren(['--data-dir', th.dataDir, '--json', 'tokens', 'list']);
  t.same(JSON.parse(listed.stdout).map((x: { name: string }) => x.name), ['cli']);
  t.notOk(listed.stdout.includes(token), 'the list never shows a token');

  const json = await warren(['--hub', th.url, '--token', token, '--json', 'plugins']);
  t.equal(json.code, 0, json.stderr);
  const data = JSON.parse(json.stdout) as { plugins: { name: string; state: string; error?: { code: string } }[] };
  t.ok(data.plugins.some((p) => p.name === '@warren/docker-host'), 'built-in plugins are listed');
  t.equal(data.plugins.find((p) => p.name === 'warren-fixture-wrong-api')?.error?.code, 'WARREN_ERR_PLUGIN_API_MISMATCH');

  const human = await warren(['--hub', th.url, '--token', token, 'plugins']);
  t.equal(human.code, 0);
  t.match(human.stdout, /warren-fixture-wrong-api\s+1\.0\.0\s+third-party\s+refused/);

  const noToken = await warren(['--hub', th.url, '--data-dir', '/nonexistent', 'plugins']);
  t.equal(noToken.code, 1);
  t.match(noToken.stderr, /^warren: log in first.*warren tokens create/);
  t.equal(noToken.stderr.trim().split('\n').length, 1, 'one line');

  const noHub = await warren(['--hub', 'http://127.0.0.1:9', '--token', token, 'plugins']);
  t.equal(noHub.code, 1);
  t.match(noHub.stderr, /cannot reach the hub at http:\/\/127\.0\.0\.1:9/);
});
