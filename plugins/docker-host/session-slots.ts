// The SSH sessions one connection may hold at once (sshd's MaxSessions), handed out in the order
// they were asked for.
//
// A request that finds every session taken waits in line. A freed session goes to the head of the
// line, never to a request that came later: under steady load (a poll's requests, exec streams) a
// request that merely woke up and looked again could lose every race for 30 s and fail while
// younger requests were served (a database dump's stream did, beside eight busy pollers).

/** sshd's default MaxSessions: the channels one SSH connection may have open at once. */
export const SSH_MAX_SESSIONS = 10;

interface Waiter<T> {
  grant(handed?: T): void;
  fail(err: Error): void;
}

export interface SlotOptions {
  /** Sessions allowed until sshd refuses one below it (default SSH_MAX_SESSIONS). */
  max?: number;
  /** How long a limit lowered by a refusal holds before the full limit is tried again. */
  recoverMs?: number;
  /** How often a waiting line looks again: a recovered limit, an idle session to reclaim. */
  tickMs?: number;
  now?: () => number;
}

/**
 * The count of sessions held and the line of requests waiting for one. A session done with can be
 * handed to the head of the line as it is (`handOver`: an open channel, no new one to open) or
 * given back (`give`: the head opens its own). T is what is handed over.
 */
export class SessionSlots<T = never> {
  private held = 0;
  private limit: number;
  private lowered = false;
  private lowerUntil = 0;
  private closed = false;
  private readonly line: Waiter<T>[] = [];
  private tick?: NodeJS.Timeout;
  private readonly max: number;
  private readonly recoverMs: number;
  private readonly tickMs: number;
  private readonly now: () => number;
  /** Called when a request starts waiting and on every tick while any does: hand over an idle session kept for reuse, if there is one. */
  onWait?: () => void;

  constructor(opts: SlotOptions = {}) {
    this.max = opts.max ?? SSH_MAX_SESSIONS;
    this.limit = this.max;
    this.recoverMs = opts.recoverMs ?? 10_000;
    this.tickMs = opts.tickMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  /** Sessions held now. */
  get open(): number {
    return this.held;
  }

  /** Requests waiting in line. */
  get waiting(): number {
    return this.line.length;
  }

  /** The limit in force: lower than the default while sshd has lately refused a session below it. */
  get allowed(): number {
    if (this.lowered && this.now() >= this.lowerUntil) {
      this.lowered = false;
      this.limit = this.max;
    }
    return this.limit;
  }

  /**
   * Resolves once a session is this caller's: with a session handed over, or with nothing when the
   * caller is to open one. Either way it must `give()` its place back when that session closes.
   * Waits in line when none is free, at the front when `first` (a retry keeps its turn), and rejects
   * with `exhausted()` at the deadline.
   */
  take(deadline: number, exhausted: () => Error, first = false): Promise<T | undefined> {
    if (this.closed) return Promise.reject(aborted());
    if (this.line.length === 0 && this.held < this.allowed) {
      this.held++;
      return Promise.resolve(undefined);
    }
    return new Promise<T | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.leave(w);
        reject(exhausted());
      }, Math.max(0, deadline - this.now()));
      const w: Waiter<T> = {
        grant: (handed) => {
          clearTimeout(timer);
          resolve(handed);
        },
        fail: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      if (first) this.line.unshift(w);
      else this.line.push(w);
      this.startTick();
      this.onWait?.();
    });
  }

  /** A session taken with `take()` has closed. */
  give(): void {
    this.held--;
    this.pump();
  }

  /** Hands an open session, and its place, to the head of the line; false when nobody waits. */
  handOver(session: T): boolean {
    const w = this.line.shift();
    if (!w) return false;
    if (this.line.length === 0) this.stopTick();
    w.grant(session);
    return true;
  }

  /**
   * Gives back a session sshd refused while we held fewer than our limit: its MaxSessions is lower
   * than ours, or it has not yet let go of one we closed (a session lasts until the command behind
   * it has exited). We hold to what we have now for a while, then try the full limit again. The
   * freed place is not handed on: the caller retries with `take(..., true)`, first in line.
   */
  refused(): void {
    this.held--;
    this.limit = Math.max(1, this.held);
    this.lowered = this.limit < this.max;
    this.lowerUntil = this.now() + this.recoverMs;
  }

  /** A new connection: what the last one's sshd refused says nothing about this one. */
  reset(): void {
    this.lowered = false;
    this.limit = this.max;
    this.pump();
  }

  /** Every waiting request fails; later ones fail at once. */
  close(): void {
    this.closed = true;
    for (const w of this.line.splice(0)) w.fail(aborted());
    this.stopTick();
  }

  private pump(): void {
    while (this.line.length > 0 && this.held < this.allowed) {
      this.held++;
      this.line.shift()!.grant();
    }
    if (this.line.length === 0) this.stopTick();
  }

  private leave(w: Waiter<T>): void {
    const i = this.line.indexOf(w);
    if (i >= 0) this.line.splice(i, 1);
    if (this.line.length === 0) this.stopTick();
  }

  private startTick(): void {
    if (this.tick) return;
    this.tick = setInterval(() => {
      this.pump();
      if (this.line.length > 0) this.onWait?.();
    }, this.tickMs);
    this.tick.unref();
  }

  private stopTick(): void {
    if (!this.tick) return;
    clearInterval(this.tick);
    this.tick = undefined;
  }
}

/** What a request gets once the connection is closed. */
export function aborted(): Error {
  return Object.assign(new Error('connection closed'), { code: 'ECONNABORTED' });
}
