// What one device poll costs inside a running hub, by connection (local socket + /proc, SSH + ssh-procfs,
// TCP+TLS + node_exporter), and what the placement snapshot costs with fresh probes (helper containers)
// against a cached one. Devices are polled in turn, round after round, so machine noise hits all alike.
// Run: npx tsx bench/device-poll.ts [rounds]      (needs: sudo bash scripts/test-env.sh up)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromEnv } from '../core/config.js';
import { DevicesFeature } from '../core/devices/index.js';
import { Hub } from '../core/hub.js';
import { createLogger } from '../core/log.js';
import { readState } from '../test/helpers/services.js';
import { testDeviceInputs } from './test-devices.js';

const ROUNDS = Number(process.argv[2] ?? 15);
const state = readState();
const lab = testDeviceInputs(state);

const dataDir = mkdtempSync(join(tmpdir(), 'warren-bench-'));
const hub = await Hub.start(configFromEnv({ WARREN_DATA_DIR: dataDir, WARREN_PORT: '0', WARREN_HOST: '127.0.0.1', WARREN_NO_LOCAL_DEVICE: '1' }), {
  logger: createLogger({ level: 'error' }),
  // The poller's own schedule stays out of the way: every poll here is one the bench asks for.
  extensions: [new DevicesFeature({ pollIntervalMs: 3_600_000 })],
});
const devices = hub.services.devices!;
const metrics = hub.services.metrics!;
try {
  const added = [
    await devices.add({ name: 'local socket, procfs', ...lab.local }),
    await devices.add({
      name: 'SSH, ssh-procfs',
      ...lab.ssh,
    }),
    await devices.add({
      name: 'TCP+TLS, node_exporter',
      ...lab.tls,
    }),
  ];
  // Warm up: connections open, the SSH benchmark runs once at enrolment, the first probes (helper
  // containers, started when a device turns fresh) finish before anything is timed.
  await metrics.pollNow();
  await metrics.pollNow();
  await devices.snapshot();
  let failures = 0;
  const times = new Map<string, number[]>(added.map((d) => [d.id, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const d of added) {
      const started = Date.now();
      const t0 = process.hrtime.bigint();
      await metrics.pollNow([d.id]);
      times.get(d.id)!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const failure = metrics.polled(d.id)?.lastFailure;
      if (failure && failure.at >= started) {
        failures++;
        console.error(`${d.name}: ${failure.message}`);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(times.get(added[0]!.id)!);
  console.log(`device poll, median of ${ROUNDS} (engine info + container stats + host figures)${failures ? `, ${failures} failed attempts` : ''}:`);
  for (const d of added) {
    const m = median(times.get(d.id)!);
    console.log(`  ${d.name.padEnd(26)} ${m.toFixed(0).padStart(6)} ms   ${(m / base).toFixed(2)}× the local socket`);
  }
  const snapshotMs = async () => {
    const t0 = process.hrtime.bigint();
    await devices.snapshot();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const probed: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < 3; r++) {
    // A poll interval of an hour keeps probes cached; dropping the device's cache forces new probes.
    (devices as unknown as { inventories: Map<string, unknown> }).inventories.clear();
    probed.push(await snapshotMs());
    cached.push(await snapshotMs());
  }
  console.log(`placement snapshot of 3 devices, median of 3:`);
  console.log(`  with fresh probes (ports, 4 device paths, stacks: helper containers)  ${median(probed).toFixed(0)} ms`);
  console.log(`  cached within a poll interval                                        ${median(cached).toFixed(0)} ms   ${(median(probed) / median(cached)).toFixed(1)}× faster`);
} finally {
  await hub.stop('bench over');
  rmSync(dataDir, { recursive: true, force: true });
}
