import t from 'tap';
import { readFileSync } from 'node:fs';
import { loadManifest } from '../../../../core/catalog/loader.js';
import { requirementsOf } from '../../../../core/catalog/resolve.js';
import { parseRequirements, rankDevices, requirementsFromCatalog } from '../../../../core/placement/index.js';
import { device, GiB, MiB } from './helpers.js';

const manifest = (id: string) => {
  const path = new URL(`../../../../catalog/apps/${id}/compose.yaml`, import.meta.url);
  return loadManifest(readFileSync(path, 'utf8'), { source: path.pathname });
};

t.test('a catalog app becomes placement requirements', async (t) => {
  const r = requirementsFromCatalog(requirementsOf(manifest('jellyfin')));
  t.equal(r.app, 'jellyfin');
  t.equal(r.memoryBytes, 1 * GiB);
  t.equal(r.diskBytes, 2 * GiB);
  t.same(r.architectures, ['amd64', 'arm64']);
  t.same(r.devicePaths, [{ path: '/dev/dri', optional: true }]);
  t.same(r.ports, ['8096/tcp', '7359/udp']);
  t.same(r.images, ['jellyfin/jellyfin:10.10.3']);
});

t.test('a bundled database sidecar is the dedicated fallback, with its own memory', async (t) => {
  const r = requirementsFromCatalog(requirementsOf(manifest('gitea')));
  const db = r.databases![0]!;
  t.equal(db.dedicatedMemoryBytes, 128 * MiB, 'the sidecar reserves 128M in the manifest');
  // A pool that cannot serve the need (another engine's server is no help; an unsuitable one of the
  // same engine is what makes install fall back to the dedicated server).
  const unsuitable = [{ engine: db.engine, version: '1.0' }];
  const need = { ...r, databases: [{ ...db, versions: '>=9' }] };
  const tight = device({ memory: { availableBytes: r.memoryBytes + 100 * MiB }, databases: unsuitable });
  t.same(rankDevices(need, [tight]).candidates[0]!.reasons.map((x) => x.code), ['DATABASE'], 'no usable pool and no room for the sidecar');
  const roomy = device({ memory: { availableBytes: r.memoryBytes + 128 * MiB }, databases: unsuitable });
  t.ok(rankDevices(need, [roomy]).candidates[0]!.eligible, 'room for the sidecar is enough');
  const none = device({ memory: { availableBytes: r.memoryBytes + 128 * MiB } });
  t.same(rankDevices(r, [none]).candidates[0]!.databases.map((p) => [p.via, p.newServer, p.memoryBytes]), [['pool', true, 256 * MiB]], 'no server yet: install creates the shared one, not the sidecar');
});

t.test('what the adapter gives passes the requirements validator unchanged (the CLI sends it to the hub)', async (t) => {
  for (const id of ['jellyfin', 'gitea', 'nextcloud', 'pi-hole', 'photoprism']) {
    const r = requirementsFromCatalog(requirementsOf(manifest(id)));
    t.same(parseRequirements(JSON.parse(JSON.stringify(r))), r, id);
  }
});
