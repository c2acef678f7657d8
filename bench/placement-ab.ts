// Two versions of core/placement ranking the bench's fleet side by side in one process: a git revision
// (A) and this checkout (B), alternating ranking by ranking, each ranking after one kept-alive /_ping
// as in placement-scale (or MODE=none: back to back). Prints the median decision and decision + order
// read of each, and their ratio B/A. Separate processes differ by ±30% on a noisy machine from run to
// run; alternating in one process puts both under the same conditions, so this is how a change to the
// ranking's speed is measured (two copies of the same code measure alike: run it with REV=HEAD on a
// clean checkout to see the noise).
// Run: flock /tmp/warren-bench.lock npx tsx bench/placement-ab.ts [rev=HEAD] [devices=10000] [rounds=600]
//      MODE=none | ping (default) | upsert (one device changed before each ranking)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const rev = process.argv[2] ?? 'HEAD';
const devices = Number(process.argv[3] ?? 10_000);
const rounds = Number(process.argv[4] ?? 600);
// Inside the checkout, so that the bundle's npm imports resolve to its node_modules.
const work = mkdtempSync(join(root, '.placement-ab-'));
try {
  mkdirSync(join(work, 'a'));
  // Revision A's core/ as it was committed.
  const archive = execFileSync('git', ['-C', root, 'archive', rev, 'core'], { maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', join(work, 'a')], { input: archive });
  const entry = join(work, 'ab.ts');
  writeFileSync(
    entry,
    `
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fleet, app } from ${JSON.stringify(join(root, 'bench/placement-scale.ts'))};
import * as A from './a/core/placement/index.js';
import * as Ar from './a/core/placement/rank.js';
import * as B from ${JSON.stringify(join(root, 'core/placement/index.ts'))};
import * as Br from ${JSON.stringify(join(root, 'core/placement/rank.ts'))};
const MODE = process.env.MODE ?? 'ping';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const ping = () => new Promise<void>((res, rej) => {
  const r = http.request({ socketPath: process.env.DOCKER_SOCKET ?? '/var/run/docker.sock', path: '/_ping', agent }, (x) => { x.resume(); x.on('end', res); });
  r.on('error', rej);
  r.end();
});
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };
const raw = JSON.parse(JSON.stringify({ devices: fleet(${devices}) }));
const side = (name: string, M: any, R: any) => {
  const ds = M.parseSnapshot(raw).devices;
  return { name, ds, table: M.DeviceTable.from(ds), rank: M.rankDevices, order: R.placementOrder, decision: [] as number[], total: [] as number[], first: '' };
};
const sides = [side('A (${rev})', A, Ar), side('B (this checkout)', B, Br)];
for (let round = 0; round < 100 + ${rounds}; round++) {
  for (const s of round % 2 ? [sides[1]!, sides[0]!] : sides) {
    if (MODE === 'ping') await ping();
    else if (MODE === 'upsert') {
      const d = s.ds[(round * 7919) % s.ds.length];
      s.table.upsert({ ...d, memory: { ...d.memory, availableBytes: d.memory.availableBytes - (round % 2) * 1024 } });
    }
    const t0 = performance.now();
    const result = s.rank(app, s.table);
    const t1 = performance.now();
    const o = s.order(result);
    let read = 0;
    for (let k = 0; k < o.rows.length; k++) if (o.ids[o.rows[k]!] !== undefined) read++;
    const t2 = performance.now();
    if (read !== o.rows.length) throw new Error('incomplete order');
    if (round >= 100) { s.decision.push(t1 - t0); s.total.push(t2 - t0); }
    if (round === 0) s.first = JSON.stringify({ result, rows: Array.from(o.rows) });
  }
}
agent.destroy();
if (sides[0]!.first !== sides[1]!.first) console.log('note: A and B rank the fleet differently');
console.log(\`placement-ab: ${devices} devices, ${rounds} rounds per side after 100, MODE=\${MODE}\`);
for (const s of sides) console.log(\`  \${s.name.padEnd(24)} decision \${(median(s.decision) * 1000).toFixed(0).padStart(5)} us   decision + order read \${(median(s.total) * 1000).toFixed(0).padStart(5)} us\`);
const [a, b] = sides as [typeof sides[0], typeof sides[0]];
console.log(\`  B/A: decision \${(median(b.decision) / median(a.decision)).toFixed(2)}, decision + order read \${(median(b.total) / median(a.total)).toFixed(2)}\`);
`,
  );
  // Bundled, as the hub runs (npm start), with npm packages from this checkout.
  const out = join(work, 'ab.mjs');
  await esbuild.build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  // Through an import, so that the bench file's own main() (run when it is process.argv[1]) stays quiet.
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(out)})`], { cwd: root, stdio: 'inherit', env: process.env });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
