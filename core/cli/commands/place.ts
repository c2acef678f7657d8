// `warren place <catalog-id|manifest-path|requirements.json> [--snapshot lab.json] [--json]`: rank the
// devices for an app and explain the choice. With --snapshot it ranks locally and needs no hub.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { WarrenError } from '../../errors.js';
import { loadManifest } from '../../catalog/loader.js';
import { requirementsOf } from '../../catalog/resolve.js';
import {
  CRITERIA,
  formatBytes,
  rankDevices,
  requirementsFromCatalog,
  type Candidate,
  type Criterion,
  type PlacementApiRequest,
  type PlacementRequirements,
  type PlacementResult,
  type Weights,
} from '../../placement/index.js';
import { loadRequirements, loadSnapshot } from '../../placement/load.js';
import { table, type CliContext } from '../context.js';

interface PlaceOptions {
  snapshot?: string;
  requirements?: string;
  deviceWeights?: string;
  freshnessLimit?: string;
}

/** `ram=50,storage=20` → { ram: 50, storage: 20 }; every bad entry is reported. */
export function parseWeights(spec: string): Partial<Weights> {
  const out: Partial<Weights> = {};
  const details: { path: string; message: string }[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [key, raw] = part.split('=').map((s) => s.trim());
    const n = Number(raw);
    if (!(CRITERIA as readonly string[]).includes(key!)) details.push({ path: `--device-weights/${key}`, message: `unknown criterion; use ${CRITERIA.join(', ')}` });
    else if (raw === undefined || raw === '' || !Number.isFinite(n) || n < 0) details.push({ path: `--device-weights/${key}`, message: `"${raw ?? ''}" is not a number >= 0` });
    else out[key as keyof Weights] = n;
  }
  if (details.length > 0) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `Bad --device-weights: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, {
      hint: 'Write them as ram=40,storage=30,cpu=15,load=10,reliability=5 (any subset).',
      details,
    });
  }
  return out;
}

/** Where curated apps live: WARREN_CATALOG_DIR, else catalog/apps in the working directory or the checkout. */
function catalogManifestPath(id: string): string | undefined {
  const dirs = [process.env.WARREN_CATALOG_DIR, resolve('catalog/apps'), new URL('../../../catalog/apps', import.meta.url).pathname];
  for (const dir of dirs) {
    if (!dir) continue;
    const p = resolve(dir, id, 'compose.yaml');
    if (existsSync(p)) return p;
  }
  return undefined;
}

function requirementsFromManifestFile(path: string): PlacementRequirements {
  return requirementsFromCatalog(requirementsOf(loadManifest(readFileSync(path, 'utf8'), { source: path })));
}

/**
 * The app argument, read locally where possible: a requirements JSON file, a manifest (Compose file
 * with x-warren), or a catalog id. A catalog id not found locally is left to the hub (`{ app: id }`).
 */
export async function resolveApp(arg: string, requirementsFile?: string): Promise<{ label: string; requirements?: PlacementRequirements }> {
  if (requirementsFile) return { label: arg, requirements: await loadRequirements(requirementsFile) };
  if (existsSync(arg)) {
    return { label: arg, requirements: arg.endsWith('.json') ? await loadRequirements(arg) : requirementsFromManifestFile(arg) };
  }
  const manifest = catalogManifestPath(arg);
  return manifest ? { label: arg, requirements: requirementsFromManifestFile(manifest) } : { label: arg };
}

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
    out.push(
      table(
        ['#', 'DEVICE', 'TOTAL', ...CRITERIA.map((k) => HEADINGS[k])],
        eligible.map((c, i) => [i + 1, c.device, c.total!.toFixed(2), ...CRITERIA.map((k) => cell(c, k))]),
      ),
    );
    const notes = eligible.flatMap((c) => [
      ...CRITERIA.filter((k) => c.criteria[k].note).map((k) => `${c.device}: ${HEADINGS[k].toLowerCase()} ${c.criteria[k].note}`),
      ...c.notes.map((n) => `${c.device}: ${n}`),
      ...c.databases.map((d) =>
        d.via === 'pool' ? `${c.device}: database ${d.ref} via the ${d.detail}` : `${c.device}: ${d.detail}; its ${formatBytes(d.memoryBytes)} count in the RAM need`,
      ),
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

export function register(program: Command, cli: CliContext): void {
  program
    .command('place')
    .description('Rank the devices for an app: every disqualification with its reasons, per-criterion scores, the recommendation')
    .argument('<app>', 'catalog id, manifest path (compose.yaml with x-warren) or requirements JSON file')
    .option('--snapshot <file>', 'rank against a snapshot file (from `warren devices snapshot`) instead of the live hub')
    .option('--requirements <file>', 'the app\'s placement requirements as a JSON file (overrides what the app argument gives)')
    .option('--device-weights <list>', 'criterion weights, e.g. ram=50,storage=20,cpu=15,load=10,reliability=5')
    .option('--freshness-limit <seconds>', 'metrics older than this disqualify a device (default 90)')
    .action(async (appArg: string, opts: PlaceOptions) => {
      try {
        const weights = opts.deviceWeights ? parseWeights(opts.deviceWeights) : undefined;
        const freshnessLimitSeconds = opts.freshnessLimit === undefined ? undefined : Number(opts.freshnessLimit);
        if (freshnessLimitSeconds !== undefined && !(freshnessLimitSeconds > 0)) {
          throw new WarrenError('WARREN_ERR_INVALID_INPUT', `--freshness-limit must be a number of seconds above 0, not "${opts.freshnessLimit}"`);
        }
        const app = await resolveApp(appArg, opts.requirements);
        let result: PlacementResult;
        if (opts.snapshot) {
          if (!app.requirements) {
            throw new WarrenError('WARREN_ERR_NOT_FOUND', `No catalog app, manifest or requirements file "${appArg}"`, {
              hint: 'Give a manifest path, a requirements JSON file, or --requirements req.json (a catalog id needs the catalog directory; set WARREN_CATALOG_DIR).',
            });
          }
          const snapshot = await loadSnapshot(opts.snapshot);
          result = rankDevices(app.requirements, snapshot.devices, { weights, freshnessLimitSeconds });
        } else {
          const body: PlacementApiRequest = {
            app: app.requirements?.app ?? appArg,
            ...(app.requirements ? { requirements: app.requirements } : {}),
            ...(weights ? { weights } : {}),
            ...(freshnessLimitSeconds !== undefined ? { freshnessLimitSeconds } : {}),
          };
          result = (await cli.api('POST', '/api/placement', body)) as PlacementResult;
        }
        cli.print(result, (r: PlacementResult) => formatPlacement(r, app.label));
      } catch (e) {
        cli.fail(e);
      }
    });
}
