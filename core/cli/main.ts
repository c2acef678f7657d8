#!/usr/bin/env node
// The `warren` command. Each command lives in core/cli/commands/<name>.ts and registers itself.
import { Command } from 'commander';
import { installLayout } from '../hub.js';
import { createCliContext, type GlobalOptions } from './context.js';
import * as apps from './commands/apps.js';
import * as catalog from './commands/catalog.js';
import * as db from './commands/db.js';
import * as devices from './commands/devices.js';
import * as devicesSnapshot from './commands/devices-snapshot.js';
import * as install from './commands/install.js';
import * as mqtt from './commands/mqtt.js';
import * as place from './commands/place.js';
import * as plugins from './commands/plugins.js';
import * as pools from './commands/pools.js';
import * as serve from './commands/serve.js';
import * as summary from './commands/summary.js';
import * as tokens from './commands/tokens.js';

export function buildProgram(): Command {
  const program = new Command('warren');
  program
    .description('Warren: run a homelab of several machines as one system')
    .version(installLayout().version)
    .option('--json', 'machine-readable output')
    .option('--hub <url>', 'the hub to talk to (WARREN_URL, default http://127.0.0.1:8420)')
    .option('--token <token>', 'API token (WARREN_TOKEN, or <data dir>/cli-token)')
    .option('--data-dir <dir>', 'the hub\'s data directory (WARREN_DATA_DIR)')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(`warren: ${s.replace(/^error: /, '')}`) });
  const cli = createCliContext(() => program.opts() as GlobalOptions);
  // `devices` before `devices-snapshot`, which adds its subcommand to the group made here.
  for (const m of [serve, catalog, devices, devicesSnapshot, place, plugins, pools, db, summary, install, apps, mqtt, tokens]) m.register(program, cli);
  return program;
}

const isMain = process.argv[1] && /(?:main\.ts|warren\.js|warren)$/.test(process.argv[1]);
if (isMain) {
  buildProgram().parseAsync(process.argv).catch((e) => {
    process.stderr.write(`warren: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
