// The operation journal with fake steps over a world of named resources: a step that throws is undone
// with everything before it, and a process "killed" at any step boundary is finished or rolled back on
// recovery, leaving either every resource or none.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, type OperationKind } from '../../../../core/apps/journal.js';
import { openStore, type Store } from '../../../../core/store/index.js';

class Crash extends Error {}

interface World {
  resources: Set<string>;
  log: string[];
  failAt?: string;
  store: Store;
  seenRunning: string[];
}

/** A step that creates resource `name` (idempotently) and whose undo removes it. */
function makeKind(kind: string, names: string[], finishFrom: number, onFailure: 'rollback' | 'fail'): OperationKind<World> {
  return {
    kind,
    finishFrom,
    onFailure,
    steps: names.map((name) => ({
      name,
      run: async (w, d) => {
        const op = (await w.store.operations.list({ state: ['running'] }))[0]!;
        w.seenRunning.push(`${name}:${op.steps.find((s) => s.name === name)!.state}`);
        w.log.push(`run ${name}`);
        if (w.failAt === name) throw new Error(`${name} broke`);
        w.resources.add(name);
        return { [name]: `id-of-${name}`, seen: [...((d.seen as string[]) ?? []), name] };
      },
      undo: async (w) => {
        w.log.push(`undo ${name}`);
        w.resources.delete(name);
      },
    })),
  };
}

const STEPS = ['a', 'b', 'c', 'd'];

async function fixture(t: { teardown(fn: () => unknown): void }): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-journal-'));
  const store = await openStore({ dataDir: dir });
  await store.migrate();
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { resources: new Set(), log: [], store, seenRunning: [] };
}

t.test('every step is recorded running before it runs and done after; data accumulates', async (t) => {
  const w = await fixture(t);
  const kind = makeKind('k', STEPS, 2, 'rollback');
  const j = new Journal(w.store, w);
  const op = await j.create(kind, 'app:x', { start: 1 });
  t.equal(op.state, 'pending');
  const end = await j.run(kind, op);
  t.equal(end.state, 'done');
  t.same(w.seenRunning, STEPS.map((s) => `${s}:running`), 'each step saw itself recorded as running');
  t.same(end.steps.map((s) => s.state), ['done', 'done', 'done', 'done']);
  t.same(end.steps[3]!.data, { start: 1, a: 'id-of-a', b: 'id-of-b', c: 'id-of-c', d: 'id-of-d', seen: STEPS });
  t.same([...w.resources].sort(), STEPS);
});

t.test('a step that throws: with rollback, it and every earlier step are undone newest first', async (t) => {
  for (const [i, name] of STEPS.entries()) {
    const w = await fixture(t);
    w.failAt = name;
    const kind = makeKind('k', STEPS, 2, 'rollback');
    const finished: string[] = [];
    const j = new Journal(w.store, w, { finished: (op) => finished.push(op.state) });
    const end = await j.run(kind, await j.create(kind, 'app:x', {}));
    t.equal(end.state, 'rolled_back', `fails at ${name}`);
    t.equal(end.error, `${name} broke`);
    t.same(w.resources.size, 0, 'nothing left');
    t.same(w.log.filter((l) => l.startsWith('undo')), STEPS.slice(0, i + 1).reverse().map((s) => `undo ${s}`));
    t.same(finished, ['rolled_back'], 'finished is reported once');
  }
});

t.test('a step that throws: with fail, the operation stops there and a rerun resumes at that step', async (t) => {
  const w = await fixture(t);
  w.failAt = 'c';
  const kind = makeKind('k', STEPS, 0, 'fail');
  const j = new Journal(w.store, w);
  const end = await j.run(kind, await j.create(kind, 'app:x', {}));
  t.equal(end.state, 'failed');
  t.same([...w.resources], ['a', 'b'], 'done steps are kept');
  w.failAt = undefined;
  w.log = [];
  const again = await j.run(kind, end);
  t.equal(again.state, 'done');
  t.same(w.log, ['run c', 'run d'], 'resumed at the failed step');
});

t.test('killed at every step boundary: recovery finishes past the point of no return, else rolls back', async (t) => {
  for (const onFailure of ['rollback', 'fail'] as const) {
    const finishFrom = onFailure === 'rollback' ? 2 : 0;
    for (const [i, name] of STEPS.entries()) {
      for (const when of ['before', 'after'] as const) {
        const w = await fixture(t);
        const kind = makeKind('k', STEPS, finishFrom, onFailure);
        const dying = new Journal(w.store, w, {
          boundary: (_k, step, at) => {
            if (step === name && at === when) throw new Crash('killed');
          },
        });
        const op = await dying.create(kind, 'app:x', {});
        await t.rejects(dying.run(kind, op), { message: 'killed' });
        const left = (await w.store.operations.get(op.id))!;
        t.equal(left.state, 'running', 'the journal shows it unfinished');
        // A new process: a fresh journal reading only the store.
        const end = await new Journal(w.store, w).recover(kind, left);
        // Before/after a step i: steps 0..i-1 (before) or 0..i (after) are recorded done.
        const doneCount = when === 'before' ? i : i + 1;
        const finishes = doneCount >= finishFrom;
        const label = `${onFailure}, killed ${when} ${name}`;
        if (finishes) {
          t.equal(end.state, 'done', `${label}: finished`);
          t.same([...w.resources].sort(), STEPS, `${label}: everything there`);
        } else {
          t.equal(end.state, 'rolled_back', `${label}: rolled back`);
          t.same(w.resources.size, 0, `${label}: nothing left`);
          t.equal(end.error, 'interrupted by a hub restart');
        }
      }
    }
  }
});

t.test('a rollback interrupted halfway is carried on, not turned into a finish', async (t) => {
  const w = await fixture(t);
  const kind = makeKind('k', STEPS, 1, 'rollback');
  const j = new Journal(w.store, w);
  const op = await j.create(kind, 'app:x', {});
  // Recorded as a rollback under way: a and b done, c failed, b already undone.
  await w.store.operations.update(op.id, {
    state: 'running',
    steps: [
      { name: 'a', state: 'done', data: {} },
      { name: 'b', state: 'undone', data: {} },
      { name: 'c', state: 'failed', data: {} },
      { name: 'd', state: 'pending' },
    ],
  });
  w.resources.add('a').add('c');
  const end = await j.recover(kind, (await w.store.operations.get(op.id))!);
  t.equal(end.state, 'rolled_back');
  t.same(w.resources.size, 0);
  t.same(w.log, ['undo c', 'undo a'], 'undone steps are not undone twice');
});

t.test('an undo that fails leaves the operation failed, saying both causes', async (t) => {
  const w = await fixture(t);
  w.failAt = 'c';
  const kind = makeKind('k', STEPS, 4, 'rollback');
  kind.steps[0]!.undo = async () => {
    throw new Error('engine away');
  };
  const j = new Journal(w.store, w);
  const end = await j.run(kind, await j.create(kind, 'app:x', {}));
  t.equal(end.state, 'failed');
  t.match(end.error, /c broke; undoing failed: engine away/);
  t.same(end.steps.map((s) => s.state), ['done', 'undone', 'undone', 'pending']);
});
