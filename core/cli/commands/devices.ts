// `warren devices add|list|remove|test|cordon|uncordon`: the device inventory of a running hub.
// Certificates and keys are read here from files and sent as their contents, so the hub may run on
// another machine than the CLI.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseBytes } from '../../catalog/units.js';
import type { DeviceTestResult, DeviceView } from '../../devices/index.js';
import { WarrenError, type ErrorDetail } from '../../errors.js';
import { formatAge, formatBytes } from '../../placement/units.js';
import { table, type CliContext } from '../context.js';

export interface DeviceFlags {
  name?: string;
  engine?: string;
  socket?: string;
  tcp?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  ssh?: string;
  sshKey?: string;
  sshSocket?: string;
  nodeExporter?: string;
  helperImage?: string;
  label?: string[];
  reserveMemory?: string;
  reserveDisk?: string;
}

/** `user@host[:port]` */
function parseSshTarget(s: string): { username: string; host: string; port?: number } | undefined {
  const m = /^([^@\s]+)@(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/.exec(s);
  if (!m) return undefined;
  return { username: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), ...(m[3] ? { port: Number(m[3]) } : {}) };
}

/**
 * The REST body for `POST /api/devices` (and `/test`) from command-line flags: `--ssh` alone is the
 * engine's connection; beside `--socket` or `--tcp` it is the login that reads the device's /proc.
 */
export function deviceInputFromFlags(f: DeviceFlags, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Record<string, unknown> {
  const problems: ErrorDetail[] = [];
  const read = (path: string | undefined, flag: string): string | undefined => {
    if (!path) {
      problems.push({ path: flag, message: 'is required' });
      return undefined;
    }
    try {
      return readFile(path);
    } catch (e) {
      problems.push({ path: flag, message: `cannot read ${path}: ${(e as Error).message}` });
      return undefined;
    }
  };
  const ways = [f.socket && '--socket', f.tcp && '--tcp'].filter(Boolean);
  if (ways.length > 1) problems.push({ path: '--socket/--tcp', message: 'give one way to reach the engine' });
  let ssh: Record<string, unknown> | undefined;
  if (f.ssh) {
    const target = parseSshTarget(f.ssh);
    if (!target) problems.push({ path: '--ssh', message: 'must look like user@host or user@host:port' });
    const privateKey = read(f.sshKey, '--ssh-key');
    if (target && privateKey) ssh = { ...target, privateKey };
  }
  let connection: Record<string, unknown> | undefined;
  if (f.socket) connection = { type: 'socket', socketPath: f.socket };
  else if (f.tcp) {
    const m = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(f.tcp);
    if (!m) problems.push({ path: '--tcp', message: 'must look like host:port' });
    const tls = { ca: read(f.tlsCa, '--tls-ca'), cert: read(f.tlsCert, '--tls-cert'), key: read(f.tlsKey, '--tls-key') };
    if (m) connection = { type: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), tls };
  } else if (ssh) {
    connection = { type: 'ssh', ...ssh, ...(f.sshSocket ? { socketPath: f.sshSocket } : {}) };
    ssh = undefined;
  } else if (!f.ssh) problems.push({ path: '--socket/--tcp/--ssh', message: 'give one way to reach the engine' });

  const labels: Record<string, string> = {};
  for (const l of f.label ?? []) {
    const i = l.indexOf('=');
    if (i <= 0) problems.push({ path: '--label', message: `"${l}" must be key=value` });
    else labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const reserve: Record<string, number> = {};
  for (const [flag, key, v] of [['--reserve-memory', 'memoryBytes', f.reserveMemory], ['--reserve-disk', 'diskBytes', f.reserveDisk]] as const) {
    if (v === undefined) continue;
    const n = parseBytes(v);
    if (n === undefined) problems.push({ path: flag, message: `"${v}" is not a size like 512M or 2G` });
    else reserve[key] = n;
  }
  if (problems.length) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `bad options (${problems.length} problem${problems.length === 1 ? '' : 's'})`, {
      details: problems,
      hint: 'e.g. warren devices add --name nas --tcp nas.lan:2376 --tls-ca ca.pem --tls-cert cert.pem --tls-key key.pem',
    });
  }
  return {
    ...(f.name ? { name: f.name } : {}),
    engine: f.engine ?? 'docker',
    connection,
    ...(ssh ? { ssh } : {}),
    ...(f.nodeExporter ? { nodeExporterUrl: f.nodeExporter } : {}),
    ...(f.helperImage ? { helperImage: f.helperImage } : {}),
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(Object.keys(reserve).length ? { reserve } : {}),
  };
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function connectionOptions(cmd: Command): Command {
  return cmd
    .option('--engine <engine>', 'docker or podman', 'docker')
    .option('--socket <path>', 'the engine\'s Unix socket on this machine')
    .option('--tcp <host:port>', 'the engine over TCP with TLS (with --tls-ca, --tls-cert, --tls-key)')
    .option('--tls-ca <file>', 'CA certificate (PEM)')
    .option('--tls-cert <file>', 'client certificate (PEM)')
    .option('--tls-key <file>', 'client key (PEM)')
    .option('--ssh <user@host:port>', 'SSH login: the engine\'s connection, or with --socket/--tcp the login that reads /proc')
    .option('--ssh-key <file>', 'private key for --ssh')
    .option('--ssh-socket <path>', 'the engine\'s socket on the device, forwarded over SSH (Podman)')
    .option('--node-exporter <url>', 'a Prometheus node_exporter for the host figures, e.g. http://nas.lan:9100/metrics')
    .option('--helper-image <ref>', 'a local image with sh for probing ports and device paths (default: busybox, alpine or debian if present)');
}

const pct = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x * 100)}%`);

function formatTest(r: DeviceTestResult): string {
  return [`${r.ok ? 'ok' : 'FAILED'}: ${r.message}`, ...(r.metrics ? [`  metrics (${r.metrics.source}): ${r.metrics.ok ? 'ok' : 'failed'}: ${r.metrics.message}`] : [])].join('\n');
}

export function formatDevices(devices: DeviceView[]): string {
  if (devices.length === 0) return 'no devices; add one with `warren devices add`';
  return table(
    ['NAME', 'ID', 'ENGINE', 'ARCH', 'STATE', 'AGE', 'RAM USED', 'DISK FREE', 'CPU', 'AVAIL 7D', 'WHY'],
    devices.map((d) => [
      d.name,
      d.id,
      d.engine,
      d.arch,
      `${d.state}${d.cordoned ? ' (cordoned)' : ''}`,
      d.ageSeconds === null ? '-' : formatAge(d.ageSeconds),
      d.figures.memory ? `${formatBytes(d.figures.memory.usedBytes)} / ${formatBytes(d.figures.memory.totalBytes)}` : '-',
      d.figures.storage ? formatBytes(d.figures.storage.availableBytes) : '-',
      d.figures.cpu ? `${pct(d.figures.cpu.utilisation)} of ${d.figures.cpu.cores}` : '-',
      d.availability7d === null ? '-' : pct(d.availability7d),
      d.state === 'fresh' ? (d.hostMetrics.failure ? `host figures: ${d.hostMetrics.failure}` : '') : d.message,
    ]),
  );
}

export function register(program: Command, cli: CliContext): void {
  const devices = program.commands.find((c) => c.name() === 'devices') ?? program.command('devices').description('The device inventory');
  const run = (fn: (...args: any[]) => Promise<void>) => async (...args: any[]) => {
    try {
      await fn(...args);
    } catch (e) {
      cli.fail(e);
    }
  };

  devices
    .command('list', { isDefault: true })
    .description('devices with their state, figures and why a device is not fresh')
    .action(run(async () => {
      const { devices: list } = await cli.api<{ devices: DeviceView[] }>('GET', '/devices');
      cli.print(list, formatDevices);
    }));

  connectionOptions(devices.command('add').description('add a device (its engine, and where its host figures come from)'))
    .requiredOption('--name <name>', 'a name people recognise')
    .option('--label <key=value>', 'a label (repeatable)', collect)
    .option('--reserve-memory <size>', 'RAM held back from placement, e.g. 512M')
    .option('--reserve-disk <size>', 'disk held back from placement, e.g. 10G')
    .action(run(async (opts: DeviceFlags) => {
      const { device } = await cli.api<{ device: DeviceView }>('POST', '/devices', deviceInputFromFlags(opts));
      cli.print(device, (d) => `added ${d.name} (${d.id}): ${d.state}, ${d.message}`);
    }));

  connectionOptions(devices.command('test [id]').description('test a connection before adding it, or a saved device\'s'))
    .action(run(async (id: string | undefined, opts: DeviceFlags) => {
      const result = id
        ? await cli.api<DeviceTestResult>('POST', `/devices/${encodeURIComponent(id)}/test`)
        : await cli.api<DeviceTestResult>('POST', '/devices/test', deviceInputFromFlags(opts));
      cli.print(result, formatTest);
      if (!result.ok) process.exitCode = 1;
    }));

  devices
    .command('remove <id>')
    .description('remove a device and its connections (refused while apps run on it)')
    .action(run(async (id: string) => {
      await cli.api('DELETE', `/devices/${encodeURIComponent(id)}`);
      cli.print({ removed: id }, () => `removed ${id}`);
    }));

  for (const [name, what] of [['cordon', 'keep new apps off a device'], ['uncordon', 'let placement use a device again']] as const) {
    devices
      .command(`${name} <id>`)
      .description(what)
      .action(run(async (id: string) => {
        const { device } = await cli.api<{ device: DeviceView }>('POST', `/devices/${encodeURIComponent(id)}/${name}`);
        cli.print(device, (d) => `${d.name} is ${d.cordoned ? 'cordoned' : 'not cordoned'}`);
      }));
  }
}
