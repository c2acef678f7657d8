// The devices service keeps each device's image listing with its inventory: placement reads it instead
// of asking every engine about an app's images on every request. Against real engines (this machine's
// Docker over its socket, dev2 over TCP+TLS): an image that appears on or leaves an engine (tagged and
// untagged here, as nothing can be pulled) appears in or leaves the placement snapshot without any
// placement asking for it.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { DevicesFeature } from '../../../../core/devices/index.js';
import { featureRoutes } from '../../../../core/features.js';
import { normalizeImageRef } from '../../../../core/placement/index.js';
import { adminToken, startTestHub } from '../../../helpers/hub.js';
import { needServices } from '../../../helpers/services.js';
import { until } from '../../../helpers/wait.js';

const PASSWORD = 'correct horse battery';
t.setTimeout(4 * 60_000);

t.test('images that appear on or leave an engine follow in the placement snapshot', async (t) => {
  const state = needServices(t, 'docker', 'devices', 'images');
  if (!state) return;
  const dev2 = state.devices![1]!;
  const tls = dev2.docker.tcp.tls;
  const web = state.images!.web!;
  const th = await startTestHub(t, { env: { WARREN_ADMIN_PASSWORD: PASSWORD }, hub: { extensions: [new DevicesFeature({ pollIntervalMs: 5_000 })], routeModules: featureRoutes() } });
  const token = await adminToken(th, PASSWORD);
  const api = (method: string, path: string, body?: unknown) => th.call(method, path, { token, body });
  for (const body of [
    { name: 'local', connection: { type: 'socket', socketPath: state.docker!.socket }, helperImage: web },
    {
      name: 'dev2',
      connection: { type: 'tcp', host: dev2.docker.tcp.host, port: dev2.docker.tcp.port, tls: { ca: readFileSync(tls.ca, 'utf8'), cert: readFileSync(tls.cert, 'utf8'), key: readFileSync(tls.key, 'utf8') } },
      helperImage: web,
    },
  ]) {
    const r = await api('POST', '/api/devices', body);
    t.equal(r.status, 201, `added ${body.name}`);
  }
  const devices = th.hub.services.devices!;
  const engines = { local: new Docker({ socketPath: state.docker!.socket }), dev2: new Docker({ socketPath: dev2.docker.socket }) };
  const repo = `warren-test/listed-${randomBytes(4).toString('hex')}`;
  const tags: { engine: Docker; ref: string }[] = [];
  const tag = async (engine: Docker, ref: string) => {
    const [r, tg] = ref.split(':') as [string, string];
    await engine.getImage(web).tag({ repo: r, tag: tg });
    tags.push({ engine, ref });
  };
  const untag = (engine: Docker, ref: string) => engine.getImage(ref).remove({ noprune: true });
  t.teardown(async () => {
    for (const x of tags) await untag(x.engine, x.ref).catch(() => {});
  });
  /** Each device's row images in a placement snapshot that asks for `images` (none: the listing alone). */
  const rows = async (images: string[] = []) => Object.fromEntries((await devices.placementSnapshot({ images })).devices.map((d) => [d.id, d.images]));
  const holds = (r: Record<string, string[]>, id: string, ref: string) => r[id]?.includes(normalizeImageRef(ref)) ?? false;

  await until('both devices online with an inventory', async () => {
    const r = await rows();
    return holds(r, 'local', web) && holds(r, 'dev2', web);
  }, 120_000);
  const one = `${repo}:one`;
  t.notOk(holds(await rows(), 'local', one), 'not there before it is tagged');

  await tag(engines.local, one);
  await tag(engines.dev2, one);
  await until(`${one} in both rows, asked by no placement`, async () => {
    const r = await rows();
    return holds(r, 'local', one) && holds(r, 'dev2', one);
  });
  t.pass(`${one} appeared on both devices`);
  const snap = (await api('GET', `/api/devices/snapshot?image=${encodeURIComponent(one)}&image=warren-test/absent:never`)).body as { devices: { id: string; images: string[] }[] };
  for (const d of snap.devices) t.same(d.images.filter((i) => i.includes(repo) || i.includes('absent')), [normalizeImageRef(one)], `${d.id}: an app's snapshot finds it, not the absent one`);

  await untag(engines.dev2, one);
  await until(`${one} gone from dev2's row only`, async () => {
    const r = await rows();
    return !holds(r, 'dev2', one) && holds(r, 'local', one);
  });
  t.pass(`${one} left dev2's row and stayed in local's`);

  // A deploy reads the images again at once (refreshImages); no refresh of the whole inventory is due.
  const two = `${repo}:two`;
  await tag(engines.dev2, two);
  await devices.refreshImages('dev2');
  t.ok(holds(await rows(), 'dev2', two), `${two} is in dev2's row right after refreshImages`);
});
