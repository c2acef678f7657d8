#!/usr/bin/env node
// The `warren` command: the TypeScript sources through tsx in a checkout (never a stale build),
// the esbuild bundle (dist/warren.js) where only that was shipped.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'core', 'cli', 'main.ts');
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  process.argv[1] = source;
  await import(pathToFileURL(source).href);
} else {
  process.argv[1] = join(root, 'dist', 'warren.js');
  await import(pathToFileURL(process.argv[1]).href);
}
