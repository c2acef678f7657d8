import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Catalog, defaultCatalogDir } from '../../../../core/catalog/catalog.js';

const curatedDir = fileURLToPath(new URL('../../../../catalog', import.meta.url));

function app(id: string, extra: Record<string, unknown> = {}): string {
  return stringify({
    services: { web: { image: 'nginx:1.27' } },
    'x-warren': { id, version: '1', title: id.toUpperCase(), tagline: `the ${id} app`, categories: ['Testing'], main: { service: 'web', port: 80 }, ...extra },
  });
}

t.test('the default catalog folder is found from the module', async (t) => {
  t.equal(defaultCatalogDir(), curatedDir);
});

t.test('curated catalog: search, category filter, categories, get', async (t) => {
  const catalog = new Catalog();
  const { apps, problems } = await catalog.refresh();
  t.same(problems, [], 'every curated app loads');
  t.ok(apps >= 31);
  t.equal(catalog.list().length, apps);
  t.equal(catalog.list({ q: 'immich' })[0]!.id, 'immich', 'an exact id ranks first');
  t.same(catalog.list({ q: 'photo' }).map((a) => a.id).sort(), ['immich', 'photoprism']);
  t.same(catalog.list({ q: 'password manager' }).map((a) => a.id), ['vaultwarden'], 'every word must match');
  t.same(catalog.list({ q: 'no-such-thing-anywhere' }), []);
  const media = catalog.list({ category: 'media' }).map((a) => a.id);
  t.ok(media.includes('jellyfin') && media.includes('immich') && !media.includes('gitea'), 'category filter, case-insensitive');
  t.same(catalog.list({ q: 'jelly', category: 'Media' }).map((a) => a.id), ['jellyfin']);
  const cats = catalog.categories();
  t.ok(cats.find((c) => c.name === 'Media')!.count >= 5);
  t.same(cats.map((c) => c.name), [...cats.map((c) => c.name)].sort((a, b) => a.localeCompare(b)));
  const gitea = catalog.get('gitea');
  t.equal(gitea.manifest.title, 'Gitea');
  t.equal(gitea.source, 'curated');
  t.same(catalog.list({ q: 'gitea' })[0]!.databases, ['postgres']);
  t.throws(() => catalog.get('nope'), { code: 'WARREN_ERR_NOT_FOUND' });
  for (const bad of ['../gitea', 'gitea;ls', 'Gitea', '', 'a/b']) t.throws(() => catalog.get(bad), { code: 'WARREN_ERR_INVALID_INPUT' }, bad);
});

t.test('folder sources: icons, README, broken apps as problems, shadowed ids, foreign folders imported', async (t) => {
  const dir = t.testdir({});
  const apps = join(dir, 'mine', 'apps');
  for (const [id, text] of Object.entries({ alpha: app('alpha'), beta: app('beta'), gitea: app('gitea'), broken: 'services: [', wrongname: app('other') })) {
    mkdirSync(join(apps, id), { recursive: true });
    writeFileSync(join(apps, id, 'compose.yaml'), text);
  }
  writeFileSync(join(apps, 'alpha', 'icon.svg'), '<svg/>');
  writeFileSync(join(apps, 'alpha', 'README.md'), '# Alpha\n');
  const foreign = join(dir, 'foreign');
  mkdirSync(foreign);
  writeFileSync(join(foreign, 'templates.json'), JSON.stringify({ version: '2', templates: [{ type: 1, title: 'Whoami', image: 'traefik/whoami:v1.10', ports: ['8000:80/tcp'] }] }));

  const catalog = new Catalog({
    sources: [
      { id: 'curated', kind: 'folder', path: curatedDir },
      { id: 'mine', kind: 'folder', path: join(dir, 'mine') },
      { id: 'foreign', kind: 'folder', path: foreign },
      { id: 'missing', kind: 'folder', path: join(dir, 'nowhere') },
    ],
  });
  const { problems } = await catalog.refresh();
  t.equal(catalog.get('alpha').iconFile, join(apps, 'alpha', 'icon.svg'));
  t.equal(catalog.get('alpha').readme, '# Alpha\n');
  t.equal(catalog.get('beta').source, 'mine');
  t.equal(catalog.get('gitea').source, 'curated', 'the first source wins');
  t.equal(catalog.get('whoami').source, 'foreign');
  t.equal(catalog.get('whoami').manifest.main.port, 80);
  const byLocation = (s: string) => problems.find((p) => p.location.includes(s));
  t.match(byLocation(join('broken', 'compose.yaml')), { kind: 'invalid', message: /YAML syntax error/ });
  t.match(byLocation(join('wrongname', 'compose.yaml')), { kind: 'invalid', details: [{ path: '/x-warren/id', message: /folder name "wrongname"/ }] });
  t.match(byLocation(join('gitea', 'compose.yaml')), { kind: 'shadowed', source: 'mine' });
  t.match(byLocation('nowhere'), { kind: 'invalid', source: 'missing' });
  t.same(catalog.problems(), problems);
  t.throws(() => catalog.get('broken'), { code: 'WARREN_ERR_NOT_FOUND' });
});

t.test('refresh picks up changes', async (t) => {
  const dir = t.testdir({ apps: { one: { 'compose.yaml': app('one') } } });
  const catalog = new Catalog({ sources: [{ id: 'local', kind: 'folder', path: dir }] });
  await catalog.refresh();
  t.same(catalog.list().map((a) => a.id), ['one']);
  mkdirSync(join(dir, 'apps', 'two'));
  writeFileSync(join(dir, 'apps', 'two', 'compose.yaml'), app('two', { categories: ['Other'] }));
  await catalog.refresh();
  t.same(catalog.list().map((a) => a.id), ['one', 'two']);
  t.same(catalog.categories(), [{ name: 'Other', count: 1 }, { name: 'Testing', count: 1 }]);
});
