// The dashboard's JavaScript budget: what the browser loads for #/dashboard (the entry and the chunks
// it imports statically, not the pages loaded on demand) stays at most 150 KB gzipped.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = join(import.meta.dirname, '../../..');
const BUDGET = 150 * 1024;

interface Meta { outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[]; entryPoint?: string; bytes: number }> }

t.test('the dashboard loads at most 150 KB of gzipped JavaScript, and the other pages are separate chunks', async (t) => {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
  const meta = JSON.parse(readFileSync(join(root, 'dist/ui-meta.json'), 'utf8')) as Meta;
  const entry = Object.keys(meta.outputs).find((o) => o.endsWith('dist/ui/app.js'))!;
  t.ok(entry, 'dist/ui/app.js is built');
  const loaded = new Set<string>();
  const visit = (out: string) => {
    if (loaded.has(out)) return;
    loaded.add(out);
    for (const i of meta.outputs[out]!.imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  const gz = [...loaded].reduce((a, f) => a + gzipSync(readFileSync(join(root, f)), { level: 9 }).length, 0);
  t.comment(`dashboard JavaScript: ${loaded.size} files, ${(gz / 1024).toFixed(1)} KB gzipped (budget ${BUDGET / 1024} KB)`);
  t.ok(gz <= BUDGET, `${gz} bytes gzipped <= ${BUDGET}`);

  const lazy = Object.keys(meta.outputs).filter((k) => k.endsWith('.js') && !loaded.has(k));
  for (const page of ['devices', 'catalog', 'install', 'apps', 'databases', 'plugins', 'events', 'settings']) {
    t.ok(lazy.some((k) => k.includes(`/${page}.component-`)), `${page} is a chunk the dashboard does not load`);
  }
});
