// Multi-step pooling work as journaled operations: every step is recorded before and after it runs,
// with the data it produced, so that a hub killed midway can undo (or finish) it on the next start.
import type { Operation, OperationStep, Store } from '../store/index.js';

export type StepData = Record<string, unknown>;

export interface StepDef<C> {
  name: string;
  /** Returns data to merge into the operation's data (ids of what it created, for the undo). */
  run(ctx: C, data: StepData): Promise<StepData | void>;
  /** Must be idempotent: it also runs for a step that was interrupted halfway. */
  undo?(ctx: C, data: StepData): Promise<void>;
}

/** How an interrupted operation of a kind is brought to an end on restart. */
export type Recovery = 'rollback' | 'finish';

function dataOf(op: Operation): StepData {
  let data: StepData = {};
  for (const s of op.steps) if (s.data) data = { ...data, ...s.data };
  return data;
}

async function undoAll<C>(store: Store, op: Operation, steps: StepDef<C>[], ctx: C, data: StepData, cause: string): Promise<void> {
  const recorded = op.steps.map((s) => ({ ...s }));
  try {
    for (let i = recorded.length - 1; i >= 0; i--) {
      if (recorded[i]!.state === 'pending' || recorded[i]!.state === 'undone') continue;
      await steps[i]?.undo?.(ctx, data);
      recorded[i]!.state = 'undone';
      await store.operations.update(op.id, { steps: recorded });
    }
    await store.operations.update(op.id, { state: 'rolled_back', error: cause });
  } catch (e) {
    await store.operations.update(op.id, { state: 'failed', steps: recorded, error: `${cause}; rollback failed: ${(e as Error).message}` });
  }
}

async function runFrom<C>(store: Store, op: Operation, steps: StepDef<C>[], ctx: C, data: StepData, first: number, recovery: Recovery): Promise<StepData> {
  const recorded: OperationStep[] = op.steps.map((s) => ({ ...s }));
  for (let i = first; i < steps.length; i++) {
    recorded[i] = { ...recorded[i]!, state: 'running', data: { ...data } };
    await store.operations.update(op.id, { state: 'running', currentStep: i, steps: recorded });
    try {
      Object.assign(data, (await steps[i]!.run(ctx, data)) ?? {});
    } catch (e) {
      const message = (e as Error).message;
      recorded[i] = { ...recorded[i]!, state: 'failed', error: message, data: { ...data } };
      await store.operations.update(op.id, { steps: recorded, error: message });
      if (recovery === 'rollback') await undoAll(store, { ...op, steps: recorded }, steps, ctx, data, message);
      else await store.operations.update(op.id, { state: 'failed' });
      throw e;
    }
    recorded[i] = { ...recorded[i]!, state: 'done', data: { ...data } };
    await store.operations.update(op.id, { steps: recorded });
  }
  await store.operations.update(op.id, { state: 'done', currentStep: null });
  return data;
}

/** Runs `steps` as a new operation; on failure the done steps are undone (`rollback`) or left for a retry (`finish`). */
export async function journaled<C>(store: Store, kind: string, target: string, steps: StepDef<C>[], ctx: C, data: StepData, recovery: Recovery): Promise<StepData> {
  const op = await store.operations.insert({ kind, target, state: 'pending', steps: steps.map((s) => ({ name: s.name, state: 'pending' as const, data: {} })) });
  return runFrom(store, op, steps, ctx, { ...data }, 0, recovery);
}

/** Brings interrupted operations of the given kinds to an end: undone, or finished from the step that was running. */
export async function recoverOperations<C>(
  store: Store,
  kinds: Record<string, { steps: StepDef<C>[]; recovery: Recovery }>,
  ctx: C,
  onError: (op: Operation, e: unknown) => void,
  /** Only operations created before this moment: later ones belong to work in flight in this process. */
  before: number,
): Promise<number> {
  let n = 0;
  for (const op of await store.operations.list({ state: ['pending', 'running'] })) {
    const def = kinds[op.kind];
    if (!def || op.createdAt >= before) continue;
    n++;
    const data = dataOf(op);
    try {
      if (def.recovery === 'rollback') await undoAll(store, op, def.steps, ctx, data, 'interrupted by a hub restart');
      else {
        const next = op.steps.findIndex((s) => s.state !== 'done');
        await runFrom(store, op, def.steps, ctx, data, next < 0 ? def.steps.length : next, 'finish');
      }
    } catch (e) {
      onError(op, e);
    }
  }
  return n;
}
