import t from 'tap';
import { WarrenError } from '../../../../core/errors.js';
import { escapeDollars, interpolate, referencedVariables } from '../../../../core/catalog/interpolate.js';

const vars: Record<string, string> = { NAME: 'warren', EMPTY: '', PORT: '8080' };
const lookup = (n: string) => vars[n];

t.test('Compose interpolation forms', async (t) => {
  const cases: [string, string][] = [
    ['${NAME}', 'warren'],
    ['$NAME', 'warren'],
    ['pre-$NAME-post', 'pre-warren-post'],
    ['${NAME}:${PORT}', 'warren:8080'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${MISSING-fallback}', 'fallback'],
    ['${NAME:+set}', 'set'],
    ['${EMPTY:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['${MISSING+set}', ''],
    ['${MISSING:-${NAME}}', 'warren'],
    ['${MISSING:-a ${PORT} b}', 'a 8080 b'],
    ['$$NAME', '$NAME'],
    ['$${NAME}', '${NAME}'],
    ['cost: 5$', 'cost: 5$'],
    ['$1 and $ alone', '$1 and $ alone'],
    ['no variables', 'no variables'],
    ['${NAME:?must be set}', 'warren'],
  ];
  for (const [input, want] of cases) t.equal(interpolate(input, lookup), want, input);
});

t.test('required variables fail with the manifest message and the path', async (t) => {
  const err = t.throws(() => interpolate('${MISSING:?give me a domain}', lookup, '/services/web/environment/DOMAIN')) as unknown as WarrenError;
  t.equal(err.code, 'WARREN_ERR_INVALID_INPUT');
  t.same(err.details, [{ path: '/services/web/environment/DOMAIN', message: 'give me a domain' }]);
  t.throws(() => interpolate('${EMPTY:?}', lookup), { code: 'WARREN_ERR_INVALID_INPUT' });
  t.equal(interpolate('${EMPTY?}', lookup), '');
  t.throws(() => interpolate('${MISSING}', lookup), { code: 'WARREN_ERR_INVALID_INPUT', message: /MISSING is not set/ });
});

t.test('malformed interpolation is a manifest error at its path', async (t) => {
  for (const bad of ['${', '${NAME', '${}', '${1X}', '${NAME:-unclosed', '${NAME!}']) {
    const err = t.throws(() => interpolate(bad, lookup, '/p')) as unknown as WarrenError;
    t.equal(err.code, 'WARREN_ERR_MANIFEST_INVALID', bad);
    t.equal(err.details?.[0]?.path, '/p');
  }
});

// A default is only evaluated when needed, but then its own variables must exist: D is not guarded.
t.test('references are found, including nested defaults, and guarded ones are marked', async (t) => {
  t.same(referencedVariables('${A} $B ${C:-${D}} ${E:?x} $$F'), [
    { name: 'A', guarded: false },
    { name: 'B', guarded: false },
    { name: 'C', guarded: true },
    { name: 'D', guarded: false },
    { name: 'E', guarded: false },
  ]);
});

t.test('escaped literals survive interpolation unchanged', async (t) => {
  for (const s of ['$HOME', 'a$$b', '${X}', 'plain', '$']) t.equal(interpolate(escapeDollars(s), () => undefined), s);
});
