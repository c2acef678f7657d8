// node-exporter against the real node_exporter on this machine and on each test device (they share
// this kernel, so boot time and memory must match what we read locally). Fault cases use small HTTP
// servers of our own that answer 401, 404, 500 or never.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { normaliseArch } from '../../../../plugins/node-exporter/translate.js';
import { needServices } from '../../../helpers/services.js';
import { NodeExporterSource, metricsUrl } from '../../../../plugins/node-exporter/exporter-source.js';
import { deriveCpu, isDropped } from '../../../../core/metrics/derive.js';
import { AuthFailedError, NotReadyError } from '../../../../core/plugin/types.js';

const localBootTime = () => Number(/^btime (\d+)/m.exec(readFileSync('/proc/stat', 'utf8'))![1]);
const localMemTotal = () => Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('bare host:port URLs get /metrics', async (t) => {
  t.equal(metricsUrl('http://nas:9100'), 'http://nas:9100/metrics');
  t.equal(metricsUrl('http://nas:9100/metrics'), 'http://nas:9100/metrics');
  t.equal(metricsUrl('https://proxy/node/nas/metrics'), 'https://proxy/node/nas/metrics');
});

const env = needServices(t, 'nodeExporter');
if (env) {
  const targets = [{ id: 'host', url: env.nodeExporter!.url }, ...(env.devices ?? []).flatMap((d) => (d.nodeExporter ? [{ id: d.id, url: d.nodeExporter.url }] : []))];
  for (const target of targets) {
    t.test(`${target.id}: a real exporter gives CPU, memory, filesystems, load and boot time`, async (t) => {
      const src = new NodeExporterSource({ url: target.url });
      t.teardown(() => src.close());
      const a = await src.collect();
      await sleep(1500);
      const b = await src.collect();
      const rate = deriveCpu(a, b);
      t.ok(rate && !isDropped(rate) && rate.utilisation >= 0 && rate.utilisation <= 1, JSON.stringify(rate));
      t.equal(b.memory?.totalBytes, localMemTotal());
      t.ok(b.memory!.availableBytes > 0 && b.memory!.availableBytes <= b.memory!.totalBytes);
      t.ok(Math.abs(b.bootTime! - localBootTime()) <= 1, `boot ${b.bootTime} vs ${localBootTime()}`);
      t.ok(b.filesystems?.some((f) => f.mount === '/'), JSON.stringify(b.filesystems));
      t.notOk(b.filesystems?.some((f) => f.fsType === 'tmpfs' || f.fsType === 'overlay'), 'pseudo filesystems left out');
      const devices = b.filesystems!.map((f) => f.device);
      t.equal(new Set(devices).size, devices.length, 'each device once');
      t.ok(b.load && b.load.load1 >= 0);
      t.equal(b.arch, normaliseArch(execFileSync('uname', ['-m'], { encoding: 'utf8' })));
    });
  }
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/metrics` };
}

t.test('failures are told apart: refused, 401, 404, 500, no answer, garbage', async (t) => {
  const closed = await serve(() => {});
  const closedUrl = closed.url;
  closed.server.close();
  await t.rejects(new NodeExporterSource({ url: closedUrl }).collect(), NotReadyError, 'nothing listening');

  const garbage = await serve((_, res) => res.writeHead(200).end('this is { not metrics\n'));
  t.teardown(() => garbage.server.close());
  for (const [code, expected] of [
    [401, AuthFailedError],
    [403, AuthFailedError],
    [500, NotReadyError],
  ] as const) {
    const server = await serve((_, res) => res.writeHead(code).end('nope'));
    await t.rejects(new NodeExporterSource({ url: server.url }).collect(), expected, `HTTP ${code}`);
    server.server.close();
  }
  const missing = await serve((_, res) => res.writeHead(404).end('404 page not found'));
  await t.rejects(new NodeExporterSource({ url: missing.url }).collect(), { code: 'WARREN_ERR_PLUGIN_CONFIG' });
  missing.server.close();
  await t.rejects(new NodeExporterSource({ url: garbage.url }).collect(), { code: 'WARREN_ERR_INVALID_INPUT', message: /line 1/ });

  const silent = await serve(() => {});
  t.teardown(() => silent.server.closeAllConnections());
  t.teardown(() => silent.server.close());
  await t.rejects(new NodeExporterSource({ url: silent.url, timeoutMs: 500 }).collect(), { name: 'NotReadyError', message: /no answer within 500 ms/ });
  const ac = new AbortController();
  const pending = new NodeExporterSource({ url: silent.url }).collect(ac.signal);
  setTimeout(() => ac.abort(new Error('poll timed out')), 50);
  await t.rejects(pending, { message: 'poll timed out' }, 'the poller\'s signal aborts the request');
});
