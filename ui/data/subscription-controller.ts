// A Lit reactive controller holding a room's live value: subscribes when its host connects and
// unsubscribes when it disconnects, so a page that is left stops receiving updates.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { subscribe } from './socket.js';

export class SubscriptionController<S, U = S> implements ReactiveController {
  value?: S;
  /** When the value last arrived, to age figures between updates. */
  at = 0;
  error = '';
  private stop?: () => void;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private room: string,
    /** How an update changes the value; by default an update is the new value. */
    private readonly apply: (current: S | undefined, update: U) => S = (_c, u) => u as unknown as S,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    // A room chosen later (setRoom) is subscribed then.
    if (!this.room) return;
    this.stop = subscribe<S, U>(this.room, {
      snapshot: (s) => {
        this.value = s;
        this.at = Date.now();
        this.error = '';
        this.host.requestUpdate();
      },
      update: (u) => {
        this.value = this.apply(this.value, u);
        this.at = Date.now();
        this.error = '';
        this.host.requestUpdate();
      },
      error: (message) => {
        this.error = message;
        this.host.requestUpdate();
      },
    });
  }

  hostDisconnected(): void {
    this.connected = false;
    this.unsubscribe();
  }

  private unsubscribe(): void {
    this.stop?.();
    this.stop = undefined;
  }

  /** Follows another room (e.g. a different device), keeping the controller. */
  setRoom(room: string): void {
    if (room === this.room) return;
    this.room = room;
    this.value = undefined;
    this.unsubscribe();
    if (this.connected) this.hostConnected();
  }
}
