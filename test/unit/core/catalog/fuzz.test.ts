// The loader must answer every input with a manifest or a WarrenError: truncated files, generated
// documents and mutations of real manifests. A manifest that loads must resolve or refuse the same way.
import fc from 'fast-check';
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { WarrenError } from '../../../../core/errors.js';
import { importFromText } from '../../../../core/catalog/importers/index.js';
import { loadManifest } from '../../../../core/catalog/loader.js';
import { generateSecrets, requirementsOf, resolveStack } from '../../../../core/catalog/resolve.js';

const seed = Number(process.env.WARREN_FUZZ_SEED ?? 20261127);
const appsDir = fileURLToPath(new URL('../../../../catalog/apps/', import.meta.url));
const curated = readdirSync(appsDir).sort().map((id) => ({ id, text: readFileSync(`${appsDir}${id}/compose.yaml`, 'utf8') }));

/** Runs the loader and, when it accepts, resolution; anything thrown must be a WarrenError. */
function exercise(text: string): 'loaded' | 'refused' {
  let manifest;
  try {
    manifest = loadManifest(text, { source: 'fuzz' });
  } catch (e) {
    if (e instanceof WarrenError && e.code === 'WARREN_ERR_MANIFEST_INVALID' && Array.isArray(e.details) && e.details.length > 0) return 'refused';
    throw e;
  }
  try {
    requirementsOf(manifest);
    resolveStack(manifest, { secrets: generateSecrets(manifest), inputs: {} });
  } catch (e) {
    if (!(e instanceof WarrenError)) throw e;
  }
  return 'loaded';
}

t.test('every truncation of every curated manifest is answered', async (t) => {
  let refused = 0;
  let total = 0;
  for (const { id, text } of curated) {
    const offsets = new Set<number>();
    for (let i = 0; i < text.length; i += 31) offsets.add(i);
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) offsets.add(i);
    for (const at of offsets) {
      total++;
      try {
        if (exercise(text.slice(0, at)) === 'refused') refused++;
      } catch (e) {
        t.fail(`${id} cut at ${at} threw ${String(e)}`);
        return;
      }
    }
  }
  t.ok(refused > total / 2, `${refused} of ${total} truncations refused (most cut away x-warren)`);
  t.equal(exercise(curated[0]!.text), 'loaded', 'the untruncated file still loads');
});

// The yaml package survives one stack overflow on deep nesting but the next parse of such text can
// abort the process, so each shape is tried twice in this one process.
t.test('deeply nested documents are refused before they reach the parser', async (t) => {
  const n = 20000;
  const shapes = ['['.repeat(n) + ']'.repeat(n), `services:\n  a:\n    image: x\n    environment: ${'{"a":'.repeat(n)}1${'}'.repeat(n)}`, `${'- '.repeat(n)}x`];
  for (const text of [...shapes, ...shapes]) {
    t.throws(() => loadManifest(text), { code: 'WARREN_ERR_MANIFEST_INVALID', details: [{ message: /nested deeper/ }] });
    t.match(importFromText(text, { source: 'deep' }).reports[0]!.error, { message: /not a catalog format/ });
  }
});

t.test('arbitrary text and arbitrary YAML values are answered', async (t) => {
  const yamlish = fc.string({ unit: fc.constantFrom(...'ab:- \n\t{}[],&*!|>\'"%@`#?$\\x1'.split('')), maxLength: 200 });
  fc.assert(fc.property(fc.oneof(fc.string(), yamlish), (text) => {
    exercise(text);
  }), { seed, numRuns: 1500 });
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    exercise(stringify(value));
  }), { seed, numRuns: 500 });
  t.pass('no input made the loader throw anything but WarrenError');
});

t.test('mutations of real manifests are answered', async (t) => {
  const docs = curated.map((c) => parse(c.text) as Record<string, unknown>);
  const paths = (node: unknown, prefix: string[] = []): string[][] => {
    if (node === null || typeof node !== 'object') return [prefix];
    return [prefix, ...Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  };
  const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('${', '$$', '${X:?no}', '../../etc', 'a;b', '8080:80/sctp', '512Q', '1m30', '/dev/null:/x', '"unbalanced', -1, 1e300, null));
  let loaded = 0;
  fc.assert(
    fc.property(fc.nat(docs.length - 1), fc.nat(), value, fc.boolean(), (which, pick, replacement, remove) => {
      const doc = structuredClone(docs[which]!);
      const all = paths(doc).filter((p) => p.length > 0);
      const path = all[pick % all.length]!;
      let parent: Record<string, unknown> = doc;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
      if (remove) delete parent[path[path.length - 1]!];
      else parent[path[path.length - 1]!] = replacement;
      if (exercise(stringify(doc)) === 'loaded') loaded++;
    }),
    { seed, numRuns: 800 },
  );
  t.ok(loaded > 0, `${loaded} mutated manifests still loaded; the rest were refused with details`);
});

t.test('importers answer arbitrary input with reports, never a throw', async (t) => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom('casaos', 'portainer', 'plain'), (value, wrap) => {
      const doc = wrap === 'casaos' ? { 'x-casaos': value, services: { a: value } } : wrap === 'portainer' ? { version: '2', templates: [value, { type: 1, title: 't', image: 'x', ...(typeof value === 'object' && value && !Array.isArray(value) ? value : {}) }] } : value;
      const text = wrap === 'portainer' ? JSON.stringify(doc) : stringify(doc);
      const r = importFromText(text, { source: 'fuzz' });
      if (r.reports.length === 0 && r.manifests.length > 0) throw new Error('a manifest without a report');
    }),
    { seed, numRuns: 800 },
  );
  t.pass('importers never threw');
});
