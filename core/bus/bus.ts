// The in-process bus. Listeners belong to an owner and are removed together when the owner goes
// (a plugin unloading, a socket disconnecting). A listener that throws is logged and never reaches
// the emitter: one broken consumer must not stop the others or the code that emitted.
import type { EventName, WarrenEvents } from './events.js';

type Listener<K extends EventName> = (payload: WarrenEvents[K], type: K) => void | Promise<void>;
type AnyListener = (payload: unknown, type: EventName) => void | Promise<void>;

export interface BusErrorSink {
  (err: unknown, info: { type: string; owner: string }): void;
}

interface Entry {
  type: EventName | '*';
  listener: AnyListener;
  owner: string;
}

export class EventBus {
  private entries: Entry[] = [];
  constructor(private readonly onListenerError: BusErrorSink = () => {}) {}

  on<K extends EventName>(type: K, listener: Listener<K>, owner = 'hub'): () => void {
    const entry: Entry = { type, listener: listener as AnyListener, owner };
    this.entries.push(entry);
    return () => this.remove(entry);
  }

  /** Every event, for bridges (socket.io, MQTT, the event log). */
  onAny(listener: (payload: unknown, type: EventName) => void | Promise<void>, owner = 'hub'): () => void {
    const entry: Entry = { type: '*', listener, owner };
    this.entries.push(entry);
    return () => this.remove(entry);
  }

  emit<K extends EventName>(type: K, payload: WarrenEvents[K]): void {
    for (const e of [...this.entries]) {
      if (e.type !== type && e.type !== '*') continue;
      try {
        const r = e.listener(payload, type);
        if (r && typeof (r as Promise<void>).catch === 'function') {
          (r as Promise<void>).catch((err) => this.onListenerError(err, { type, owner: e.owner }));
        }
      } catch (err) {
        this.onListenerError(err, { type, owner: e.owner });
      }
    }
  }

  /** A view of the bus whose listeners are all released by `release()`. */
  owned(owner: string): OwnedBus {
    return new OwnedBus(this, owner);
  }

  releaseOwner(owner: string): void {
    this.entries = this.entries.filter((e) => e.owner !== owner);
  }

  listenerCount(owner?: string): number {
    return owner ? this.entries.filter((e) => e.owner === owner).length : this.entries.length;
  }

  private remove(entry: Entry): void {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
  }
}

export class OwnedBus {
  constructor(private readonly bus: EventBus, readonly owner: string) {}
  on<K extends EventName>(type: K, listener: Listener<K>): () => void {
    return this.bus.on(type, listener, this.owner);
  }
  onAny(listener: (payload: unknown, type: EventName) => void | Promise<void>): () => void {
    return this.bus.onAny(listener, this.owner);
  }
  emit<K extends EventName>(type: K, payload: WarrenEvents[K]): void {
    this.bus.emit(type, payload);
  }
  release(): void {
    this.bus.releaseOwner(this.owner);
  }
}
