// Warren's stacks are Compose stacks to other tools: the Compose CLI lists, inspects and tears them
// down from their labels alone. Compose v2 (`docker compose`) is checked with `ls`, v1 (`docker-compose`,
// Debian's package) with `ps` and `down`, since v1 has no `ls` and needs the service names in a file.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import plugin from '../../../plugins/docker-host/index.js';
import { needServices } from '../../helpers/services.js';
import { setupHost, socketConfig } from './hosts.js';

const works = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

const state = needServices(t as unknown as Parameters<typeof needServices>[0], 'docker', 'images');
const v2 = works('docker', ['compose', 'version']);
const v1 = works('docker-compose', ['version']);

if (state && !v1 && !v2) {
  // A skip even in CI: the Compose CLI is an outside tool this suite checks against, not a service
  // the test environment promises (yet).
  (t as unknown as { skip(message: string): void }).skip('no Compose CLI: neither `docker compose` nor `docker-compose` (apt-get install -y docker-compose)');
} else if (state) {
  const env = { ...process.env, DOCKER_HOST: `unix://${state.docker!.socket}` };
  const host = await setupHost(plugin, 'docker', socketConfig(state.docker!.socket, state));
  const project = `wcc-${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'warren-compose-'));
  t.teardown(async () => {
    await host.removeStack(project, { removeVolumes: true }).catch(() => undefined);
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  await host.deployStack({
    project,
    workingDir: dir,
    configFiles: [join(dir, 'compose.yaml')],
    services: {
      web: { image: state.images!.web!, volumes: [{ type: 'volume', source: 'data', target: '/data' }] },
      worker: { image: state.images!.web!, command: ['sleep', '3600'], dependsOn: { web: { condition: 'service_started' } } },
    },
    volumes: { data: {} },
  });

  if (v2) {
    t.test('docker compose ls lists the stack Warren deployed', async (t) => {
      const list = JSON.parse(execFileSync('docker', ['compose', 'ls', '--all', '--format', 'json'], { env, encoding: 'utf8' })) as { Name: string; Status: string; ConfigFiles: string }[];
      const mine = list.find((p) => p.Name === project);
      t.ok(mine, 'listed');
      t.match(mine?.Status, /running\(2\)/);
      t.equal(mine?.ConfigFiles, join(dir, 'compose.yaml'));
      const ps = execFileSync('docker', ['compose', '-p', project, 'ps', '--format', 'json', '-a'], { env, encoding: 'utf8' });
      t.match(ps, `${project}-web-1`);
      t.match(ps, `${project}-worker-1`);
    });
  } else {
    t.test('docker-compose (v1) sees the stack Warren deployed and can take it down', async (t) => {
      // v1 filters by the services named in a file; the file names them and nothing else.
      writeFileSync(join(dir, 'compose.yaml'), `services:\n  web:\n    image: ${state.images!.web!}\n  worker:\n    image: ${state.images!.web!}\n`);
      const ps = execFileSync('docker-compose', ['-p', project, 'ps'], { env, cwd: dir, encoding: 'utf8' });
      t.match(ps, new RegExp(`${project}-web-1 .* Up`));
      t.match(ps, new RegExp(`${project}-worker-1 .* Up`));
      const down = spawnSync('docker-compose', ['-p', project, 'down'], { env, cwd: dir, encoding: 'utf8' });
      t.equal(down.status, 0, down.stderr);
      t.match(down.stderr, `Removing network ${project}_default`, "Compose recognises Warren's network as the project's");
      t.equal((await host.stackStatus(project)).state, 'missing', 'what Compose removed is gone for Warren too');
    });
  }
}
