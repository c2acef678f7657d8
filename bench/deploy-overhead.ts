// Deploying a one-container stack through Warren's Docker provider versus `docker run -d` of the same
// local image on the same engine, alternated round by round so that drift on a noisy machine hits
// both sides alike. The `docker run` side is the real CLI (a process start included, as a user pays
// it); Warren's side is the in-process provider call, which also creates the project's network as
// Compose does. Target: median ratio ≤ 1.5.
//
//   npx tsx bench/deploy-overhead.ts [--rounds 7] [--image warren-test/web:latest] [--socket /var/run/docker.sock]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EngineHost } from '../plugins/docker-host/engine-host.js';
import { readState } from '../test/helpers/services.js';

const run = promisify(execFile);
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const state = readState();
const socket = arg('socket', state.docker?.socket ?? '/var/run/docker.sock');
const image = arg('image', state.images?.web ?? 'warren-test/web:latest');
const rounds = Math.max(5, Number(arg('rounds', '7')));
const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
const command = ['sleep', '3600'];

const host = new EngineHost({ connection: { type: 'socket', socketPath: socket } });
await host.connect();
if (!(await host.hasImage(image))) {
  console.error(`image ${image} is not on the engine at ${socket}; run scripts/test-env.sh up or pass --image`);
  process.exit(2);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timeWarren(i: number): Promise<number> {
  const project = `bench-warren-${process.pid}-${i}`;
  const t0 = performance.now();
  await host.deployStack({ project, services: { app: { image, command } } });
  const ms = performance.now() - t0;
  await host.removeStack(project);
  return ms;
}

async function timeDockerRun(i: number): Promise<number> {
  const name = `bench-run-${process.pid}-${i}`;
  const t0 = performance.now();
  await run('docker', ['run', '-d', '--name', name, image, ...command], { env });
  const ms = performance.now() - t0;
  await run('docker', ['rm', '-f', name], { env });
  return ms;
}

// One unmeasured round of each warms the engine's and the CLI's caches.
await timeWarren(-1);
await timeDockerRun(-1);

const warren: number[] = [];
const docker: number[] = [];
const ratios: number[] = [];
for (let i = 0; i < rounds; i++) {
  let w: number;
  let d: number;
  if (i % 2 === 0) {
    w = await timeWarren(i);
    d = await timeDockerRun(i);
  } else {
    d = await timeDockerRun(i);
    w = await timeWarren(i);
  }
  warren.push(w);
  docker.push(d);
  ratios.push(w / d);
  console.log(`round ${i + 1}/${rounds}: warren ${w.toFixed(0)} ms, docker run ${d.toFixed(0)} ms, ratio ${(w / d).toFixed(2)}`);
}
await host.close();

const ratio = median(ratios);
console.log(`median: warren deployStack ${median(warren).toFixed(0)} ms, docker run -d (CLI) ${median(docker).toFixed(0)} ms`);
console.log(`median ratio warren/docker-run: ${ratio.toFixed(2)} (target ≤ 1.5) ${ratio <= 1.5 ? 'OK' : 'OVER TARGET'}`);
