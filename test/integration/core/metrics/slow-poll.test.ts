// A poll that takes its whole timeout is no outage by itself. With a short interval the silence of one
// timed-out attempt outlasts 6 intervals (at 2 s and 10 s: 12 s against up to 12 s), and under CPU
// starvation healthy devices flapped offline and back. Here the poller reads the real node_exporter on
// this machine through a TCP relay of ours that can swallow requests (an attempt that never answers),
// at 200 ms / 1500 ms: offline by the intervals alone would come 1.2 s after a reading.
import t, { type Test } from 'tap';
import { createServer, connect, type Socket } from 'node:net';
import { Poller } from '../../../../core/metrics/poller.js';
import { NodeExporterSource } from '../../../../plugins/node-exporter/exporter-source.js';
import { needServices } from '../../../helpers/services.js';
import { until } from '../../../helpers/wait.js';

const INTERVAL_MS = 200;
const TIMEOUT_MS = 1500;

/** A relay to `url`'s host and port. `swallow(n)`: the next n connections that send a request get no answer. */
async function relay(url: string) {
  const target = new URL(url);
  let toSwallow = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let swallowed = false;
    client.on('data', (chunk) => {
      if (!swallowed && toSwallow > 0) {
        toSwallow--;
        swallowed = true;
      }
      if (!swallowed) upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relayed = new URL(url);
  relayed.hostname = '127.0.0.1';
  relayed.port = String((server.address() as { port: number }).port);
  return {
    url: relayed.toString(),
    swallow: (n: number) => void (toSwallow = n),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const env = needServices(t, 'nodeExporter');
if (env) {
  const setup = async (t: Test) => {
    const r = await relay(env.nodeExporter!.url);
    const src = new NodeExporterSource({ url: r.url });
    const events: { kind: 'state' | 'failure'; what: string; at: number; message?: string }[] = [];
    const poller: Poller = new Poller(
      {
        onStateChange: (_, s) => void events.push({ kind: 'state', what: s.state, at: Date.now(), message: s.message }),
        // The status as anyone asking right after this failure would see it.
        onFailure: (id, f) => void events.push({ kind: 'failure', what: f.code, at: Date.now(), message: poller.snapshot(id)!.status.message }),
      },
      { intervalMs: INTERVAL_MS, timeoutMs: TIMEOUT_MS },
    );
    poller.add({ deviceId: 'host', source: src });
    t.teardown(async () => {
      await poller.stop();
      await src.close();
      await r.close();
    });
    poller.start();
    await until('a first reading', async () => poller.snapshot('host')!.status.state === 'fresh', 10_000, 20);
    return { r, poller, events };
  };

  t.test('one attempt that times out leaves the device stale, not offline, and the next reading makes it fresh', async (t) => {
    const { r, poller, events } = await setup(t);
    await new Promise((res) => setTimeout(res, 3 * INTERVAL_MS));
    r.swallow(1);
    const from = events.length;
    await until('a timed-out attempt, then a reading', async () => events.slice(from).some((e) => e.kind === 'failure') && poller.snapshot('host')!.status.state === 'fresh', 15_000, 20);
    const seen = events.slice(from);
    t.comment(seen.map((e) => `${e.kind} ${e.what}: ${e.message}`).join('\n'));
    const failures = seen.filter((e) => e.kind === 'failure');
    t.same(failures.map((e) => e.what), ['WARREN_ERR_TIMEOUT'], 'one attempt timed out');
    // The silence of that attempt outlasted 6 intervals: the old rule would have said offline here.
    t.match(failures[0]!.message, /over 6 intervals; 1 attempt timed out; offline after 2 in a row/);
    t.same(seen.filter((e) => e.kind === 'state').map((e) => e.what), ['stale', 'fresh'], 'stale, then fresh: never offline');
  });

  t.test('attempts that keep timing out: offline at the second timeout in a row', async (t) => {
    const { r, poller, events } = await setup(t);
    r.swallow(Infinity);
    const from = events.length;
    await until('offline', async () => poller.snapshot('host')!.status.state === 'offline', 20_000, 20);
    const seen = events.slice(from);
    t.comment(seen.map((e) => `${e.kind} ${e.what} @${e.at - seen[0]!.at} ms: ${e.message}`).join('\n'));
    t.same(seen.map((e) => `${e.kind} ${e.what}`), ['state stale', 'failure WARREN_ERR_TIMEOUT', 'failure WARREN_ERR_TIMEOUT', 'state offline']);
    const [, first, second, offline] = seen;
    t.match(first!.message, /1 attempt timed out; offline after 2 in a row/, 'held stale after the first');
    // Decided by the second failure itself (same evaluation), not by the fallback a timeout later.
    t.ok(offline!.at - second!.at < 100, `offline ${offline!.at - second!.at} ms after the second timeout`);
    t.match(offline!.message, /^no reading for [\d.]+ s \(over 6 intervals\); last attempt: no reading within 1500 ms$/);
  });
}
