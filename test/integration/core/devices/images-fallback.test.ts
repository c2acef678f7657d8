// When an engine's image listing fails, placement must still see an app's images: the devices service
// falls back to asking the engine about each wanted image (hasImage), as before engines listed them.
// Against this machine's real Docker engine, reached through a proxy on a unix socket that passes
// every request through (hijacked exec and attach streams included) except the image listing, which
// it answers with a 500 while the fault is on: the fault is made, the engine and the hub are real.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import Docker from 'dockerode';
import { DevicesFeature } from '../../../../core/devices/index.js';
import { featureRoutes } from '../../../../core/features.js';
import { normalizeImageRef } from '../../../../core/placement/index.js';
import { adminToken, startTestHub } from '../../../helpers/hub.js';
import { needServices } from '../../../helpers/services.js';
import { until } from '../../../helpers/wait.js';

const PASSWORD = 'correct horse battery';
t.setTimeout(4 * 60_000);

/** GET /images/json, with or without an API version prefix. */
const LISTING = /^(\/v[\d.]+)?\/images\/json(\?|$)/;

interface FaultProxy {
  socketPath: string;
  /** While true, image listings are answered with a 500. */
  failListing: boolean;
  /** Listings refused and passed through so far. */
  refused: number;
  listed: number;
  close(): Promise<void>;
}

async function engineProxy(target: string): Promise<FaultProxy> {
  const socketPath = `/tmp/warren-fault-${randomBytes(4).toString('hex')}.sock`;
  const sockets = new Set<net.Socket>();
  const proxy: FaultProxy = {
    socketPath,
    failListing: true,
    refused: 0,
    listed: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && LISTING.test(req.url ?? '')) {
      if (proxy.failListing) {
        proxy.refused++;
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'image listing refused by the test proxy' }));
        return;
      }
      proxy.listed++;
    }
    const up = http.request({ socketPath: target, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  // Exec and attach streams are hijacked (Upgrade: tcp): from the request on, bytes both ways.
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const up = net.connect(target, () => {
      let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let k = 0; k < req.rawHeaders.length; k += 2) lines += `${req.rawHeaders[k]}: ${req.rawHeaders[k + 1]}\r\n`;
      up.write(`${lines}\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    socket.on('close', () => up.destroy());
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return proxy;
}

t.test("an engine whose image listing fails: placement asks it about the app's images instead", async (t) => {
  const state = needServices(t, 'docker', 'images');
  if (!state) return;
  const web = state.images!.web!;
  // The engine may hold stacks other suites left (a pool's server, say): a row always holds its stacks'
  // images, listing or not. And an image present that no stack uses and nobody asks about: a fresh tag.
  const engine = new Docker({ socketPath: state.docker!.socket });
  const other = `warren-test/unasked-${randomBytes(3).toString('hex')}:x`;
  await engine.getImage(web).tag({ repo: other.split(':')[0]!, tag: 'x' });
  t.teardown(() => engine.getImage(other).remove({ noprune: true }).catch(() => undefined));
  const stackImages = async () => {
    // As the docker-host provider lists stacks: compose-labelled containers, not its helper containers.
    const cs = await engine.listContainers({ all: true, filters: { label: ['com.docker.compose.project'] } });
    return cs.filter((c) => !c.Labels['dev.warren.helper']).map((c) => normalizeImageRef(c.Image));
  };
  const with_ = async (...refs: string[]) => [...new Set([...(await stackImages()), ...refs.map((r) => normalizeImageRef(r))])].sort();

  const proxy = await engineProxy(state.docker!.socket);
  t.teardown(() => proxy.close());
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD }, hub: { extensions: [new DevicesFeature({ pollIntervalMs: 2_000 })], routeModules: featureRoutes() } });
  const token = await adminToken(th, PASSWORD);
  const r = await th.call('POST', '/api/devices', { token, body: { name: 'faulty', connection: { type: 'socket', socketPath: proxy.socketPath }, helperImage: web } });
  t.equal(r.status, 201, 'added the device behind the proxy');
  const devices = th.hub.services.devices!;
  const absent = `warren-test/absent-${randomBytes(3).toString('hex')}:never`;
  const row = async (images: string[]) => (await devices.snapshot({ images })).devices.find((d) => d.id === 'faulty');

  // Online with an inventory probed (ports and paths through helper containers, via the proxy).
  const first = await until('the device online with its inventory', async () => {
    const d = await row([web, absent]);
    return d?.online && d.listeningPorts.length > 0 ? d : undefined;
  }, 120_000);
  t.ok(proxy.refused > 0, `the proxy refused the image listing (${proxy.refused} times)`);
  t.equal(proxy.listed, 0, 'no listing got through while the fault was on');
  t.same(first.images, await with_(web), "the snapshot for an app holds its image that is present (asked one by one), not the absent one, besides the stacks' images");
  t.same((await row([]))?.images, await with_(), "asked for no image, with no listing, a row holds its stacks' images only");

  // The kept placement table's snapshot: what was found is remembered, the absent image is not, and
  // an image present on the engine that nobody asked about is not known without a listing.
  const placed = async (images: string[]) => (await devices.placementSnapshot({ images })).devices.find((d) => d.id === 'faulty')!.images;
  t.same(await placed([web, absent]), await with_(web), 'the placement snapshot holds the present image, not the absent one');
  const kept = await placed([]);
  t.same(kept, await with_(web), 'it keeps knowing it when the next placement asks for another app');
  t.notOk(kept.includes(normalizeImageRef(other)), `and does not know ${other} (not asked, not listed)`);

  // The listing works again: the next inventory refresh uses it, so the image nobody asked about shows.
  proxy.failListing = false;
  await until(`a listing got through and ${other} is known`, async () => {
    // Each snapshot refreshes an inventory older than a poll interval (in the background).
    const images = await placed([]);
    return proxy.listed > 0 && images.includes(normalizeImageRef(other));
  }, 60_000);
  t.pass(`after the fault, the listing is read again (${proxy.listed} listings) and ${other} is known unasked`);
});
