// Polls every device's MetricsSource on its own schedule, concurrently, each attempt bounded by a
// timeout. Readings become derived samples (rates from the previous reading, dropped across a reboot
// or counter reset), figures with their age, and a fresh/stale/offline state. Results leave through
// the callbacks given to the constructor; the poller knows nothing of the hub's bus or store.
import { describeError, WarrenError } from '../errors.js';
import type { HostReading, MetricsSource } from '../providers/metrics-source.js';
import { deriveSample, type DeriveOptions } from './derive.js';
import { classifyDevice, DEFAULT_TIMEOUT_MS, nextChangeAt, type DeviceObservation, type StateOptions } from './device-state.js';
import type { SummaryDevice } from './aggregate.js';
import type { DerivedSample, DeviceFigures, DeviceStatus, Dropped } from './types.js';

export interface PollTarget {
  deviceId: string;
  source: MetricsSource;
  /** Overrides the poller's default interval for this device. */
  intervalMs?: number;
  /** Overrides the poller's default timeout for this device (a Pi over Wi-Fi may need longer). */
  timeoutMs?: number;
}

export interface PollFailure {
  at: number;
  code: string;
  message: string;
}

export interface PollerCallbacks {
  onReading?(deviceId: string, reading: HostReading): void;
  onSample?(deviceId: string, sample: DerivedSample): void;
  onDrop?(deviceId: string, dropped: Dropped & { at: number }): void;
  onFailure?(deviceId: string, failure: PollFailure): void;
  onStateChange?(deviceId: string, status: DeviceStatus, previous: DeviceStatus | undefined): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface PollerOptions {
  /** Normal interval between the starts of two polls of a device. Default 15 s. */
  intervalMs?: number;
  /** Interval while at least one viewer watches the device. Default 2 s. */
  watchedIntervalMs?: number;
  /** An attempt that takes longer is abandoned and counted as a failure. Default 10 s. */
  timeoutMs?: number;
  staleAfterIntervals?: number;
  offlineAfterIntervals?: number;
  derive?: DeriveOptions;
  clock?: Clock;
  /** Where a throwing callback is reported; callbacks never break the poller. */
  onCallbackError?(error: unknown, callback: keyof PollerCallbacks): void;
}

export interface DeviceSnapshot extends SummaryDevice {
  lastFailure?: PollFailure;
  watched: boolean;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

interface Entry {
  target: PollTarget;
  since: number;
  timer?: unknown;
  /** Fires when the state would next change if no reading came, so stale/offline show on time. */
  stateTimer?: unknown;
  /** The current attempt, including its bookkeeping. */
  attempt?: Promise<void>;
  controller?: AbortController;
  /** True while a source's collect() has not settled, even after we stopped waiting for it. */
  sourceBusy: boolean;
  /** Set when polling of this device was stopped, so that the abandoned attempt reports nothing. */
  halted: boolean;
  lastStartAt?: number;
  prev?: HostReading;
  lastReadingAt?: number;
  lastFailure?: PollFailure;
  /** Attempts that failed in a row since the newest reading: one timed-out attempt is no outage, two are. */
  consecutiveFailures: number;
  figures: DeviceFigures;
  status?: DeviceStatus;
}

export class Poller {
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Map<string, number>();
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private readonly watchedIntervalMs: number;
  private readonly timeoutMs: number;
  private running = false;

  constructor(
    private readonly callbacks: PollerCallbacks,
    private readonly options: PollerOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    this.intervalMs = options.intervalMs ?? 15_000;
    this.watchedIntervalMs = Math.min(options.watchedIntervalMs ?? 2_000, this.intervalMs);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  add(target: PollTarget): void {
    if (this.entries.has(target.deviceId)) throw new WarrenError('WARREN_ERR_CONFLICT', `device ${target.deviceId} is already polled`);
    const entry: Entry = { target, since: this.clock.now(), sourceBusy: false, halted: false, consecutiveFailures: 0, figures: {} };
    this.entries.set(target.deviceId, entry);
    if (this.running) this.schedule(entry, 0);
  }

  /** Stops polling a device and forgets its figures. */
  remove(deviceId: string): void {
    const entry = this.entries.get(deviceId);
    if (!entry) return;
    this.entries.delete(deviceId);
    this.release(entry);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const entry of this.entries.values()) this.schedule(entry, 0);
  }

  /** Clears every timer, abandons attempts in progress and waits for their bookkeeping to finish. */
  async stop(): Promise<void> {
    this.running = false;
    const attempts = [...this.entries.values()].map((e) => {
      const a = e.attempt;
      this.release(e);
      return a;
    });
    await Promise.all(attempts);
  }

  /**
   * Polls faster while the returned function has not been called. Several viewers may watch the same
   * device; it slows down when the last one leaves.
   */
  watch(deviceId: string): () => void {
    this.watchers.set(deviceId, (this.watchers.get(deviceId) ?? 0) + 1);
    if (this.watchers.get(deviceId) === 1) this.reschedule(deviceId);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.watchers.get(deviceId) ?? 1) - 1;
      if (n > 0) this.watchers.set(deviceId, n);
      else {
        this.watchers.delete(deviceId);
        this.reschedule(deviceId);
      }
    };
  }

  /** Polls the named devices (all by default) now, concurrently, and resolves when every attempt is done. */
  async pollNow(deviceIds?: readonly string[]): Promise<void> {
    const entries = deviceIds ? deviceIds.map((id) => this.entries.get(id)).filter((e): e is Entry => !!e) : [...this.entries.values()];
    await Promise.all(entries.map((e) => this.attempt(e)));
  }

  snapshot(deviceId: string): DeviceSnapshot | undefined {
    const e = this.entries.get(deviceId);
    return e && this.toSnapshot(e);
  }

  snapshots(): DeviceSnapshot[] {
    return [...this.entries.values()].map((e) => this.toSnapshot(e));
  }

  private toSnapshot(e: Entry): DeviceSnapshot {
    return {
      id: e.target.deviceId,
      status: this.classify(e),
      figures: e.figures,
      watched: (this.watchers.get(e.target.deviceId) ?? 0) > 0,
      ...(e.lastFailure && { lastFailure: e.lastFailure }),
    };
  }

  private baseInterval(e: Entry): number {
    return e.target.intervalMs ?? this.intervalMs;
  }

  private currentInterval(e: Entry): number {
    const base = this.baseInterval(e);
    return this.watchers.has(e.target.deviceId) ? Math.min(base, this.watchedIntervalMs) : base;
  }

  private schedule(entry: Entry, delayMs: number): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      void this.attempt(entry).then(() => {
        if (!this.running || this.entries.get(entry.target.deviceId) !== entry) return;
        const due = (entry.lastStartAt ?? this.clock.now()) + this.currentInterval(entry);
        this.schedule(entry, Math.max(0, due - this.clock.now()));
      });
    }, delayMs);
  }

  /** Moves a waiting device's next poll to match its (new) interval; an attempt in progress reschedules itself. */
  private reschedule(deviceId: string): void {
    const entry = this.entries.get(deviceId);
    if (!entry || !this.running || entry.attempt || entry.timer === undefined) return;
    const due = (entry.lastStartAt ?? this.clock.now()) + this.currentInterval(entry);
    this.schedule(entry, Math.max(0, due - this.clock.now()));
  }

  private release(entry: Entry): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.stateTimer !== undefined) this.clock.clearTimeout(entry.stateTimer);
    entry.stateTimer = undefined;
    entry.halted = true;
    entry.controller?.abort(new WarrenError('WARREN_ERR_TIMEOUT', 'polling stopped'));
  }

  private attempt(entry: Entry): Promise<void> {
    if (!entry.attempt) {
      entry.attempt = this.runAttempt(entry).finally(() => {
        entry.attempt = undefined;
        entry.controller = undefined;
      });
    }
    return entry.attempt;
  }

  private async runAttempt(entry: Entry): Promise<void> {
    const deviceId = entry.target.deviceId;
    entry.lastStartAt = this.clock.now();
    entry.halted = false;
    if (entry.sourceBusy) {
      // A source that ignored its abort signal is still busy; piling more calls on it would not help.
      // Not counted as another failure in a row: it is the abandoned attempt again, no new evidence (a
      // starved hub may let it finish just after its timeout). A source that never lets go goes offline
      // by silence plus timeouts instead.
      this.fail(entry, new WarrenError('WARREN_ERR_TIMEOUT', 'the previous reading has still not finished'));
      return;
    }
    const controller = new AbortController();
    entry.controller = controller;
    const timeoutMs = this.timeoutOf(entry);
    const timer = this.clock.setTimeout(
      () => controller.abort(new WarrenError('WARREN_ERR_TIMEOUT', `no reading within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    entry.sourceBusy = true;
    const collecting = Promise.resolve()
      .then(() => entry.target.source.collect(controller.signal))
      .finally(() => {
        entry.sourceBusy = false;
      });
    try {
      const reading = await Promise.race([collecting, aborted]);
      if (entry.halted || this.entries.get(deviceId) !== entry) return;
      this.accept(entry, reading);
    } catch (err) {
      if (entry.halted || this.entries.get(deviceId) !== entry) return;
      entry.consecutiveFailures++;
      this.fail(entry, err);
    } finally {
      this.clock.clearTimeout(timer);
      // The race has been decided; a late rejection of the loser must not surface as unhandled.
      collecting.catch(() => {});
      aborted.catch(() => {});
    }
    this.evaluate(entry);
  }

  private accept(entry: Entry, reading: HostReading): void {
    const id = entry.target.deviceId;
    this.emit('onReading', id, reading);
    const { sample, dropped } = deriveSample(entry.prev, reading, this.options.derive);
    entry.prev = reading;
    entry.lastReadingAt = reading.at;
    entry.consecutiveFailures = 0;
    const f = entry.figures;
    const at = reading.at;
    if (reading.cpu) f.cores = { count: reading.cpu.cores, at };
    if (sample.cpu) f.cpu = { utilisation: sample.cpu.utilisation, cores: sample.cpu.cores, at };
    if (sample.memory) f.memory = { ...sample.memory, at };
    if (sample.swap) f.swap = { ...sample.swap, at };
    if (sample.filesystems) f.filesystems = { list: sample.filesystems, at };
    if (sample.load) f.load = { ...sample.load, at };
    if (sample.bootTime !== undefined) f.boot = { bootTime: sample.bootTime, at };
    if (reading.cpuScorePerCore !== undefined) {
      f.cpuScore = { perCore: reading.cpuScorePerCore, basis: reading.cpuScoreBasis ?? 'benchmark', at };
    }
    if (reading.arch) f.arch = { arch: reading.arch, at };
    if (reading.bootId || reading.hostname) {
      f.machine = { ...(reading.bootId && { bootId: reading.bootId }), ...(reading.hostname && { hostname: reading.hostname }), at };
    }
    if (dropped) this.emit('onDrop', id, { ...dropped, at });
    this.emit('onSample', id, sample);
  }

  private fail(entry: Entry, err: unknown): void {
    const { code, message } = describeError(err);
    entry.lastFailure = { at: this.clock.now(), code, message };
    this.emit('onFailure', entry.target.deviceId, entry.lastFailure);
  }

  private timeoutOf(entry: Entry): number {
    return entry.target.timeoutMs ?? this.timeoutMs;
  }

  private observation(entry: Entry): DeviceObservation {
    const { since, lastReadingAt, lastFailure, consecutiveFailures } = entry;
    return { since, lastReadingAt, lastFailure, consecutiveFailures };
  }

  private stateOptions(entry: Entry): StateOptions {
    return {
      intervalMs: this.baseInterval(entry),
      staleAfterIntervals: this.options.staleAfterIntervals,
      offlineAfterIntervals: this.options.offlineAfterIntervals,
      timeoutMs: this.timeoutOf(entry),
    };
  }

  private classify(entry: Entry): DeviceStatus {
    return classifyDevice(this.observation(entry), this.clock.now(), this.stateOptions(entry));
  }

  private evaluate(entry: Entry): void {
    const status = this.classify(entry);
    const previous = entry.status;
    entry.status = status;
    if (!previous || previous.state !== status.state || previous.reason !== status.reason) {
      this.emit('onStateChange', entry.target.deviceId, status, previous);
    }
    if (entry.stateTimer !== undefined) this.clock.clearTimeout(entry.stateTimer);
    entry.stateTimer = undefined;
    if (!this.running || status.state === 'offline' || this.entries.get(entry.target.deviceId) !== entry) return;
    // Failures re-evaluate when they happen (end of runAttempt); this covers silence alone.
    const changeAt = nextChangeAt(this.observation(entry), this.clock.now(), this.stateOptions(entry));
    if (changeAt === undefined) return;
    entry.stateTimer = this.clock.setTimeout(() => {
      entry.stateTimer = undefined;
      this.evaluate(entry);
    }, Math.max(0, changeAt - this.clock.now()));
  }

  private emit<K extends keyof PollerCallbacks>(name: K, ...args: Parameters<NonNullable<PollerCallbacks[K]>>): void {
    const fn = this.callbacks[name] as ((...a: unknown[]) => void) | undefined;
    if (!fn) return;
    try {
      fn.apply(this.callbacks, args);
    } catch (err) {
      this.options.onCallbackError?.(err, name);
    }
  }
}
