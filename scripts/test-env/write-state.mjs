#!/usr/bin/env node
// Assembles state.json from the parts test-env.sh provisioned. JSON is built here rather than in bash
// because error messages carry arbitrary command output that bash cannot escape reliably.
// Usage: write-state.mjs OUT [part=JSON | !part=MESSAGE]...  (written atomically: tests read it concurrently)
import { renameSync, writeFileSync } from 'node:fs';

const [out, ...pairs] = process.argv.slice(2);
const state = {};
const errors = {};
for (const pair of pairs) {
  const eq = pair.indexOf('=');
  const key = pair.slice(0, eq);
  const value = pair.slice(eq + 1);
  if (key.startsWith('!')) errors[key.slice(1)] = value;
  else state[key] = JSON.parse(value);
}
state.errors = errors;
state.updatedAt = new Date().toISOString();
const tmp = `${out}.${process.pid}.tmp`;
writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
renameSync(tmp, out);
