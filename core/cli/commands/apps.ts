// `warren apps [list] | start|stop|restart|update <id> | remove <id> [--remove-data] | logs <id> [--follow]`:
// installed apps on a running hub. Operations are waited for with a progress bar unless --no-wait.
import type { Command } from 'commander';
import type { AppDetail, AppView } from '../../apps/index.js';
import { table, type CliContext } from '../context.js';
import { followOperation } from './install.js';

function formatApps(apps: AppView[]): string {
  if (!apps.length) return 'no apps installed; `warren install <catalog-id>` installs one';
  return table(['APP', 'CATALOG', 'VERSION', 'DEVICE', 'STATUS'], apps.map((a) => [a.id, a.catalogId, a.catalogVersion, a.device, a.operation ? `${a.status} (busy)` : a.status]));
}

function formatApp(a: AppDetail): string {
  const lines = [`${a.id} (${a.title ?? a.catalogId} ${a.catalogVersion}) on ${a.device}: ${a.status}`];
  if (a.statusError) lines.push(`  engine: ${a.statusError}`);
  for (const s of a.services) {
    const ports = s.ports.filter((p) => p.published).map((p) => `${p.published}->${p.target}/${p.protocol}`).join(', ');
    lines.push(`  ${s.service}: ${s.state}${s.health !== 'none' ? ` (${s.health})` : ''}${ports ? `  ${ports}` : ''}`);
  }
  return lines.join('\n');
}

export function register(program: Command, cli: CliContext): void {
  const apps = program.command('apps').description('installed apps: list, show, start, stop, restart, update, remove, logs');
  const run = (fn: (...args: any[]) => Promise<void>) => async (...args: any[]) => {
    try {
      await fn(...args);
    } catch (e) {
      cli.fail(e);
    }
  };

  apps
    .command('list', { isDefault: true })
    .description('the installed apps and their status')
    .action(run(async () => {
      const { apps: list } = await cli.api<{ apps: AppView[] }>('GET', '/apps');
      cli.print(list, formatApps);
    }));

  apps
    .command('show <id>')
    .description('one app with the live state of its services')
    .action(run(async (id: string) => {
      const { app } = await cli.api<{ app: AppDetail }>('GET', `/apps/${encodeURIComponent(id)}`);
      cli.print(app, formatApp);
    }));

  for (const action of ['start', 'stop', 'restart', 'update'] as const) {
    apps
      .command(`${action} <id>`)
      .description(action === 'update' ? 'redeploy with the catalog\'s current version (secrets and data kept)' : `${action} the app`)
      .option('--no-wait', 'return once the operation is started')
      .action(run(async (id: string, opts: { wait: boolean }) => {
        const started = await cli.api<{ operation: string }>('POST', `/apps/${encodeURIComponent(id)}/${action}`);
        const op = opts.wait ? await followOperation(cli, started.operation, `${action} ${id}`) : undefined;
        cli.print(op ?? started, () => (op ? `${id}: ${action} done` : `${id}: ${action} started (operation ${started.operation})`));
      }));
  }

  apps
    .command('remove <id>')
    .description('remove the app; its volumes and database are dumped and kept unless --remove-data')
    .option('--remove-data', 'also delete its volumes and drop its databases')
    .option('--no-wait', 'return once the operation is started')
    .action(run(async (id: string, opts: { removeData?: boolean; wait: boolean }) => {
      const started = await cli.api<{ operation: string }>('DELETE', `/apps/${encodeURIComponent(id)}${opts.removeData ? '?removeData=true' : ''}`);
      const op = opts.wait ? await followOperation(cli, started.operation, `remove ${id}`) : undefined;
      cli.print(op ?? started, () => (op ? `removed ${id}` : `removing ${id} (operation ${started.operation})`));
    }));

  apps
    .command('logs <id>')
    .description('the last lines the app\'s containers wrote; with --follow, new lines as they come until Ctrl-C')
    .option('--tail <n>', 'how many lines', '200')
    .option('-f, --follow', 'keep printing new lines until interrupted')
    .action(run(async (id: string, opts: { tail: string; follow?: boolean }) => {
      const path = `/apps/${encodeURIComponent(id)}/logs?tail=${encodeURIComponent(opts.tail)}${opts.follow ? '&follow=1' : ''}`;
      if (!opts.follow) {
        const text = await cli.api<string>('GET', path);
        process.stdout.write(typeof text === 'string' ? text : '');
        return;
      }
      // Ctrl-C (or a TERM) closes the stream; the hub stops following when the connection goes.
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await cli.stream(path, (text) => process.stdout.write(text), abort.signal);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    }));
}
