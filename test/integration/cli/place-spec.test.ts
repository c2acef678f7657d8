// `warren place --snapshot --json` against snapshot files written from DESIGN.md §5 and issue #5
// alone (test/fixtures/placement-spec/*): each directory holds a snapshot, the app (a requirements
// JSON file or a Compose manifest) and expected.json, the outcome worked out by hand from the
// specification. The real command runs on each, in a child process, as a user would run it.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'bin/warren.js');
const fixtures = join(root, 'test/fixtures/placement-spec');

interface Expected {
  app: string;
  why: string;
  args?: string[];
  recommended?: string | null;
  weights?: Record<string, number>;
  tieBreak?: null;
  tieBreakMatches?: string;
  curves?: Record<string, Record<string, number>>;
  order?: string[];
  candidates?: Record<string, ExpectedCandidate>;
  suggestionsEmpty?: boolean;
  suggestions?: { device: string; actionCodes: string[]; app?: string; freesBytes?: number; messageMatches?: string }[];
  warnings?: string[];
  warningsExclude?: string[];
  warningMatches?: string;
  error?: { paths: string[] };
}
interface ExpectedCandidate {
  eligible: boolean;
  total?: number | null;
  criteria?: Record<string, Partial<Record<'value' | 'score' | 'weight' | 'contribution', number | null>>>;
  reasons?: [];
  reasonCodes?: string[];
  reasonCodesAnyOf?: string[];
  messages?: string[];
  notesMatch?: string;
}
interface Result {
  recommended: string | null;
  weights: Record<string, number>;
  curves: Record<string, Record<string, unknown>>;
  tieBreak: string | null;
  candidates: {
    device: string;
    eligible: boolean;
    total: number | null;
    criteria: Record<string, { value: number | null; score: number; weight: number; contribution: number }>;
    reasons: { code: string; message: string }[];
    notes?: string[];
  }[];
  suggestions: { device: string; message: string; actions: { code: string; message: string; app?: string; freesBytes?: number }[] }[];
  warnings: { code: string; message: string }[];
}

async function place(dir: string, e: Expected) {
  const args = ['--json', 'place', join(dir, e.app), '--snapshot', join(dir, 'snapshot.json'), ...(e.args ?? [])];
  try {
    const r = await run(process.execPath, [bin, ...args], { cwd: root, timeout: 1_200_000, env: { ...process.env, WARREN_TOKEN: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const x = err as { code: number | null; signal?: string; stdout: string; stderr: string };
    return { code: x.code ?? `killed by ${x.signal}`, stdout: x.stdout, stderr: x.stderr };
  }
}

/** "to 2 decimals": figures agree when they round alike, within half a hundredth. */
const near = (a: number | null | undefined, b: number | null) => (a === null || b === null ? a === b : a !== undefined && Math.abs(a - b) <= 0.005 + Math.abs(b) * 1e-12);

function checkResult(t: Test, r: Result, e: Expected): void {
  for (const k of ['recommended', 'weights', 'tieBreak', 'candidates', 'suggestions', 'warnings']) t.ok(k in r, `result has "${k}"`);
  if (e.recommended !== undefined) t.equal(r.recommended, e.recommended, 'recommended device');
  if (e.weights) t.same(r.weights, e.weights, 'weights echoed');
  if (e.tieBreak === null) t.equal(r.tieBreak, null, 'no tie-break needed');
  if (e.tieBreakMatches) t.match(r.tieBreak ?? '', new RegExp(e.tieBreakMatches, 'i'), `tie-break stated: ${r.tieBreak}`);
  for (const [k, params] of Object.entries(e.curves ?? {})) t.match(r.curves[k], params, `curves.${k} echoed`);

  const byId = new Map(r.candidates.map((c) => [c.device, c]));
  const firstDisqualified = r.candidates.findIndex((c) => !c.eligible);
  if (firstDisqualified >= 0) t.ok(r.candidates.slice(firstDisqualified).every((c) => !c.eligible), 'disqualified devices last');
  if (e.order) {
    t.same([...byId.keys()].sort(), [...e.order].sort(), 'every device is a candidate');
    const eligibleOrder = e.order.filter((id) => e.candidates?.[id]?.eligible !== false);
    t.same(r.candidates.filter((c) => c.eligible).map((c) => c.device), eligibleOrder, 'eligible devices best first');
  }
  for (const [id, ec] of Object.entries(e.candidates ?? {})) {
    const c = byId.get(id);
    if (!t.ok(c, `candidate ${id}`) || !c) continue;
    t.equal(c.eligible, ec.eligible, `${id} eligible`);
    if (ec.total !== undefined) t.ok(near(c.total, ec.total), `${id} total ${c.total} ≈ ${ec.total}`);
    for (const [k, fields] of Object.entries(ec.criteria ?? {})) {
      for (const [f, v] of Object.entries(fields)) {
        const got = c.criteria[k]?.[f as 'score'];
        // A contribution is apportioned (its hundredths add up to the total), so it may be a hundredth
        // from its own rounding: 66.667 = 11.11 + 11.11 + 0 + 33.34 + 11.11.
        const exact =
          f === 'value' && typeof v === 'number' && v > 1e6
            ? Math.abs((got ?? 0) - v) < 1
            : f === 'contribution' && typeof v === 'number' && typeof got === 'number'
              ? Math.abs(got - v) < 0.01 + 1e-9
              : near(got, v ?? null);
        t.ok(exact, `${id} ${k}.${f} ${got} ≈ ${v}`);
      }
    }
    const codes = [...new Set(c.reasons.map((x) => x.code))].sort();
    if (ec.reasons) t.same(c.reasons, [], `${id} has no reasons`);
    if (ec.reasonCodes) t.same(codes, [...ec.reasonCodes].sort(), `${id} reasons: every failing one, no other`);
    if (ec.reasonCodesAnyOf) t.ok(codes.length > 0 && codes.every((x) => ec.reasonCodesAnyOf!.includes(x)), `${id} reasons ${codes} among ${ec.reasonCodesAnyOf}`);
    for (const m of ec.messages ?? []) {
      t.ok(c.reasons.some((x) => new RegExp(m).test(x.message)), `${id}: a reason message matches /${m}/ (${c.reasons.map((x) => x.message).join(' | ')})`);
    }
    if (ec.notesMatch) t.match((c.notes ?? []).join('\n'), new RegExp(ec.notesMatch), `${id} notes`);
    if (c.eligible) {
      const sum = Object.values(c.criteria).reduce((s, x) => s + x.contribution, 0);
      t.ok(near(sum, c.total), `${id}: contributions sum to the total`);
      const weightSum = Object.values(r.weights).reduce((s, w) => s + w, 0);
      // Both figures are shown to hundredths, and the contributions are apportioned so that they add up
      // to the total: a contribution is within a hundredth of its score's share.
      for (const [k, x] of Object.entries(c.criteria)) {
        t.ok(Math.abs(x.contribution - (x.score * x.weight) / weightSum) <= 0.01 + 1e-9, `${id} ${k}: contribution ${x.contribution} = score·weight/Σweights (${(x.score * x.weight) / weightSum})`);
      }
    }
  }
  if (e.suggestionsEmpty) t.same(r.suggestions, [], 'no suggestions');
  for (const es of e.suggestions ?? []) {
    const s = r.suggestions.find((x) => x.device === es.device);
    if (!t.ok(s, `a suggestion for ${es.device} (${JSON.stringify(r.suggestions)})`) || !s) continue;
    t.same(s.actions.map((a) => a.code), es.actionCodes, `${es.device} actions`);
    if (es.app) t.equal(s.actions[0]?.app, es.app, `${es.device}: stop ${es.app}`);
    if (es.freesBytes) t.equal(s.actions[0]?.freesBytes, es.freesBytes, `${es.device}: frees`);
    if (es.messageMatches) t.match(s.message, new RegExp(es.messageMatches), `${es.device}: message "${s.message}"`);
  }
  const warningCodes = r.warnings.map((w) => w.code);
  for (const w of e.warnings ?? []) t.ok(warningCodes.includes(w), `warning ${w} (${warningCodes})`);
  for (const w of e.warningsExclude ?? []) t.notOk(warningCodes.includes(w), `no warning ${w}`);
  if (e.warningMatches) t.match(r.warnings.map((w) => w.message).join('\n'), new RegExp(e.warningMatches), 'warning names the app');
}

const dirs = readdirSync(fixtures).filter((d) => !d.includes('.')).sort();
t.ok(dirs.length >= 12, 'at least twelve scenarios');

// Each run starts a Node process with tsx (seconds of CPU); two at a time, all started before the checks.
const scenarios = dirs.map((name) => ({ name, dir: join(fixtures, name), e: JSON.parse(readFileSync(join(fixtures, name, 'expected.json'), 'utf8')) as Expected }));
let free = 2;
const waiting: (() => void)[] = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (free > 0) free--;
  else await new Promise<void>((r) => waiting.push(r));
  try {
    return await fn();
  } finally {
    const wake = waiting.shift();
    if (wake) wake();
    else free++;
  }
}
const outputs = new Map(scenarios.map((s) => [s.name, limited(() => place(s.dir, s.e))]));

for (const { name, e } of scenarios) {
  t.test(`${name}: ${e.why}`, async (t) => {
    const out = await outputs.get(name)!;
    if (e.error) {
      t.ok(typeof out.code === 'number' && out.code !== 0, `a non-zero exit (${out.code})`);
      t.equal(out.stdout, '', 'no result on stdout');
      // With --json the error is JSON on stderr: { error: { code, message, hint, details: [{ path, message }] } }.
      const error = (JSON.parse(out.stderr) as { error: { code: string; message: string; hint?: string; details?: { path: string }[] } }).error;
      t.equal(error.code, 'WARREN_ERR_INVALID_INPUT');
      t.same((error.details ?? []).map((d) => d.path).sort(), [...e.error.paths].sort(), `every bad field named with its JSON path: ${error.message}`);
      for (const p of e.error.paths) t.match(error.message, p, `the message names ${p}`);
      t.ok((error.hint ?? '').length > 20, `a hint: ${error.hint}`);
      return;
    }
    t.equal(out.code, 0, out.stderr);
    checkResult(t, JSON.parse(out.stdout) as Result, e);
  });
}
