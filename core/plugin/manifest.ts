// Reading and checking a plugin package's `warren` section. A plugin whose apiVersion range does not
// include this host's API version is refused with WARREN_ERR_PLUGIN_API_MISMATCH; the hub goes on.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { WarrenError } from '../errors.js';
import { PLUGIN_API_VERSION, type PluginManifest, type ProviderKind } from './types.js';

export interface PluginPackage {
  name: string;
  version: string;
  dir: string;
  /** The module to import (package.json `main`/`exports`, else index.js / index.ts). */
  entry: string;
  keywords: string[];
  warren: PluginManifest;
}

const KINDS: ProviderKind[] = ['container-host', 'database-pool', 'metrics-source'];

export async function readPluginPackage(dir: string, opts: { preferTs?: boolean } = {}): Promise<PluginPackage> {
  let raw: string;
  try {
    raw = await readFile(join(dir, 'package.json'), 'utf8');
  } catch (e) {
    throw new WarrenError('WARREN_ERR_PLUGIN_MANIFEST', `${dir}: no package.json`, { cause: e });
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(raw) as Record<string, unknown>;
  } catch (e) {
    throw new WarrenError('WARREN_ERR_PLUGIN_MANIFEST', `${dir}/package.json is not valid JSON: ${(e as Error).message}`);
  }
  const name = typeof pkg.name === 'string' ? pkg.name : dir;
  const warren = pkg.warren as Record<string, unknown> | undefined;
  const details: { path: string; message: string }[] = [];
  if (!warren || typeof warren !== 'object') details.push({ path: '/warren', message: 'is required (the plugin section)' });
  else {
    if (typeof warren.apiVersion !== 'string' || !semver.validRange(warren.apiVersion)) {
      details.push({ path: '/warren/apiVersion', message: 'must be a semver range such as "^1.0.0"' });
    }
    if (!Array.isArray(warren.providers) || warren.providers.length === 0) {
      details.push({ path: '/warren/providers', message: 'must list at least one provider' });
    } else {
      warren.providers.forEach((p: Record<string, unknown>, i: number) => {
        if (!KINDS.includes(p?.kind as ProviderKind)) details.push({ path: `/warren/providers/${i}/kind`, message: `must be one of ${KINDS.join(', ')}` });
        if (typeof p?.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(p.id)) details.push({ path: `/warren/providers/${i}/id`, message: 'must match [a-z0-9-]+' });
        if (typeof p?.title !== 'string') details.push({ path: `/warren/providers/${i}/title`, message: 'must be a string' });
      });
    }
    if (warren.isolation !== undefined && warren.isolation !== 'process' && warren.isolation !== 'none') {
      details.push({ path: '/warren/isolation', message: 'must be "process" or "none"' });
    }
  }
  if (details.length) {
    throw new WarrenError('WARREN_ERR_PLUGIN_MANIFEST', `${name}: the "warren" section of package.json is invalid`, { details });
  }
  const manifest = warren as unknown as PluginManifest;
  if (!semver.satisfies(PLUGIN_API_VERSION, manifest.apiVersion, { includePrerelease: true })) {
    throw new WarrenError(
      'WARREN_ERR_PLUGIN_API_MISMATCH',
      `${name}: needs plugin API ${manifest.apiVersion}, this hub provides ${PLUGIN_API_VERSION}`,
      { hint: 'Install a version of the plugin made for this Warren, or update Warren.' },
    );
  }
  const main = typeof pkg.main === 'string' ? pkg.main : opts.preferTs ? 'index.ts' : 'index.js';
  return {
    name,
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    dir,
    entry: join(dir, main),
    keywords: Array.isArray(pkg.keywords) ? (pkg.keywords as string[]) : [],
    warren: manifest,
  };
}
