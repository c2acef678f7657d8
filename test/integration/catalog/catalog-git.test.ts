// Git catalog sources against real repositories: a bare repository over file://, the same over a real
// `git daemon` (git://) and `git http-backend` (smart HTTP) on localhost. A refresh picks up a new app,
// a branch or tag after # is honoured, a failing fetch keeps the last good copy and says why, and URLs
// that could smuggle options or transport helpers are refused before git runs.
import t from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Catalog, type CatalogSource } from '../../../core/catalog/catalog.js';
import { gitCheckoutDir, isGitLocation, parseGitLocation, syncGit } from '../../../core/catalog/git.js';
import { catalogSources } from '../../../core/catalog/index.js';
import { until } from '../../helpers/wait.js';

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'warren', GIT_AUTHOR_EMAIL: 'w@example.org', GIT_COMMITTER_NAME: 'warren', GIT_COMMITTER_EMAIL: 'w@example.org', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

function app(id: string, version = '1'): string {
  return stringify({
    services: { web: { image: `example/${id}:${version}` } },
    'x-warren': { id, version, title: id.toUpperCase(), tagline: `the ${id} app`, categories: ['Testing'], main: { service: 'web', port: 80 } },
  });
}

/** A bare repository `store.git` fed from a work tree; `push` commits the given apps on top. */
function makeStore(root: string) {
  const bare = join(root, 'store.git');
  const work = join(root, 'work');
  mkdirSync(work, { recursive: true });
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare], { env: gitEnv });
  git(work, 'init', '--quiet', '--initial-branch=main');
  git(work, 'remote', 'add', 'origin', bare);
  const push = (apps: Record<string, string>, branch = 'main', tag?: string) => {
    for (const [id, text] of Object.entries(apps)) {
      mkdirSync(join(work, 'apps', id), { recursive: true });
      writeFileSync(join(work, 'apps', id, 'compose.yaml'), text);
    }
    git(work, 'add', '-A');
    git(work, 'commit', '--quiet', '-m', `apps ${Object.keys(apps).join(' ')}`);
    if (tag) git(work, 'tag', tag);
    git(work, 'push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`, ...(tag ? [`refs/tags/${tag}`] : []));
    return git(work, 'rev-parse', 'HEAD');
  };
  return { bare, work, push };
}

const ids = (c: Catalog) => c.list().map((a) => a.id).sort();

t.test('locations: what is git, what is refused', async (t) => {
  for (const yes of ['https://example.org/apps.git', 'https://example.org/apps.git#main', 'git@github.com:o/apps.git', 'ssh://git@example.org/apps.git', 'git://127.0.0.1/apps.git', 'file:///srv/apps.git', 'git+https://example.org/apps']) {
    t.ok(isGitLocation(yes), yes);
  }
  for (const no of ['https://example.org/index.json', '/srv/apps', './catalog', 'http://example.org/templates.json']) t.notOk(isGitLocation(no), no);
  t.same(parseGitLocation('https://example.org/apps.git#v1.2'), { url: 'https://example.org/apps.git', ref: 'v1.2' });
  t.same(parseGitLocation('git+https://example.org/apps'), { url: 'https://example.org/apps' });
  t.same(parseGitLocation('git@github.com:o/apps.git'), { url: 'git@github.com:o/apps.git' });
  for (const bad of [
    '--upload-pack=touch /tmp/pwned',
    '-oProxyCommand=sh',
    'ext::sh -c touch% /tmp/pwned',
    'ext::sh',
    'fd::17',
    'file:///srv/apps.git#--orphan',
    'https://example.org/apps.git#a..b',
    'https://example.org/apps.git#main;rm',
    'https://example.org/a pps.git',
    'https://example.org/apps.git\n--upload-pack=x',
    'ftp://example.org/apps.git',
    'git@-oProxyCommand=sh:x.git',
    'https:///apps.git',
  ]) {
    t.throws(() => parseGitLocation(bad), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '/catalog/sources' }] }, JSON.stringify(bad));
  }
  const dataDir = t.testdir({});
  const [, git1] = catalogSources(dataDir, ['file:///srv/apps.git#main']);
  t.match(git1, { id: 'source-1', kind: 'git', url: 'file:///srv/apps.git#main' });
  t.equal((git1 as Extract<CatalogSource, { kind: 'git' }>).path, gitCheckoutDir(join(dataDir, 'catalog', 'git'), { url: 'file:///srv/apps.git', ref: 'main' }));
  t.not(gitCheckoutDir('/d', { url: 'file:///a.git' }), gitCheckoutDir('/d', { url: 'file:///a.git', ref: 'main' }), 'one checkout per URL and ref');
  t.throws(() => catalogSources(dataDir, ['ext::sh -c id']), { code: 'WARREN_ERR_INVALID_INPUT' }, 'a bad git source is refused when sources are read');
});

t.test('file:// store: clone, refresh picks up a new app, a failing fetch keeps the last good copy', async (t) => {
  const root = t.testdir({});
  const store = makeStore(root);
  store.push({ alpha: app('alpha') });
  const checkout = join(root, 'data', 'catalog', 'git', 'store');
  const url = `file://${store.bare}`;
  const catalog = new Catalog({ sources: [{ id: 'git', kind: 'git', url, path: checkout }] });

  let r = await catalog.refresh();
  t.same(r.problems, []);
  t.same(ids(catalog), ['alpha']);
  t.match(catalog.get('alpha'), { source: 'git', location: join(checkout, 'apps', 'alpha', 'compose.yaml') });
  t.equal(git(checkout, 'rev-parse', '--is-shallow-repository'), 'true', 'a shallow clone');

  store.push({ beta: app('beta'), alpha: app('alpha', '2') });
  r = await catalog.refresh();
  t.same(r.problems, []);
  t.same(ids(catalog), ['alpha', 'beta'], 'the refresh picked up the new app');
  t.equal(catalog.get('alpha').manifest.version, '2', 'and the new version of the old one');

  // A local change in the checkout is not kept: the store is the truth.
  writeFileSync(join(checkout, 'apps', 'alpha', 'compose.yaml'), 'services: [');
  mkdirSync(join(checkout, 'apps', 'stray'));
  writeFileSync(join(checkout, 'apps', 'stray', 'compose.yaml'), app('stray'));
  r = await catalog.refresh();
  t.same(r.problems, []);
  t.same(ids(catalog), ['alpha', 'beta']);

  // The store goes away: the refresh reports it with a hint and the last good copy still serves.
  renameSync(store.bare, `${store.bare}.moved`);
  r = await catalog.refresh();
  t.equal(r.apps, 2);
  t.same(ids(catalog), ['alpha', 'beta'], 'the last good copy is still used');
  t.equal(r.problems.length, 1);
  t.match(r.problems[0], { kind: 'fetch', source: 'git', location: url, message: /could not fetch .*store\.git.*last fetched copy is still used/, hint: /path exists/ });
  t.same(catalog.problems(), r.problems, 'the problem is listed for GET /api/catalog/problems');
  renameSync(`${store.bare}.moved`, store.bare);
  store.push({ gamma: app('gamma') });
  r = await catalog.refresh();
  t.same(r.problems, []);
  t.same(ids(catalog), ['alpha', 'beta', 'gamma'], 'fetching works again once the store is back');

  // A source that never fetched offers nothing, says why, and leaves no half-made folder behind.
  const never = join(root, 'data', 'catalog', 'git', 'never');
  const other = new Catalog({ sources: [{ id: 'gone', kind: 'git', url: `file://${root}/nope.git`, path: never }] });
  r = await other.refresh();
  t.equal(r.apps, 0);
  t.match(r.problems, [{ kind: 'fetch', source: 'gone', message: /nothing fetched yet/, hint: /path exists/ }]);
  t.notOk(existsSync(never));
  t.same(readdirSync(join(root, 'data', 'catalog', 'git')).filter((n) => n.includes('.tmp-')), [], 'no temporary clone left');
});

t.test('#branch, #tag and #commit select what is checked out', async (t) => {
  const root = t.testdir({});
  const store = makeStore(root);
  const first = store.push({ alpha: app('alpha') }, 'main', 'v1');
  store.push({ beta: app('beta') }, 'main');
  store.push({ edge: app('edge') }, 'next');
  const base = join(root, 'co');
  const load = async (ref: string) => {
    const url = `file://${store.bare}${ref}`;
    const loc = parseGitLocation(url);
    const c = new Catalog({ sources: [{ id: 'git', kind: 'git', url, path: gitCheckoutDir(base, loc) }] });
    const r = await c.refresh();
    t.same(r.problems, [], ref);
    return ids(c);
  };
  t.same(await load(''), ['alpha', 'beta'], 'default branch');
  t.same(await load('#next'), ['alpha', 'beta', 'edge'], 'a branch');
  t.same(await load('#v1'), ['alpha'], 'a tag');
  t.same(await load(`#${first}`), ['alpha'], 'a commit');
  const c = new Catalog({ sources: [{ id: 'git', kind: 'git', url: `file://${store.bare}#nosuch`, path: join(root, 'co-nosuch') }] });
  const r = await c.refresh();
  t.match(r.problems, [{ kind: 'fetch', message: /could not fetch .*#nosuch.*nothing fetched yet/ }], 'an unknown branch is reported');
});

t.test('no injection through a URL: nothing is executed', async (t) => {
  const root = t.testdir({});
  const marker = join(root, 'pwned');
  for (const url of [`ext::sh -c touch% ${marker}`, `--upload-pack=touch ${marker}`, `-u touch ${marker}`]) {
    await t.rejects(syncGit({ url }, join(root, "x")), url);
  }
  // Even bypassing the parser, the URL is config, not argv: git treats it as a (missing) repository.
  await t.rejects(syncGit({ url: `--upload-pack=touch ${marker}` }, join(root, 'y')), { code: 'WARREN_ERR_DEVICE_UNREACHABLE' });
  await t.rejects(syncGit({ url: `ext::sh -c touch% ${marker}` }, join(root, 'z')), { code: 'WARREN_ERR_DEVICE_UNREACHABLE' }, 'the ext transport is disabled');
  t.notOk(existsSync(marker), 'no command ran');
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => {
      c.end();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });

t.test('git:// over a real git daemon on localhost', async (t) => {
  const root = t.testdir({});
  const store = makeStore(root);
  store.push({ alpha: app('alpha') });
  writeFileSync(join(store.bare, 'git-daemon-export-ok'), '');
  const port = await freePort();
  const daemon: ChildProcess = spawn('git', ['daemon', '--reuseaddr', `--listen=127.0.0.1`, `--port=${port}`, `--base-path=${root}`, '--export-all', root], { stdio: 'ignore', env: gitEnv });
  t.teardown(() => {
    daemon.kill('SIGTERM');
  });
  await until('git daemon listening', () => portOpen(port), 15_000);
  const url = `git://127.0.0.1:${port}/store.git`;
  const catalog = new Catalog({ sources: catalogSources(join(root, 'data'), [url]).filter((s) => s.kind === 'git') });
  let r = await catalog.refresh();
  t.same(r.problems, []);
  t.same(ids(catalog), ['alpha']);
  store.push({ beta: app('beta') });
  r = await catalog.refresh();
  t.same(ids(catalog), ['alpha', 'beta'], 'a refresh over git:// picks up the new app');
  daemon.kill('SIGTERM');
  await until('git daemon stopped', async () => !(await portOpen(port)), 15_000);
  r = await catalog.refresh();
  t.match(r.problems, [{ kind: 'fetch', message: /could not fetch git:\/\/127\.0\.0\.1.*last fetched copy/, hint: /reach the host/ }]);
  t.same(ids(catalog), ['alpha', 'beta'], 'the daemon is gone: the last good copy is used');
});

t.test('https-style smart HTTP over a real git http-backend on localhost', async (t) => {
  const root = t.testdir({});
  const store = makeStore(root);
  store.push({ alpha: app('alpha') });
  let fail = false;
  const server: Server = createServer((req, res) => {
    if (fail) {
      res.writeHead(503).end('down for maintenance');
      return;
    }
    const u = new URL(req.url ?? '/', 'http://x');
    const cgi = spawn('git', ['http-backend'], {
      env: { ...gitEnv, GIT_PROJECT_ROOT: root, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: u.pathname, QUERY_STRING: u.search.slice(1), REQUEST_METHOD: req.method ?? 'GET', CONTENT_TYPE: req.headers['content-type'] ?? '', GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''), REMOTE_ADDR: '127.0.0.1' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin!);
    let head = Buffer.alloc(0);
    let sent = false;
    cgi.stdout!.on('data', (chunk: Buffer) => {
      if (sent) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const [k, ...v] = line.split(':');
        if (k!.toLowerCase() === 'status') status = Number.parseInt(v.join(':').trim(), 10);
        else res.setHeader(k!, v.join(':').trim());
      }
      res.writeHead(status);
      sent = true;
      res.write(head.subarray(end + 4));
    });
    cgi.stdout!.on('end', () => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/store.git#main`;
  const catalog = new Catalog({ sources: catalogSources(join(root, 'data'), [url]).filter((s) => s.kind === 'git') });
  let r = await catalog.refresh();
  t.same(r.problems, []);
  t.same(ids(catalog), ['alpha']);
  store.push({ beta: app('beta') });
  r = await catalog.refresh();
  t.same(r.problems, []);
  t.same(ids(catalog), ['alpha', 'beta'], 'a refresh over HTTP picks up the new app');
  fail = true;
  r = await catalog.refresh();
  t.match(r.problems, [{ kind: 'fetch', message: /could not fetch http:\/\/127\.0\.0\.1.*#main.*(503|unable to access).*last fetched copy/, hint: /reach the host/ }]);
  t.same(ids(catalog), ['alpha', 'beta']);
});
