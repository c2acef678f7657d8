#!/usr/bin/env node
// Builds the hub (dist/warren.js), the plugin child entry (dist/plugin-child.js), each built-in
// plugin (dist/plugins/<name>/) and the web UI (dist/ui/) with esbuild. npm packages stay external:
// dist/ runs beside this checkout's node_modules.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const started = Date.now();
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const node = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: 'linked', logLevel: 'warning' };

await esbuild.build({ ...node, entryPoints: [join(root, 'core/cli/main.ts')], outfile: join(dist, 'warren.js') });
await esbuild.build({ ...node, entryPoints: [join(root, 'core/plugin/child-main.ts')], outfile: join(dist, 'plugin-child.js') });

const pluginsDir = join(root, 'plugins');
const built = [];
for (const name of existsSync(pluginsDir) ? readdirSync(pluginsDir).sort() : []) {
  const src = join(pluginsDir, name);
  if (!existsSync(join(src, 'package.json')) || !existsSync(join(src, 'index.ts'))) continue;
  const out = join(dist, 'plugins', name);
  await esbuild.build({ ...node, entryPoints: [join(src, 'index.ts')], outfile: join(out, 'index.js') });
  const pkg = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  writeFileSync(join(out, 'package.json'), JSON.stringify({ ...pkg, type: 'module', main: 'index.js' }, null, 2));
  for (const f of ['config.schema.json', 'README.md']) if (existsSync(join(src, f))) cpSync(join(src, f), join(out, f));
  built.push(name);
}

const uiOut = join(dist, 'ui');
mkdirSync(uiOut, { recursive: true });
if (existsSync(join(root, 'ui', 'app.ts'))) {
  // Pages other than the dashboard are dynamic imports; splitting turns them into chunks loaded on
  // first visit. The metafile lets the budget test measure what the dashboard loads.
  const result = await esbuild.build({
    entryPoints: [join(root, 'ui', 'app.ts')],
    outdir: uiOut,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(join(dist, 'ui-meta.json'), JSON.stringify(result.metafile));
}
for (const f of existsSync(join(root, 'ui', 'static')) ? readdirSync(join(root, 'ui', 'static')) : []) cpSync(join(root, 'ui', 'static', f), join(uiOut, f), { recursive: true });
if (existsSync(join(root, 'ui', 'index.html'))) cpSync(join(root, 'ui', 'index.html'), join(uiOut, 'index.html'));

console.log(`built dist/ in ${Date.now() - started} ms (hub, plugin child, ${built.length} plugins${built.length ? `: ${built.join(', ')}` : ''}, ui)`);
