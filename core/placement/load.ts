// The one file of core/placement that touches the disk: reading requirements and snapshot files for
// the CLI. index.ts does not re-export it, so the ranking itself stays free of I/O.
import { readFile } from 'node:fs/promises';
import { WarrenError } from '../errors.js';
import type { PlacementRequirements, Snapshot } from './types.js';
import { parseRequirements, parseSnapshot } from './validate.js';

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WarrenError(code === 'ENOENT' ? 'WARREN_ERR_NOT_FOUND' : 'WARREN_ERR_INVALID_INPUT', `Cannot read ${what} ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${what} ${path} is not JSON: ${(e as Error).message}`, {
      hint: `Check the file is complete JSON (a truncated or hand-edited file is the usual cause); \`warren devices snapshot > lab.json\` writes a fresh snapshot.`,
      details: [{ path: '/', message: (e as Error).message }],
      cause: e,
    });
  }
}

/** A PlacementRequirements JSON file, validated. */
export async function loadRequirements(path: string): Promise<PlacementRequirements> {
  return parseRequirements(await readJson(path, 'requirements file'));
}

/** A snapshot file as written by `warren devices snapshot`, validated. */
export async function loadSnapshot(path: string): Promise<Snapshot> {
  return parseSnapshot(await readJson(path, 'snapshot file'));
}
