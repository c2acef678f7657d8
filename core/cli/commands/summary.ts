// `warren summary`: the fleet in one view — totals with how many devices they cover and how old they
// are, devices by state, apps by status, pooling savings, and one row per device.
import type { Command } from 'commander';
import type { SummaryView } from '../../devices/index.js';
import { formatAge, formatBytes } from '../../placement/units.js';
import { table, type CliContext } from '../context.js';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${Math.round(x * 100)}%`);
const covers = (c: { devices: number; of: number; machines?: number }) =>
  `${c.devices === c.of ? `all ${c.of}` : `${c.devices} of ${c.of}`}${c.machines !== undefined && c.machines !== c.devices ? ` on ${c.machines} machine${c.machines === 1 ? '' : 's'}` : ''}`;
const ageMs = (ms: number | undefined) => (ms === undefined ? '' : `, oldest ${formatAge(ms / 1000)}`);

export function formatSummary(v: SummaryView): string {
  const s = v.summary;
  const lines = [
    `Devices  ${s.devices.total}: ${s.devices.fresh} fresh, ${s.devices.stale} stale, ${s.devices.offline} offline`,
    `RAM      ${formatBytes(s.memory.usedBytes)} used of ${formatBytes(s.memory.totalBytes)}, ${formatBytes(s.memory.availableBytes)} available (covers ${covers(s.memory.covers)}${ageMs(s.memory.ageMs)})`,
    `Storage  ${formatBytes(s.storage.availableBytes)} free of ${formatBytes(s.storage.totalBytes)} (covers ${covers(s.storage.covers)}${ageMs(s.storage.ageMs)})`,
    `CPU      ${pct(s.cpu.utilisation)} of ${s.cpu.cores} cores, weighted by cores (covers ${covers(s.cpu.covers)}${ageMs(s.cpu.ageMs)})`,
    `Apps     ${s.apps.total}: ${s.apps.running} running, ${s.apps.stopped} stopped, ${s.apps.failed} failed${s.apps.other ? `, ${s.apps.other} other` : ''}`,
    `Pooling  ${s.pooling ? `saves ${formatBytes(s.pooling.bytes)} of RAM (${s.pooling.basis})` : 'no shared database servers'}`,
    ...(s.notes ?? []).map((n) => `Note     ${n}`),
  ];
  if (v.devices.length) {
    lines.push(
      '',
      table(
        ['DEVICE', 'STATE', 'AGE', 'RAM USED', 'DISK FREE', 'CPU', 'LOAD'],
        v.devices.map((d) => [
          d.name,
          d.state,
          d.ageSeconds === null ? '-' : formatAge(d.ageSeconds),
          d.memory ? `${formatBytes(d.memory.usedBytes)} / ${formatBytes(d.memory.totalBytes)}` : '-',
          d.storage ? formatBytes(d.storage.availableBytes) : '-',
          d.cpu ? `${pct(d.cpu.utilisation)} of ${d.cpu.cores}` : '-',
          d.load1 === undefined ? '-' : d.load1.toFixed(2),
        ]),
      ),
    );
  }
  return lines.join('\n');
}

export function register(program: Command, cli: CliContext): void {
  program
    .command('summary')
    .description('the fleet at a glance: RAM, storage, CPU, devices by state, apps by status')
    .action(async () => {
      try {
        cli.print(await cli.api<SummaryView>('GET', '/summary'), formatSummary);
      } catch (e) {
        cli.fail(e);
      }
    });
}
