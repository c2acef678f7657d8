// `warren pools`: the shared and dedicated database servers, their databases, sizes and connections,
// and the RAM pooling saves. Credentials are never shown.
import type { Command } from 'commander';
import type { PoolingSavingsReport, PoolView } from '../../pooling/index.js';
import { type CliContext, table } from '../context.js';

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts).toString('utf8');
}

const mib = (b: number | undefined) => (b === undefined ? '-' : `${(b / 1024 / 1024).toFixed(1)} MiB`);

export function formatPools(pools: PoolView[]): string {
  if (pools.length === 0) return 'No database servers yet: the first app that needs a database creates its device\'s shared server.';
  return pools
    .map((p) => {
      const head = `${p.engine} ${p.adopted ? 'adopted shared server' : p.mode === 'pooled' ? 'shared server' : `dedicated to ${p.app}`} on ${p.device} (${p.project}, ${p.version ?? '?'}) — ${p.state}` +
        `, memory ${mib(p.memoryBytes)}${p.connections ? `, connections ${p.connections.used}/${p.connections.max}` : ''}${p.error ? ` — ${p.error}` : ''}`;
      const rows = p.databases.map((d) => [d.database, d.app ? `${d.app}/${d.ref}` : '(not Warren\'s)', mib(d.sizeBytes), d.connections, d.connectionLimit ?? '-', d.isolation ? ((d.isolation as { ok?: boolean }).ok ? 'passed' : 'FAILED') : '-']);
      return rows.length ? `${head}\n${table(['DATABASE', 'APP/REF', 'SIZE', 'CONN', 'LIMIT', 'ISOLATION'], rows).replace(/^/gm, '  ')}` : `${head}\n  (no databases)`;
    })
    .join('\n\n');
}

export function register(program: Command, cli: CliContext): void {
  const pools = program
    .command('pools')
    .description('Database servers (shared pools and dedicated), their databases, sizes and connections')
    .action(async () => {
      try {
        cli.print(await cli.api<PoolView[]>('GET', '/api/pools'), formatPools);
      } catch (e) {
        cli.fail(e);
      }
    });
  pools
    .command('adopt <device> <url>')
    .description('Adopt an existing server (postgres://user:pw@host:port/db or mysql://...) as the device\'s shared server; `-` reads the URL from stdin')
    .action(async (device: string, url: string) => {
      try {
        // From stdin, the password stays out of the shell history and the process list.
        const u = url === '-' ? (await text(process.stdin)).trim() : url;
        const r = await cli.api<{ id: string; engine: string; version: string | null }>('POST', '/api/pools/adopt', { device, url: u });
        cli.print(r, (x) => `adopted ${x.engine} ${x.version ?? ''} as the shared server of ${device} (${x.id}); its credentials are kept encrypted`);
      } catch (e) {
        cli.fail(e);
      }
    });
  pools
    .command('forget <id>')
    .description('Forget an adopted server that no app uses any more (the server itself is left running)')
    .action(async (id: string) => {
      try {
        cli.print(await cli.api('DELETE', `/api/pools/${encodeURIComponent(id)}`), () => `forgot ${id}`);
      } catch (e) {
        cli.fail(e);
      }
    });
  pools
    .command('savings')
    .description('RAM the shared servers save against one server per app, measured or estimated')
    .action(async () => {
      try {
        cli.print(await cli.api<PoolingSavingsReport>('GET', '/api/pools/savings'), (r) =>
          [`Pooling saves ${mib(r.bytes)} (${r.basis})`, ...r.servers.map((s) => `  ${s.engine} ${s.server}: ${s.apps} app(s), shared ${mib(s.sharedBytes)} vs ${s.apps} × ${mib(s.baselineBytes)} → ${mib(s.savedBytes)} (${s.basis})`)].join('\n'),
        );
      } catch (e) {
        cli.fail(e);
      }
    });
}
