#!/usr/bin/env node
// The one test command: provisions the real services the suites need (scripts/test-env.sh, when this
// machine allows it), runs every tap suite, names what was skipped and why, and ends with the line
// `tests: N passed, N failed, N skipped`. WARREN_REQUIRE_SERVICES=1 turns every skip into a failure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;
const files = args.filter((a, i) => !a.startsWith('--') && (onlyIdx < 0 || i !== onlyIdx + 1));
const requireServices = process.env.WARREN_REQUIRE_SERVICES === '1';

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const levels = only ? [only] : ['unit', 'contract', 'integration', 'e2e'];
const testFiles = files.length ? files : levels.flatMap((l) => findTests(join(root, 'test', l)));
const needsServices = testFiles.some((f) => !f.startsWith('test/unit/'));

// 1. The test environment.
if (needsServices && process.env.WARREN_TEST_ENV !== 'skip') {
  const script = join(root, 'scripts', 'test-env.sh');
  const isRoot = process.getuid?.() === 0;
  if (!existsSync(script)) {
    console.log('# test environment: scripts/test-env.sh missing; integration suites will skip');
  } else if (!isRoot) {
    console.log('# test environment: not root, cannot install services; suites needing them will skip');
  } else {
    console.log('# test environment: bash scripts/test-env.sh up (idempotent; log in /var/log/warren-test-env.log)');
    const started = Date.now();
    const r = spawnSync('bash', [script, 'up'], { stdio: ['ignore', 'inherit', 'inherit'], cwd: root });
    console.log(`# test environment: exit ${r.status} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

// 2. The suites.
if (testFiles.length === 0) {
  console.log('no test files found');
  console.log('tests: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
mkdirSync(join(root, '.tap'), { recursive: true });
// Unit suites run two at a time; suites with real services run one at a time, because they share
// engines, ports and test devices (two demo apps cannot both publish port 8080 on one device).
const unitFiles = testFiles.filter((f) => f.startsWith('test/unit/'));
const serviceFiles = testFiles.filter((f) => !f.startsWith('test/unit/'));
const runs = [
  ...(unitFiles.length ? [['--jobs=2', ...unitFiles]] : []),
  ...(serviceFiles.length ? [['--jobs=1', ...serviceFiles]] : []),
];
// The service suites hold the machine-wide lock that single suites run by hand take
// (`flock /tmp/warren-services.lock ...`), so that a full run never shares the engines and test devices
// with another suite; WARREN_SERVICES_LOCK= (empty) runs without it.
// A run started under that lock already (`flock <lock> node scripts/test.mjs x.test.ts`) has its file
// open, inherited from flock: taking it again would wait for itself.
const servicesLock = process.env.WARREN_SERVICES_LOCK ?? '/tmp/warren-services.lock';
function holdsLock(path) {
  try {
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`) === path) return true;
      } catch {
        // Closed meanwhile (readdir's own descriptor).
      }
    }
  } catch {
    // No /proc: not Linux; flock is unlikely to be there either.
  }
  return false;
}
const haveFlock = servicesLock !== '' && !holdsLock(servicesLock) && spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
const totals = { pass: 0, fail: 0, skip: 0, todo: 0 };
let sawSummary = 0;
let worstCode = 0;
const skips = [];
const failures = [];
/** [file, seconds] of each suite, for the slowest-suites list at the end (CI has a time limit). */
const durations = [];
const startedAt = Date.now();

function runTap(args) {
  return new Promise((resolve) => {
    const tapBin = join(root, 'node_modules', '.bin', 'tap');
    const locked = haveFlock && args.includes('--jobs=1');
    const [cmd, argv] = locked ? ['flock', [servicesLock, tapBin, '--reporter=tap', ...args]] : [tapBin, ['--reporter=tap', ...args]];
    if (locked) console.log(`# service suites: holding ${servicesLock} (waits while another suite holds it)`);
    const tap = spawn(cmd, argv, {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    let currentFile = '';
    tap.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const sub = /^# Subtest: (test\/\S+)/.exec(line);
        if (sub) currentFile = sub[1];
        const m = /^# \{ (.*) \}$/.exec(line.trim());
        if (m && !line.startsWith(' ')) {
          sawSummary++;
          for (const kv of m[1].split(',')) {
            const [k, v] = kv.split(':').map((s) => s.trim());
            if (k in totals) totals[k] += Number(v);
          }
        }
        const timed = /^(?:not )?ok \d+ - (test\/\S+) # time=([\d.]+)ms/.exec(line);
        if (timed) durations.push([timed[1], Number(timed[2]) / 1000]);
        const skip = /^\s*ok \d+ - (.*) # SKIP(.*)$/.exec(line);
        if (skip) skips.push(`${currentFile}: ${skip[1].trim()} —${skip[2]}`);
        const fail = /^\s*not ok \d+ - (.*)$/.exec(line);
        if (fail && !line.startsWith('not ok')) failures.push(`${currentFile}: ${fail[1].trim()}`);
        else if (fail) failures.push(fail[1].trim());
      }
    });
    tap.on('close', (code) => {
      worstCode = Math.max(worstCode, code ?? 1);
      resolve();
    });
  });
}

for (const args of runs) await runTap(args);
{
  const code = worstCode;

  const passed = totals.pass;
  const skipped = totals.skip + totals.todo;
  let failed = totals.fail;
  if (sawSummary < runs.length) failed = Math.max(failed, 1);
  if (requireServices && skipped > 0) {
    console.log(`# WARREN_REQUIRE_SERVICES=1: ${skipped} skipped test(s) count as failures`);
    failed += skipped;
  }
  if (durations.length) {
    const slowest = [...durations].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(`\n# Slowest suites (of ${durations.length}; all suites ${((Date.now() - startedAt) / 60000).toFixed(1)} min):`);
    for (const [file, sec] of slowest) console.log(`#   ${sec.toFixed(0).padStart(5)} s  ${file}`);
  }
  if (skips.length) {
    console.log('\n# Skipped:');
    for (const s of skips) console.log(`#   ${s}`);
  }
  if (failures.length) {
    console.log('\n# Failed:');
    for (const f of failures.slice(0, 100)) console.log(`#   ${f}`);
  }
  writeFileSync(join(root, '.tap', 'summary.json'), JSON.stringify({ passed, failed, skipped, code }) + '\n');
  console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 || code !== 0 ? 1 : 0);
}
