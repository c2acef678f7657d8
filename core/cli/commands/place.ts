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
  formatPlacement,
  rankDevices,
  requirementsFromCatalog,
  type PlacementApiRequest,
  type PlacementRequirements,
  type PlacementResult,
  type Weights,
} from '../../placement/index.js';
import { loadRequirements, loadSnapshot } from '../../placement/load.js';
import type { CliContext } from '../context.js';

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
