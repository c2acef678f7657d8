// Every curated catalog app, resolved the way an install resolves it, is a stack this provider
// accepts and maps: the Compose features the catalog uses are the ones deployStack must support.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '../../../../core/catalog/loader.js';
import { generateSecrets, resolveStack } from '../../../../core/catalog/resolve.js';
import type { InputSpec } from '../../../../core/catalog/types.js';
import { toCreateOptions, startOrder } from '../../../../plugins/docker-host/translate.js';
import { stackProblems } from '../../../../plugins/docker-host/validate.js';

const appsDir = fileURLToPath(new URL('../../../../catalog/apps/', import.meta.url));

function sampleInput(spec: InputSpec): string | number | boolean {
  if (spec.default !== undefined) return spec.default;
  if (spec.enum?.length) return spec.enum[0]!;
  if (spec.type === 'number' || spec.type === 'integer') return spec.minimum ?? 1;
  if (spec.type === 'boolean') return true;
  return 'Sample-input-12345';
}

const apps = readdirSync(appsDir).filter((id) => {
  try {
    return readFileSync(`${appsDir}${id}/compose.yaml`).length > 0;
  } catch {
    return false;
  }
});
t.ok(apps.length >= 10, `${apps.length} curated apps`);

for (const id of apps) {
  t.test(id, async (t) => {
    const manifest = loadManifest(readFileSync(`${appsDir}${id}/compose.yaml`, 'utf8'), { source: id });
    const inputs = Object.fromEntries(Object.entries(manifest.inputs ?? {}).map(([k, s]) => [k, sampleInput(s)]));
    const databases = Object.fromEntries(
      (manifest.requires?.databases ?? []).map((d: { ref: string; engine: string }) => [
        d.ref,
        { engine: d.engine, host: 'pool', port: 5432, database: 'app', user: 'app', password: 'pw', url: 'postgres://app:pw@pool:5432/app' },
      ]),
    );
    const spec = resolveStack(manifest, { inputs, secrets: generateSecrets(manifest), databases: databases as never });
    t.same(stackProblems(spec), [], 'the provider accepts the resolved stack');
    const order = startOrder(spec);
    t.same([...order].sort(), Object.keys(spec.services).sort());
    for (const name of order) {
      const { options } = toCreateOptions(spec, name);
      t.equal(options.name, `${spec.project}-${name}-1`);
    }
  });
}
