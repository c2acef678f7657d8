// End to end on the test devices: a hub with dev1 (over SSH) and dev2 (over TCP+TLS) installs the demo
// app through the REST API onto the recommended device with a pooled Postgres; the page it serves on
// the device's own address says it reached its database; removal leaves nothing of it on the device.
import t from 'tap';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { needServices } from '../helpers/services.js';
import { appsHub, leftovers, removeDefaultPools, until } from '../integration/core/apps/fixture.js';

t.test('warren-demo on the recommended test device, with a pooled database, and gone after removal', async (t) => {
  const state = needServices(t, 'devices', 'images');
  if (!state) return;
  const [dev1, dev2] = state.devices!;
  const engines = Object.fromEntries(state.devices!.map((d) => [d.id, new Docker({ socketPath: d.docker.socket })]));
  for (const d of Object.values(engines)) await removeDefaultPools(d);
  t.teardown(async () => {
    for (const d of Object.values(engines)) await removeDefaultPools(d);
  });
  const tls = dev2!.docker.tcp.tls;
  const started = Date.now();
  const { th, api, finish } = await appsHub(t, state, {
    devices: [
      {
        name: 'dev1',
        connection: { type: 'ssh', host: dev1!.ssh.host, port: dev1!.ssh.port, username: dev1!.ssh.username, privateKey: readFileSync(dev1!.ssh.privateKeyPath, 'utf8') },
        helperImage: state.images!.web,
      },
      {
        name: 'dev2',
        connection: { type: 'tcp', host: dev2!.docker.tcp.host, port: dev2!.docker.tcp.port, tls: { ca: readFileSync(tls.ca, 'utf8'), cert: readFileSync(tls.cert, 'utf8'), key: readFileSync(tls.key, 'utf8') } },
        ...(dev2!.nodeExporter ? { nodeExporterUrl: dev2!.nodeExporter.url } : {}),
        helperImage: state.images!.web,
      },
    ],
  });
  t.comment(`hub and two devices ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const placement = (await api('POST', '/api/placement', { app: 'warren-demo' })).body;
  t.ok(placement.recommended, `placement recommends a device: ${JSON.stringify(placement.candidates?.map((c: { device: string; reasons: unknown }) => [c.device, c.reasons]))}`);
  const installStarted = Date.now();
  const r = await api('POST', '/api/apps', { app: 'warren-demo' });
  t.equal(r.status, 202, JSON.stringify(r.body.error ?? ''));
  t.equal(r.body.device, placement.recommended, 'installed on the recommended device');
  const op = await finish(r.body.operation, 300_000);
  t.equal(op.state, 'done', op.error ?? '');
  t.comment(`install took ${((Date.now() - installStarted) / 1000).toFixed(1)} s`);
  const device = state.devices!.find((d) => d.id === r.body.device)!;
  const grant = (await th.hub.store.dbGrants.list({ app: 'warren-demo' }))[0]!;
  t.equal((await th.hub.store.dbServers.get(grant.server))!.mode, 'pooled', 'the database is in the device\'s shared server');

  const app = (await api('GET', '/api/apps/warren-demo')).body.app;
  const port = app.services[0].ports.find((p: { target: number }) => p.target === 8080).published;
  const page = await until('the page on the device address', async () => {
    const res = await fetch(`http://${device.address}:${port}/`);
    return res.ok && (await res.text());
  });
  t.match(page, /database: /, `the page says it reached its database: ${page.slice(0, 200)}`);

  const gone = await api('DELETE', '/api/apps/warren-demo?removeData=true');
  t.equal((await finish(gone.body.operation)).state, 'done');
  t.same(await leftovers(engines[device.id]!, 'warren-warren-demo'), [], 'no container, volume or network of the app on the device');
  t.same(await th.hub.store.dbGrants.list({ app: 'warren-demo' }), [], 'no grant');
  await t.rejects(th.hub.store.secrets.get(grant.secretRef!), 'no database password');
  const pools = await th.hub.services.pooling!.list();
  t.notOk(pools.flatMap((p) => p.databases.map((d) => d.database)).includes(grant.database), 'its database is dropped from the pool');
  await t.rejects(fetch(`http://${device.address}:${port}/`), 'the page is gone');
});
