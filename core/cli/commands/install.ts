// `warren install <catalog-id> [--device d] [--input K=V ...] [--force] [--name id]`: install an app on
// the recommended device (or the one named) and wait for it, with a progress bar on stderr.
import type { Command } from 'commander';
import type { OperationView } from '../../apps/index.js';
import { WarrenError, type ErrorDetail } from '../../errors.js';
import type { PlacementResult } from '../../placement/index.js';
import type { CliContext } from '../context.js';

/** `K=V` pairs into an object; every malformed one is reported. */
export function parseInputs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const details: ErrorDetail[] = [];
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) details.push({ path: `--input ${p}`, message: 'must look like NAME=value' });
    else out[p.slice(0, i)] = p.slice(i + 1);
  }
  if (details.length) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `bad --input: ${details.map((d) => d.path).join(', ')}`, { details, hint: 'e.g. --input GREETING=hello' });
  return out;
}

/** Polls an operation until it ends, drawing its progress; fails with the operation's reason unless it is done. */
export async function followOperation(cli: CliContext, id: string, label: string, opts: { intervalMs?: number; sleep?: (ms: number) => Promise<void> } = {}): Promise<OperationView> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (;;) {
    const { operation: op } = await cli.api<{ operation: OperationView }>('GET', `/operations/${encodeURIComponent(id)}`);
    if (op.state === 'done') {
      cli.progress(1, `${label}: done`);
      return op;
    }
    if (op.state === 'failed' || op.state === 'rolled_back') {
      cli.progress(1, `${label}: ${op.state === 'rolled_back' ? 'rolled back' : 'failed'}`);
      const step = op.steps.find((s) => s.state === 'failed');
      throw new WarrenError('WARREN_ERR_OPERATION', `${label} ${op.state === 'rolled_back' ? 'failed and was rolled back' : 'failed'}${step ? ` at ${step.name}` : ''}: ${op.error ?? 'no reason recorded'}`, {
        hint: `GET /api/operations/${op.id} has every step.`,
      });
    }
    const done = op.steps.filter((s) => s.state === 'done').length;
    cli.progress(op.progress?.fraction ?? done / Math.max(1, op.steps.length), `${label}: ${op.progress?.message ?? op.steps[op.currentStep ?? 0]?.name ?? 'waiting'}`.slice(0, 60));
    await sleep(opts.intervalMs ?? 500);
  }
}

export function register(program: Command, cli: CliContext): void {
  program
    .command('install <catalog-id>')
    .description('install an app from the catalog on the recommended device (or --device), and wait until it is healthy')
    .option('--device <id>', 'install on this device instead of the recommended one')
    .option('--input <NAME=value>', 'an answer to one of the app\'s inputs (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--name <id>', 'the app id (default: the catalog id, then -2, -3...)')
    .option('--force', 'install on --device even if placement disqualifies it')
    .option('--no-wait', 'print the operation id and return at once')
    .action(async (catalogId: string, opts: { device?: string; input: string[]; name?: string; force?: boolean; wait: boolean }) => {
      try {
        const started = await cli.api<{ operation: string; app: string; device: string; placement: PlacementResult }>('POST', '/apps', {
          app: catalogId,
          inputs: parseInputs(opts.input),
          ...(opts.device ? { device: opts.device } : {}),
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.force ? { force: true } : {}),
        });
        if (!opts.wait) {
          cli.print(started, (s) => `installing ${s.app} on ${s.device} (operation ${s.operation})`);
          return;
        }
        const op = await followOperation(cli, started.operation, `install ${started.app} on ${started.device}`);
        cli.print({ app: started.app, device: started.device, operation: op }, (r) => `installed ${r.app} on ${r.device}`);
      } catch (e) {
        cli.fail(e);
      }
    });
}
