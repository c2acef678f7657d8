import { CRITERIA, type Candidate, type Criterion, type PlacementResult } from './types.js';
import { formatBytes } from './units.js';

const HEADINGS: Record<Criterion, string> = { ram: 'RAM', storage: 'STORAGE', cpu: 'CPU', load: 'LOAD', reliability: 'RELIABILITY' };

function cell(c: Candidate, k: Criterion): string {
  const r = c.criteria[k];
  const score = r.score.toFixed(1);
  if (r.value === null) return `${score} (unknown)`;
  switch (k) {
    case 'ram':
    case 'storage':
      return `${score} (${formatBytes(r.value)} free)`;
    case 'cpu':
      return `${score} (${r.value.toFixed(1)})`;
    case 'load':
      return `${score} (${r.value.toFixed(2)})`;
    case 'reliability':
      return `${score} (${(r.value * 100).toFixed(1)}%)`;
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** The human form of a placement result: ranked table, disqualified devices with every reason, the choice. */
export function formatPlacement(result: PlacementResult, appLabel?: string): string {
  const out: string[] = [];
  const w = result.weights;
  out.push(
    `Placement${appLabel ? ` of ${appLabel}` : ''}: weights ${CRITERIA.map((k) => `${HEADINGS[k].toLowerCase()} ${w[k]}`).join(', ')}`,
  );
  const eligible = result.candidates.filter((c) => c.eligible);
  const disqualified = result.candidates.filter((c) => !c.eligible);
  if (eligible.length > 0) {
    out.push('');
    const rows = [['#', 'DEVICE', 'TOTAL', ...CRITERIA.map((k) => HEADINGS[k])]];
    eligible.forEach((c, i) => rows.push([String(i + 1), c.device, c.total!.toFixed(2), ...CRITERIA.map((k) => cell(c, k))]));
    out.push(table(rows));
    const notes = eligible.flatMap((c) => [
      ...CRITERIA.filter((k) => c.criteria[k].note).map((k) => `${c.device}: ${HEADINGS[k].toLowerCase()} ${c.criteria[k].note}`),
      ...c.notes.map((n) => `${c.device}: ${n}`),
      ...c.databases.map((d) => `${c.device}: database ${d.ref} via ${d.via === 'pool' ? `the ${d.detail}` : `a dedicated server (${formatBytes(d.memoryBytes)})`}`),
    ]);
    if (notes.length > 0) out.push('', 'Notes:', ...notes.map((n) => `  ${n}`));
  }
  if (disqualified.length > 0) {
    out.push('', 'Disqualified:');
    for (const c of disqualified) {
      out.push(`  ${c.device}${c.name && c.name !== c.device ? ` (${c.name})` : ''}`);
      for (const r of c.reasons) out.push(`    - ${r.message}`);
    }
  }
  out.push('');
  if (result.recommended) {
    const best = result.candidates[0]!;
    out.push(`Recommended: ${best.device}${best.name && best.name !== best.device ? ` (${best.name})` : ''}, total ${best.total!.toFixed(2)}`);
    out.push(`Tie-break: ${result.tieBreak ?? 'none needed'}`);
  } else {
    out.push('Recommended: none; no device qualifies');
  }
  if (result.suggestions.length > 0) {
    out.push('', 'What would make a device fit:', ...result.suggestions.map((s) => `  ${s.message}`));
  }
  if (result.warnings.length > 0) out.push('', 'Warnings:', ...result.warnings.map((x) => `  ${x.message}`));
  return out.join('\n');
}
