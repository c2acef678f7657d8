import t from 'tap';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { WarrenError } from '../../../../core/errors.js';
import { loadManifest } from '../../../../core/catalog/loader.js';

const demo = readFileSync(new URL('../../../../catalog/apps/warren-demo/compose.yaml', import.meta.url), 'utf8');

function minimal(overrides: { warren?: Record<string, unknown>; services?: Record<string, unknown>; top?: Record<string, unknown> } = {}): string {
  return stringify({
    services: overrides.services ?? { web: { image: 'nginx:1.27', ports: ['8080:80'] } },
    ...overrides.top,
    'x-warren': { id: 'web', version: '1.0', title: 'Web', tagline: 'A web server', categories: ['Web'], main: { service: 'web', port: 80 }, ...overrides.warren },
  });
}

function problems(text: string): { path: string; message: string }[] {
  try {
    loadManifest(text, { source: 'test' });
  } catch (e) {
    if (!(e instanceof WarrenError)) throw e;
    if (e.code !== 'WARREN_ERR_MANIFEST_INVALID') throw e;
    return e.details ?? [];
  }
  throw new Error('expected the manifest to be refused');
}

t.test('a valid manifest loads with normalised facts', async (t) => {
  const m = loadManifest(demo, { source: 'demo' });
  t.equal(m.id, 'warren-demo');
  t.equal(m.requires.memoryBytes, 64 * 1024 ** 2);
  t.same(m.requires.databases, [{ ref: 'main', engine: 'postgres', versions: '>=13', extensions: [], dedicated: false }]);
  t.equal(m.inputs.GREETING?.required, false);
  t.equal(m.main.path, '/');
  t.equal(m.source, 'demo');
  const numeric = loadManifest(minimal({ warren: { version: 2 } }));
  t.equal(numeric.version, '2', 'a YAML number version is kept as text');
});

t.test('bad input: each refused with a clear error at its path', async (t) => {
  const table: [string, string, string, RegExp][] = [
    ['malformed YAML', 'services:\n  web: [image: x\n', '', /YAML syntax error: line \d+, column \d+/],
    ['duplicate keys', 'services:\n  a: {image: x}\n  a: {image: y}\n', '', /YAML syntax error/],
    ['not a map', '- a\n- b\n', '', /must be a Compose file/],
    ['empty document', '', '', /must be a Compose file/],
    ['no services', minimal({ services: {} }), '/services', /fewer than 1/],
    ['service without image', minimal({ services: { web: { ports: ['80'] } } }), '/services/web/image', /required/],
    ['build instead of image', minimal({ services: { web: { build: '.', image: 'x' } } }), '/services/web/build', /unknown key/],
    ['misspelt service key', minimal({ services: { web: { image: 'x', enviroment: {} } } }), '/services/web/enviroment', /unknown key/],
    ['ports as a map', minimal({ services: { web: { image: 'x', ports: { a: 1 } } } }), '/services/web/ports', /must be array/],
    ['bad port entry', minimal({ services: { web: { image: 'x', ports: [{ published: 80 }] } } }), '/services/web/ports/0/target', /required/],
    ['environment of wrong type', minimal({ services: { web: { image: 'x', environment: 'A=1' } } }), '/services/web/environment', /a list or a map/],
    ['bad restart policy', minimal({ services: { web: { image: 'x', restart: 'sometimes' } } }), '/services/web/restart', /must match/],
    ['app id with a path', minimal({ warren: { id: '../etc/passwd' } }), '/x-warren/id', /app id must be/],
    ['app id with shell characters', minimal({ warren: { id: 'web;rm -rf /' } }), '/x-warren/id', /app id must be/],
    ['app id with capitals', minimal({ warren: { id: 'Web' } }), '/x-warren/id', /app id must be/],
    ['app id too long', minimal({ warren: { id: 'a'.repeat(64) } }), '/x-warren/id', /app id must be/],
    ['missing x-warren', stringify({ services: { web: { image: 'x' } } }), '/x-warren', /required/],
    ['main service missing', minimal({ warren: { main: { service: 'api', port: 80 } } }), '/x-warren/main/service', /no service named "api"/],
    ['unknown architecture', minimal({ warren: { requires: { architectures: ['sparc'] } } }), '/x-warren/requires/architectures/0', /must be one of/],
    ['unreadable memory', minimal({ warren: { requires: { memory: 'lots' } } }), '/x-warren/requires/memory', /not a size/],
    ['bad version range', minimal({ warren: { requires: { databases: [{ ref: 'main', engine: 'postgres', versions: 'newest' }] } } }), '/x-warren/requires/databases/0/versions', /semver range/],
    ['unknown engine', minimal({ warren: { requires: { databases: [{ ref: 'main', engine: 'oracle' }] } } }), '/x-warren/requires/databases/0/engine', /must be one of/],
    ['sidecar for an undeclared ref', minimal({ services: { web: { image: 'x' }, db: { image: 'postgres:16', 'x-warren': { role: 'database-sidecar', satisfies: 'main' } } } }), '/services/db/x-warren/satisfies', /no database need/],
    ['undeclared named volume', minimal({ services: { web: { image: 'x', volumes: ['data:/data'] } } }), '/services/web/volumes/0', /not declared/],
    ['relative bind mount', minimal({ services: { web: { image: 'x', volumes: ['./data:/data'] } } }), '/services/web/volumes/0', /relative bind/],
    ['unknown variable', minimal({ services: { web: { image: 'x', environment: { A: '${NOPE}' } } } }), '/services/web/environment/A', /NOPE is neither/],
    ['database variable without the need', minimal({ services: { web: { image: 'x', environment: { A: '${WARREN_DB_MAIN_URL}' } } } }), '/services/web/environment/A', /WARREN_DB_MAIN_URL/],
    ['malformed interpolation', minimal({ services: { web: { image: 'x', command: 'echo ${' } } }), '/services/web/command', /invalid interpolation/],
    ['input pattern not a regex', minimal({ warren: { inputs: { A: { type: 'string', pattern: '(' } } } }), '/x-warren/inputs/A/pattern', /regular expression/],
    ['input default fails its pattern', minimal({ warren: { inputs: { A: { type: 'string', pattern: '^a+$', default: 'b' } } } }), '/x-warren/inputs/A/default', /pattern/],
    ['input default of the wrong type', minimal({ warren: { inputs: { A: { type: 'integer', default: 'ten' } } } }), '/x-warren/inputs/A/default', /number/],
    ['input named like a Warren variable', minimal({ warren: { inputs: { WARREN_APP_ID: { type: 'string' } } } }), '/x-warren/inputs/WARREN_APP_ID', /Warren sets itself/],
    ['secret also an input', minimal({ warren: { secrets: { A: {} }, inputs: { A: { type: 'string' } } } }), '/x-warren/secrets/A', /also declared as an input/],
    ['unknown depends_on', minimal({ services: { web: { image: 'x', depends_on: ['db'] } } }), '/services/web/depends_on', /no service named "db"/],
    ['bad healthcheck duration', minimal({ services: { web: { image: 'x', healthcheck: { test: 'true', interval: 'often' } } } }), '/services/web/healthcheck/interval', /not a duration/],
    ['unsupported top-level key', minimal({ top: { secrets: { a: { file: 'x' } } } }), '/secrets', /unknown key/],
  ];
  for (const [name, text, path, message] of table) {
    const found = problems(text);
    const hit = found.find((d) => d.path === path && message.test(d.message));
    t.ok(hit, `${name}: expected ${path} ${message}, got ${JSON.stringify(found)}`);
  }
});

t.test('every problem is reported at once, not only the first', async (t) => {
  const found = problems(
    minimal({
      services: { web: { image: 'x', restart: 'sometimes', volumes: ['data:/data'], environment: { A: '${NOPE}' } } },
      warren: { id: 'Bad Id', requires: { memory: 'lots' } },
    }),
  );
  t.ok(found.some((d) => d.path === '/x-warren/id'), 'schema problem');
  t.ok(found.some((d) => d.path === '/services/web/restart'), 'schema problem');
  t.ok(found.some((d) => d.path === '/services/web/volumes/0' && /not declared/.test(d.message)), 'and the deeper checks, in the same answer');
  t.ok(found.some((d) => d.path === '/services/web/environment/A' && /NOPE/.test(d.message)));
  t.ok(found.some((d) => d.path === '/x-warren/requires/memory'));
  t.equal(found.filter((d) => d.path === '/services/web/restart').length, 1, 'a path the schema reported is not reported twice');
});

t.test('a oneOf mismatch names the expected shapes, or the inner problem when the shape is clear', async (t) => {
  const found = problems(minimal({ services: { web: { image: 'x', volumes: [{ type: 'volume', source: 'a', target: '/a', bogus: 1 }] } }, top: { volumes: { a: null } } }));
  t.ok(found.some((d) => d.path === '/services/web/volumes/0/bogus' && /unknown key/.test(d.message)), JSON.stringify(found));
  t.notOk(found.some((d) => d.path === '/services/web/volumes/0' && /must be a string/.test(d.message)), 'no noise from the string branch');
});

t.test('guarded variables may be undeclared; $$ is not a variable', async (t) => {
  const m = loadManifest(minimal({ services: { web: { image: 'x', environment: { A: '${NOT_DECLARED:-fine}', B: '$$HOME' } } } }));
  t.equal(m.id, 'web');
});

t.test('size limit', async (t) => {
  t.match(problems(`# ${'x'.repeat(1024 * 1024)}\n`), [{ message: /larger than 1 MiB/ }]);
});
