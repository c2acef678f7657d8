import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceInfo, PluginInfo } from '../../plugin/host.js';
import { table, type CliContext } from '../context.js';

export function register(program: Command, cli: CliContext): void {
  const plugins = program.command('plugins').description('installed plugins and their provider instances');
  plugins
    .command('list', { isDefault: true })
    .description('list plugins and provider instances with their state')
    .action(async () => {
      try {
        const data = await cli.api<{ plugins: PluginInfo[]; instances: InstanceInfo[] }>('GET', '/plugins');
        cli.print(data, (d) =>
          [
            table(['PLUGIN', 'VERSION', 'KIND', 'STATE', 'PROVIDERS', 'PROBLEM'], d.plugins.map((p) => [
              p.name, p.version, p.builtIn ? 'built-in' : 'third-party', p.state, p.providers.map((x) => `${x.kind}:${x.id}`).join(' '), p.error ? `${p.error.code}: ${p.error.message}` : '',
            ])),
            '',
            d.instances.length
              ? table(['INSTANCE', 'PLUGIN/PROVIDER', 'STATE', 'PROBLEM'], d.instances.map((i) => [i.id, `${i.plugin}/${i.provider}`, i.state, i.error ? `${i.error.code}: ${i.error.message}` : '']))
              : 'no provider instances',
          ].join('\n'),
        );
      } catch (e) {
        cli.fail(e);
      }
    });
  plugins
    .command('install <spec>')
    .description('install a third-party plugin from npm (name, name@version, or a folder/tarball) into the data directory; restart the hub to load it')
    .action(async (spec: string) => {
      try {
        const prefix = join(cli.dataDir(), 'plugins');
        mkdirSync(prefix, { recursive: true });
        execFileSync('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--omit=dev', spec], { stdio: cli.json() ? 'ignore' : 'inherit' });
        cli.print({ installed: spec, into: prefix }, () => `installed ${spec} into ${prefix}; restart the hub to load it`);
      } catch (e) {
        cli.fail(e);
      }
    });
}
