#!/usr/bin/env node
// state.json for test-env.sh. JSON is handled here rather than in bash because error messages carry
// arbitrary command output that bash cannot escape reliably.
//   state.mjs write OUT [part=JSON | !part=MESSAGE]...   written atomically: suites read it concurrently
//   state.mjs read FILE                                  one "part<TAB>JSON" / "!part<TAB>MESSAGE" line each
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const [mode, file, ...pairs] = process.argv.slice(2);

if (mode === 'read') {
  let state = {};
  try {
    if (existsSync(file)) state = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // A damaged file is as good as none: `up` rewrites it.
  }
  const oneLine = (s) => String(s).replace(/[\t\n\r]+/g, ' ');
  for (const [key, value] of Object.entries(state)) {
    if (key === 'errors' || key === 'updatedAt') continue;
    console.log(`${key}\t${JSON.stringify(value)}`);
  }
  for (const [key, message] of Object.entries(state.errors ?? {})) console.log(`!${key}\t${oneLine(message)}`);
} else if (mode === 'write') {
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
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, file);
} else {
  console.error('usage: state.mjs write OUT [part=JSON | !part=MESSAGE]... | state.mjs read FILE');
  process.exit(2);
}
