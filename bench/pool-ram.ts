// Memory of N apps' databases: each app with its own dedicated server versus one shared server holding
// all N databases, both sets running side by side in one run, idle and then under the same light steady
// workload (one persistent session per database, an insert and a count every 0.5 s). Memory is the sum
// of the servers' container memory without inactive file cache (ContainerHost.containerStats), the
// workload's client container excluded. Servers come from PoolingService.ensureDatabase, as for apps.
// Before either set is made, one throwaway server per engine is started and removed: page cache is
// charged to the cgroup that first reads a page, so on a cold cache the first server created (the shared
// one, here) would otherwise be charged for the image's binaries and libraries that every server maps.
// Each side's memory is broken down from the cgroups' memory.stat: anon, shmem (shared buffers touched),
// active file cache (counted), inactive file cache (not counted) and kernel memory (slab: inodes and
// dentries of each database's files, page tables); a second ratio leaves all file cache out, since clean
// page cache (e.g. template1's files, read again by each CREATE DATABASE ... FILE_COPY and so promoted to
// the active list) is reclaimable, whichever side holds it.
// Run: npx tsx bench/pool-ram.ts [engine] [sizes, e.g. 5,10]     (needs the local Docker and the test images)
// Target: pooled/dedicated <= 0.30 at 5 apps.
import { execFileSync } from 'node:child_process';
import type { DatabaseEngine } from '../core/providers/database-pool.js';
import type { EnsureResult } from '../core/pooling/index.js';
import { readState } from '../test/helpers/services.js';
import { poolFixture } from '../test/integration/core/pooling/fixture.js';

const engines = (process.argv[2] && process.argv[2] !== 'all' ? [process.argv[2]] : ['postgres', 'mariadb']) as DatabaseEngine[];
const sizes = (process.argv[3] ?? '5,10').split(',').map(Number);
const CLIENT_IMAGE = readState().images?.demo ?? 'warren-test/demo:latest';
const CLIENT = 'wn-bench-pool-client';
const MiB = 1024 * 1024;
// Steady state before each measurement: at least one autovacuum naptime (60 s by default, after which
// every Postgres server has had a worker through each of its databases, touching their catalogs), then
// until neither side's memory moved by more than 1 % over the last 10 s (at most 3 min).
const STEADY_MIN_MS = 65_000;
const STEADY_MAX_MS = 180_000;
const STEADY_STEP_MS = 10_000;
const state = readState();
if (!state.docker) {
  console.error('no Docker in the test-env state file; run: sudo bash scripts/test-env.sh up');
  process.exit(2);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const docker = (...args: string[]) => execFileSync('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

function startWorkload(engine: DatabaseEngine, dbs: EnsureResult[]): void {
  docker('rm', '-f', CLIENT);
  docker('run', '-d', '--name', CLIENT, '--network', dbs[0]!.database.network!, CLIENT_IMAGE, 'sleep', '100000');
  for (const n of new Set(dbs.map((d) => d.database.network!))) if (n !== dbs[0]!.database.network) docker('network', 'connect', n, CLIENT);
  for (const { database: c } of dbs) {
    const script =
      engine === 'postgres'
        ? 'psql -q "$URL" -c "CREATE TABLE IF NOT EXISTS bench (id serial PRIMARY KEY, v text)" && ' +
          'while :; do echo "INSERT INTO bench (v) VALUES (md5(random()::text)); SELECT count(*) FROM bench;"; sleep 0.5; done | psql -q "$URL" >/dev/null'
        : 'mariadb -h "$H" -u "$U" "$D" -e "CREATE TABLE IF NOT EXISTS bench (id int AUTO_INCREMENT PRIMARY KEY, v text)" && ' +
          'while :; do echo "INSERT INTO bench (v) VALUES (MD5(RAND())); SELECT COUNT(*) FROM bench;"; sleep 0.5; done | mariadb -h "$H" -u "$U" "$D" >/dev/null';
    docker('exec', '-d', '-e', `URL=${c.url}`, '-e', `H=${c.host}`, '-e', `U=${c.user}`, '-e', `D=${c.database}`, '-e', `MYSQL_PWD=${c.password}`, CLIENT, 'sh', '-c', script);
  }
}

/** Where each side's memory goes: the cgroup's memory.stat (v1 or v2) of each server container, summed. */
type Breakdown = { anon: number; shmem: number; activeFile: number; inactiveFile: number; kernel: number };
function breakdown(projects: Iterable<string>): Breakdown {
  const out: Breakdown = { anon: 0, shmem: 0, activeFile: 0, inactiveFile: 0, kernel: 0 };
  for (const project of projects) {
    const ids = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${project}`).split('\n').filter(Boolean);
    for (const id of ids) {
      const text = docker('exec', id, 'sh', '-c',
        'if [ -e /sys/fs/cgroup/memory/memory.stat ]; then cat /sys/fs/cgroup/memory/memory.stat; echo "kmem_usage $(cat /sys/fs/cgroup/memory/memory.kmem.usage_in_bytes 2>/dev/null || echo 0)"; else cat /sys/fs/cgroup/memory.stat; fi');
      const st = Object.fromEntries(text.split('\n').map((l) => l.split(' ')).map(([k, v]) => [k, Number(v)]));
      const v1 = st.total_rss !== undefined;
      out.anon += v1 ? st.total_rss! : st.anon!;
      out.shmem += v1 ? st.total_shmem! : st.shmem!;
      out.activeFile += v1 ? st.total_active_file! : st.active_file!;
      out.inactiveFile += v1 ? st.total_inactive_file! : st.inactive_file!;
      out.kernel += v1 ? (st.kmem_usage ?? 0) : (st.kernel ?? (st.slab ?? 0) + (st.kernel_stack ?? 0) + (st.pagetables ?? 0) + (st.sock ?? 0));
    }
  }
  return out;
}
const mib = (n: number) => (n / MiB).toFixed(1);
const showBreakdown = (b: Breakdown, servers: number) => {
  const per = servers > 1 ? ` (per server ${mib((b.anon + b.shmem + b.activeFile + b.kernel) / servers)})` : '';
  return `anon ${mib(b.anon)}, shmem ${mib(b.shmem)}, active file ${mib(b.activeFile)}, kernel ${mib(b.kernel)}${per}; inactive file (not counted) ${mib(b.inactiveFile)} MiB`;
};
const withoutFileCache = (b: Breakdown) => b.anon + b.shmem + b.kernel;

const teardowns: (() => unknown)[] = [];
const rows: string[] = [];
try {
  const f = await poolFixture({ teardown: (fn) => teardowns.push(fn) }, state);
  const host = f.pooling.hostFor(f.device);
  /** Mean over three samples of the summed memory of each set's server containers. */
  const measure = async (pooledProject: string, dedicatedProjects: Set<string>) => {
    let pooled = 0;
    let dedicated = 0;
    for (let i = 0; i < 3; i++) {
      const stats = await host.containerStats!();
      pooled += stats.filter((s) => s.project === pooledProject).reduce((n, s) => n + s.memoryBytes, 0);
      dedicated += stats.filter((s) => s.project && dedicatedProjects.has(s.project)).reduce((n, s) => n + s.memoryBytes, 0);
      await sleep(2000);
    }
    return { pooled: pooled / 3, dedicated: dedicated / 3, pooledParts: breakdown([pooledProject]), dedicatedParts: breakdown(dedicatedProjects) };
  };
  const sides = async (pooledProject: string, dedicatedProjects: Set<string>) => {
    const stats = await host.containerStats!();
    return [stats.filter((s) => s.project === pooledProject), stats.filter((s) => s.project && dedicatedProjects.has(s.project))].map((xs) => xs.reduce((n, s) => n + s.memoryBytes, 0));
  };
  /** Waits for the steady state; returns how long it took. */
  const steady = async (pooledProject: string, dedicatedProjects: Set<string>) => {
    const t0 = Date.now();
    let last = await sides(pooledProject, dedicatedProjects);
    for (;;) {
      await sleep(STEADY_STEP_MS);
      const now = await sides(pooledProject, dedicatedProjects);
      const moved = now.some((v, i) => Math.abs(v - last[i]!) > 0.01 * last[i]!);
      last = now;
      if ((Date.now() - t0 >= STEADY_MIN_MS && !moved) || Date.now() - t0 >= STEADY_MAX_MS) return Date.now() - t0;
    }
  };
  for (const engine of engines) {
    // The throwaway server: its cgroup takes the first reads of the image's files and is then removed.
    await f.addApp(`ram-warmup-${engine}`);
    await f.pooling.ensureDatabase({ device: f.device, app: `ram-warmup-${engine}`, need: { ref: 'main', engine, dedicated: true } });
    await f.pooling.releaseDatabase({ app: `ram-warmup-${engine}`, ref: 'main' });
    for (const n of sizes) {
      const pooled: EnsureResult[] = [];
      const dedicated: EnsureResult[] = [];
      for (let i = 0; i < n; i++) {
        for (const mode of ['pooled', 'dedicated'] as const) {
          const app = `ram-${mode}-${i}`;
          await f.addApp(app);
          const r = await f.pooling.ensureDatabase({ device: f.device, app, need: { ref: 'main', engine, dedicated: mode === 'dedicated' } });
          (mode === 'pooled' ? pooled : dedicated).push(r);
        }
      }
      const pooledProject = pooled[0]!.database.network!;
      const dedicatedProjects = new Set(dedicated.map((d) => d.database.network!));
      const idleAfter = await steady(pooledProject, dedicatedProjects);
      const idle = await measure(pooledProject, dedicatedProjects);
      startWorkload(engine, [...pooled, ...dedicated]);
      const busyAfter = await steady(pooledProject, dedicatedProjects);
      const busy = await measure(pooledProject, dedicatedProjects);
      docker('rm', '-f', CLIENT);
      for (const [label, m, after] of [['idle', idle, idleAfter], ['light workload', busy, busyAfter]] as const) {
        const line = `${engine} ${String(n).padStart(2)} apps ${label.padEnd(14)} (steady after ${Math.round(after / 1000)} s): shared ${(m.pooled / MiB).toFixed(1)} MiB, dedicated ${(m.dedicated / MiB).toFixed(1)} MiB, ratio pooled/dedicated ${(m.pooled / m.dedicated).toFixed(3)}, saved ${(100 * (1 - m.pooled / m.dedicated)).toFixed(0)} %`;
        console.log(line);
        console.log(`    shared:    ${showBreakdown(m.pooledParts, 1)}`);
        console.log(`    dedicated: ${showBreakdown(m.dedicatedParts, n)}`);
        console.log(`    without any file cache (anon + shmem + kernel): ratio ${(withoutFileCache(m.pooledParts) / withoutFileCache(m.dedicatedParts)).toFixed(3)}`);
        rows.push(line);
      }
      for (let i = 0; i < n; i++) for (const mode of ['pooled', 'dedicated']) await f.pooling.releaseDatabase({ app: `ram-${mode}-${i}`, ref: 'main' });
    }
  }
  console.log('\nsummary (memory without inactive file cache, measured from container stats; target <= 0.30 at 5 apps):');
  for (const r of rows) console.log(`  ${r}`);
} finally {
  try {
    docker('rm', '-f', CLIENT);
  } catch {
    // already gone
  }
  for (const fn of teardowns.reverse()) await fn();
}
