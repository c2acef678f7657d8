// The one socket.io connection and room subscriptions over it. A subscription gets the room's snapshot,
// then each update; an update whose revision is not the next one means something was missed, so the
// room is subscribed again for a fresh snapshot. After a reconnect every room is subscribed again.
import { io, type Socket } from 'socket.io-client';

type Reply<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

export interface RoomHandlers<S, U> {
  snapshot(snapshot: S): void;
  update(data: U): void;
  error?(message: string): void;
}

interface Entry { room: string; revision: number; handlers: RoomHandlers<any, any> }

let socket: Socket | undefined;
const entries = new Set<Entry>();
const eventListeners = new Set<(e: { type: string; payload: unknown; at: number }) => void>();

function connection(): Socket {
  if (socket) return socket;
  const s = io({ path: '/socket.io', transports: ['websocket'], withCredentials: true });
  s.on('connect', () => {
    for (const e of entries) resubscribe(e);
  });
  s.on('update', (msg: { room: string; revision: number; data: unknown }) => {
    for (const e of entries) {
      // Before its snapshot arrives a subscription has nothing to apply an update to.
      if (e.room !== msg.room || e.revision < 0 || msg.revision <= e.revision) continue;
      if (msg.revision !== e.revision + 1) resubscribe(e);
      else {
        e.revision = msg.revision;
        e.handlers.update(msg.data);
      }
    }
  });
  s.on('event', (e: { type: string; payload: unknown; at: number }) => {
    for (const l of eventListeners) l(e);
  });
  s.on('connect_error', (err) => {
    for (const e of entries) e.handlers.error?.(`Live updates are not reaching this page (${err.message}). They resume by themselves once the hub answers.`);
  });
  socket = s;
  return s;
}

function resubscribe(e: Entry): void {
  e.revision = -1;
  connection().emit('subscribe', { room: e.room }, (reply: Reply<{ room: string; revision: number; snapshot: unknown }>) => {
    if (!entries.has(e)) return;
    if (!reply.ok) {
      e.handlers.error?.(reply.error.message);
      return;
    }
    e.revision = reply.data.revision;
    e.handlers.snapshot(reply.data.snapshot);
  });
}

/** Subscribes to a room; returns the function that ends the subscription. */
export function subscribe<S, U>(room: string, handlers: RoomHandlers<S, U>): () => void {
  const e: Entry = { room, revision: -1, handlers };
  entries.add(e);
  const s = connection();
  if (s.connected) resubscribe(e);
  return () => {
    entries.delete(e);
    if (![...entries].some((x) => x.room === room)) s.emit('unsubscribe', { room });
  };
}

/** Hub events as they happen (the `events` room). */
export function onEvent(listener: (e: { type: string; payload: unknown; at: number }) => void): () => void {
  eventListeners.add(listener);
  const stop = subscribe('events', { snapshot() {}, update() {} });
  return () => {
    eventListeners.delete(listener);
    stop();
  };
}

/** After logging out: the session the socket authenticated with is gone. */
export function disconnect(): void {
  socket?.disconnect();
  socket = undefined;
}
