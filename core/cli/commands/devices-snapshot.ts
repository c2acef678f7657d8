// `warren devices snapshot > lab.json`: the live inventory as a snapshot file that `warren place
// --snapshot` reads. Validated before printing, so a file written here is always accepted there.
import type { Command } from 'commander';
import { parseSnapshot, type Snapshot } from '../../placement/index.js';
import type { CliContext } from '../context.js';

export function register(program: Command, cli: CliContext): void {
  // `devices` may already exist (list, cordon, ...) from another module; add to it rather than shadow it.
  const devices = program.commands.find((c) => c.name() === 'devices') ?? program.command('devices').description('The device inventory');
  devices
    .command('snapshot')
    .description('Print the live inventory as a JSON snapshot for `warren place --snapshot`')
    .action(async () => {
      try {
        const snapshot = parseSnapshot(await cli.api('GET', '/api/devices/snapshot'));
        cli.print(snapshot, (s: Snapshot) => JSON.stringify(s, null, 2));
      } catch (e) {
        cli.fail(e);
      }
    });
}
