// Operations as journaled step lists: every step is recorded in `store.operations` before it runs and
// after it ends, with the data it produced, so that a hub killed at any point can bring the operation
// to an end on its next start — finished when it got past its point of no return, otherwise undone.
import { describeError } from '../errors.js';
import type { Operation, OperationStep, Store } from '../store/index.js';

export type StepData = Record<string, unknown>;

export interface StepProgress {
  (message: string, fraction?: number): void;
}

export interface Step<C> {
  /** kebab-case: it is also what the crash hook names. */
  name: string;
  /** Returns data to merge into the operation's data; must be safe to run again after an interruption. */
  run(ctx: C, data: StepData, progress: StepProgress): Promise<StepData | void>;
  /** Must be idempotent: it also runs for a step that was interrupted halfway, or whose run threw. */
  undo?(ctx: C, data: StepData): Promise<void>;
}

export interface OperationKind<C> {
  kind: string;
  steps: Step<C>[];
  /**
   * Index of the first step that is run to the end rather than undone: an operation interrupted once
   * every step before it was done is finished on restart; an earlier interruption rolls it back.
   * 0 means "always finish" (removal), steps.length means "always roll back".
   */
  finishFrom: number;
  /** What a step failing does: undo what was done (install), or stop and leave it for a retry (removal). */
  onFailure: 'rollback' | 'fail';
}

export interface JournalHooks {
  /** Called at every step boundary; the crash test hook lives behind it. */
  boundary?(kind: string, step: string, when: 'before' | 'after'): void;
  progress?(op: Operation, step: string, message: string, fraction?: number): void;
  finished?(op: Operation): void;
}

export function dataOf(op: Operation): StepData {
  let data: StepData = {};
  for (const s of op.steps) if (s.data) data = { ...data, ...s.data };
  return data;
}

export class Journal<C> {
  constructor(
    private readonly store: Store,
    private readonly ctx: C,
    private readonly hooks: JournalHooks = {},
  ) {}

  /** Records a new pending operation; `data` is what its steps start from (never secrets). */
  async create(def: OperationKind<C>, target: string, data: StepData): Promise<Operation> {
    const steps: OperationStep[] = def.steps.map((s, i) => ({ name: s.name, state: 'pending', ...(i === 0 ? { data } : {}) }));
    return this.store.operations.insert({ kind: def.kind, target, state: 'pending', steps });
  }

  /** Runs a recorded operation from its first step not done; resolves with the final operation (never throws for a step's failure). */
  async run(def: OperationKind<C>, op: Operation): Promise<Operation> {
    const recorded = op.steps.map((s) => ({ ...s }));
    const data = dataOf(op);
    let first = recorded.findIndex((s) => s.state !== 'done');
    if (first < 0) first = recorded.length;
    for (let i = first; i < def.steps.length; i++) {
      const step = def.steps[i]!;
      recorded[i] = { ...recorded[i]!, state: 'running', data: { ...data } };
      await this.store.operations.update(op.id, { state: 'running', currentStep: i, steps: recorded });
      this.hooks.boundary?.(def.kind, step.name, 'before');
      try {
        const out = await step.run(this.ctx, data, (message, fraction) => this.hooks.progress?.(op, step.name, message, fraction));
        Object.assign(data, out ?? {});
      } catch (e) {
        const message = describeError(e).message;
        recorded[i] = { ...recorded[i]!, state: 'failed', error: message, data: { ...data } };
        await this.store.operations.update(op.id, { steps: recorded, error: message });
        const ended = def.onFailure === 'rollback'
          ? await this.rollback(def, { ...op, steps: recorded }, message)
          : await this.store.operations.update(op.id, { state: 'failed', currentStep: i, error: message });
        this.hooks.finished?.(ended);
        return ended;
      }
      recorded[i] = { ...recorded[i]!, state: 'done', data: { ...data } };
      await this.store.operations.update(op.id, { steps: recorded });
      this.hooks.boundary?.(def.kind, step.name, 'after');
    }
    const done = await this.store.operations.update(op.id, { state: 'done', currentStep: null, error: null });
    this.hooks.finished?.(done);
    return done;
  }

  /** Undoes every step that started, newest first; a failing undo leaves the operation failed (and retryable). */
  async rollback(def: OperationKind<C>, op: Operation, cause: string): Promise<Operation> {
    const recorded = op.steps.map((s) => ({ ...s }));
    const data = dataOf(op);
    try {
      for (let i = recorded.length - 1; i >= 0; i--) {
        if (recorded[i]!.state === 'pending' || recorded[i]!.state === 'undone') continue;
        await def.steps[i]?.undo?.(this.ctx, data);
        recorded[i] = { ...recorded[i]!, state: 'undone' };
        await this.store.operations.update(op.id, { steps: recorded });
      }
      return await this.store.operations.update(op.id, { state: 'rolled_back', currentStep: null, error: cause });
    } catch (e) {
      return this.store.operations.update(op.id, { state: 'failed', steps: recorded, error: `${cause}; undoing failed: ${describeError(e).message}` });
    }
  }

  /**
   * Brings an operation a previous process left unfinished to an end: run on from where it stopped
   * when every step before `finishFrom` is done, otherwise undone.
   */
  async recover(def: OperationKind<C>, op: Operation): Promise<Operation> {
    const reached = op.steps.slice(0, def.finishFrom).every((s) => s.state === 'done');
    // A rollback that was under way when the process died is carried on, not turned around.
    const rollingBack = def.onFailure === 'rollback' && op.steps.some((s) => s.state === 'failed' || s.state === 'undone');
    if (reached && !rollingBack) return this.run(def, op);
    const ended = await this.rollback(def, op, 'interrupted by a hub restart');
    this.hooks.finished?.(ended);
    return ended;
  }
}
