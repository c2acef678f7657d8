// A git catalog source with the curated catalog in it, over file://: the first refresh (shallow clone
// and load), a refresh with nothing new, and a refresh that picks up one new app. Medians of --rounds.
// Informational: what a refresh costs on top of loading the manifests (no target).
//
//   flock /tmp/warren-bench.lock npx tsx bench/catalog-git.ts [--rounds 5]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, defaultCatalogDir } from '../core/catalog/catalog.js';

const i = process.argv.indexOf('--rounds');
const rounds = i > 0 ? Number(process.argv[i + 1]) : 5;
const env = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'b@example.org', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'b@example.org' };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times: Record<string, number[]> = { 'first refresh (clone + load)': [], 'refresh, nothing new': [], 'refresh, one new app': [], 'folder source, same apps (load only)': [] };
let apps = 0;
for (let r = 0; r < rounds; r++) {
  const root = mkdtempSync(join(tmpdir(), 'warren-bench-git-'));
  try {
    const work = join(root, 'work');
    cpSync(defaultCatalogDir(), work, { recursive: true });
    const git = (...a: string[]) => execFileSync('git', a, { cwd: work, env, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'catalog');
    execFileSync('git', ['clone', '-q', '--bare', work, join(root, 'store.git')], { env });
    git('remote', 'add', 'origin', join(root, 'store.git'));
    const catalog = new Catalog({ sources: [{ id: 'git', kind: 'git', url: `file://${root}/store.git`, path: join(root, 'checkout') }] });
    const time = async (label: string, c: Catalog = catalog) => {
      const t0 = performance.now();
      const res = await c.refresh();
      times[label]!.push(performance.now() - t0);
      if (res.problems.length) throw new Error(`${label}: ${JSON.stringify(res.problems)}`);
      apps = res.apps;
    };
    await time('first refresh (clone + load)');
    await time('refresh, nothing new');
    mkdirSync(join(work, 'apps', 'zz-bench'));
    writeFileSync(join(work, 'apps', 'zz-bench', 'compose.yaml'), readFileSync(join(work, 'apps', 'gitea', 'compose.yaml'), 'utf8').replace('id: gitea', 'id: zz-bench'));
    git('add', '-A');
    git('commit', '-qm', 'one more');
    git('push', '-q', 'origin', 'main');
    await time('refresh, one new app');
    await time('folder source, same apps (load only)', new Catalog({ sources: [{ id: 'folder', kind: 'folder', path: work }] }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
for (const [label, xs] of Object.entries(times)) console.log(`${label.padEnd(40)} median ${median(xs).toFixed(0)} ms  (${xs.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`${apps} apps, ${rounds} rounds`);
