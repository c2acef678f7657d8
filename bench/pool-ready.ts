// Time until an app's database accepts connections: a new database in a running shared server versus
// a new dedicated server, measured alternately in one run through the same code path
// (PoolingService.ensureDatabase). "Ready" is when the database and user exist on a healthy server (the
// progress event that says it accepts connections); "with self-test" is when ensureDatabase returns, i.e.
// when the app gets its credentials: after the isolation self-test (the app's user logs in over TCP and
// is refused elsewhere), which runs before any app is handed a database. A shared Postgres server keeps
// one empty spare database made in the background after each provision; rounds wait for that work to
// end (PoolingService.settled) so that nothing runs beside a measurement.
// Also printed: the latency of one exec in the shared server's container through the ContainerHost (the
// drivers run psql/mariadb that way, a few execs per provision), median of EXEC_SAMPLES.
// Run: npx tsx bench/pool-ready.ts [rounds] [engine]     (needs the local Docker and the test images)
// Target: median(pooled) / median(dedicated) <= 0.1.
import type { DatabaseEngine } from '../core/providers/database-pool.js';
import { readState } from '../test/helpers/services.js';
import { poolFixture } from '../test/integration/core/pooling/fixture.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const engines = (process.argv[3] ? [process.argv[3]] : ['postgres', 'mariadb']) as DatabaseEngine[];
const state = readState();
if (!state.docker) {
  console.error('no Docker in the test-env state file; run: sudo bash scripts/test-env.sh up');
  process.exit(2);
}
const teardowns: (() => unknown)[] = [];
const EXEC_SAMPLES = 40;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const f = await poolFixture({ teardown: (fn) => teardowns.push(fn) }, state);
  for (const engine of engines) {
    await f.addApp(`warmup-${engine}`);
    await f.pooling.ensureDatabase({ device: f.device, app: `warmup-${engine}`, need: { ref: 'main', engine } });
    await f.pooling.settled();
    const host = f.pooling.hostFor(f.device);
    const execMs: number[] = [];
    for (let i = 0; i < EXEC_SAMPLES; i++) {
      const t0 = performance.now();
      const r = await host.exec!(f.pooled(engine), 'server', ['true']);
      execMs.push(performance.now() - t0);
      if (r.exitCode !== 0) throw new Error(`exec in the ${engine} server failed: ${r.output}`);
    }
    const pooled: number[] = [];
    const dedicated: number[] = [];
    const pooledReady: number[] = [];
    const dedicatedReady: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const mode of i % 2 ? (['dedicated', 'pooled'] as const) : (['pooled', 'dedicated'] as const)) {
        const app = `${mode}-${engine}-${i}`;
        await f.addApp(app);
        const t0 = performance.now();
        let ready = NaN;
        const r = await f.pooling.ensureDatabase({ device: f.device, app, need: { ref: 'main', engine, dedicated: mode === 'dedicated' } }, (e) => {
          if (e.phase === 'healthy' && e.subject === 'main') ready = performance.now() - t0;
        });
        const ms = performance.now() - t0;
        if (!r.isolation.ok) throw new Error(`${app}: isolation self-test failed`);
        (mode === 'pooled' ? pooled : dedicated).push(ms);
        (mode === 'pooled' ? pooledReady : dedicatedReady).push(ready);
        await f.pooling.releaseDatabase({ app, ref: 'main' });
        // The shared server makes its next spare database in the background; no round measures beside it.
        await f.pooling.settled();
      }
    }
    const show = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;
    const ratio = median(pooledReady) / median(dedicatedReady);
    const full = median(pooled) / median(dedicated);
    console.log(`${engine}: ready, new database in the running shared server ${show(pooledReady)}`);
    console.log(`${engine}: ready, new dedicated server                  ${show(dedicatedReady)}`);
    console.log(`${engine}: with self-test, shared ${show(pooled)}; dedicated ${show(dedicated)}`);
    console.log(`${engine}: one exec in the shared server's container: median ${median(execMs).toFixed(1)} ms over ${EXEC_SAMPLES} (min ${Math.min(...execMs).toFixed(1)}, max ${Math.max(...execMs).toFixed(1)})`);
    console.log(`${engine}: ready-time ratio pooled/dedicated = ${ratio.toFixed(3)} (target <= 0.1) ${ratio <= 0.1 ? 'MET' : 'NOT MET'}; with self-test ${full.toFixed(3)}`);
  }
} finally {
  for (const fn of teardowns.reverse()) await fn();
}
