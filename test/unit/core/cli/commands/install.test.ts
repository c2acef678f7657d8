// The install command's pure parts: --input pairs, and following an operation to its end with a
// reason on failure.
import t from 'tap';
import { followOperation, parseInputs } from '../../../../../core/cli/commands/install.js';
import type { CliContext } from '../../../../../core/cli/context.js';

t.test('--input NAME=value pairs; a value may hold "="; malformed pairs are all reported', async (t) => {
  t.same(parseInputs(['GREETING=hi', 'URL=http://x/?a=b']), { GREETING: 'hi', URL: 'http://x/?a=b' });
  t.same(parseInputs([]), {});
  t.throws(() => parseInputs(['GREETING', '=x', 'OK=1']), { code: 'WARREN_ERR_INVALID_INPUT', details: [{ path: '--input GREETING' }, { path: '--input =x' }] });
});

function fakeCli(states: object[]): { cli: CliContext; bars: [number, string][] } {
  const bars: [number, string][] = [];
  let i = 0;
  const cli = {
    api: async () => ({ operation: states[Math.min(i++, states.length - 1)] }),
    progress: (f: number, label: string) => bars.push([f, label]),
  } as unknown as CliContext;
  return { cli, bars };
}

const steps = (...s: string[]) => s.map((x) => ({ name: x.split(':')[0], state: x.split(':')[1] }));

t.test('follows an operation to done, drawing its progress', async (t) => {
  const { cli, bars } = fakeCli([
    { id: 'o', state: 'running', steps: steps('a:running', 'b:pending'), currentStep: 0, progress: { step: 'a', message: 'pulling', fraction: 0.25 } },
    { id: 'o', state: 'running', steps: steps('a:done', 'b:running'), currentStep: 1 },
    { id: 'o', state: 'done', steps: steps('a:done', 'b:done'), currentStep: null },
  ]);
  const op = await followOperation(cli, 'o', 'install x', { sleep: async () => {} });
  t.equal(op.state, 'done');
  t.same(bars, [[0.25, 'install x: pulling'], [0.5, 'install x: b'], [1, 'install x: done']]);
});

t.test('a rolled back operation fails with the step and the reason', async (t) => {
  const { cli } = fakeCli([{ id: 'o', state: 'rolled_back', steps: steps('a:undone', 'b:failed'), error: 'port 8080 is taken' }]);
  await t.rejects(followOperation(cli, 'o', 'install x', { sleep: async () => {} }), { code: 'WARREN_ERR_OPERATION', message: /install x failed and was rolled back at b: port 8080 is taken/ });
});
