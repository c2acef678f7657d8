#!/usr/bin/env node
// Runs the built hub (dist/warren.js) when there is one, else the TypeScript sources through tsx.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'warren.js');
if (existsSync(built)) {
  process.argv[1] = built;
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  process.argv[1] = join(root, 'core', 'cli', 'main.ts');
  await import(pathToFileURL(process.argv[1]).href);
}
