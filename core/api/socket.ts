// socket.io: authenticated like REST (session cookie or token), with rooms per view. Subscribing
// answers a snapshot with a revision; each update carries the next revision, so a client that sees
// a gap asks again. Every request is answered `{ ok: true, data } | { ok: false, error }`.
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { SESSION_COOKIE } from '../auth/auth.js';
import { describeError, WarrenError } from '../errors.js';
import type { Hub } from '../hub.js';
import { parseCookies } from './http.js';

type Ack = (reply: { ok: true; data: unknown } | { ok: false; error: { code: string; message: string } }) => void;

interface Room {
  snapshot: (param?: string) => Promise<unknown>;
  revision: number;
}

export class SocketHub {
  readonly io: Server;
  private readonly rooms = new Map<string, Room>();
  /** Per room, how many sockets watch it (e.g. to poll a device faster while watched). */
  private readonly watchers = new Map<string, number>();
  private readonly watchListeners: ((room: string, count: number) => void)[] = [];

  constructor(server: HttpServer, private readonly hub: Hub) {
    this.io = new Server(server, { path: '/socket.io', serveClient: false, cors: { origin: false } });
    this.io.use(async (socket, next) => {
      try {
        const cookie = parseCookies(socket.handshake.headers.cookie)[SESSION_COOKIE];
        const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined;
        const user = (await hub.auth.userForSession(cookie)) ?? (await hub.auth.userForToken(token));
        if (!user) return next(new Error('WARREN_ERR_UNAUTHORIZED: log in first'));
        socket.data.user = { id: user.id, username: user.username };
        next();
      } catch (e) {
        next(e as Error);
      }
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
    this.registerRoom('events', async () => ({ events: await hub.store.events.list({ limit: 100 }) }));
  }

  /** A room `name` or a family `name:<param>` (e.g. `device:nas`). */
  registerRoom(name: string, snapshot: (param?: string) => Promise<unknown>): void {
    this.rooms.set(name, { snapshot, revision: 0 });
  }

  onWatchChange(listener: (room: string, count: number) => void): void {
    this.watchListeners.push(listener);
  }

  private room(full: string): { room: Room; param?: string } | undefined {
    const [name, ...rest] = full.split(':');
    const room = this.rooms.get(name);
    return room ? { room, param: rest.length ? rest.join(':') : undefined } : undefined;
  }

  /** Sends an update to a room's subscribers with the next revision. */
  publish(full: string, data: unknown): void {
    const r = this.room(full);
    if (!r) return;
    r.room.revision++;
    this.io.to(full).emit('update', { room: full, revision: r.room.revision, data });
  }

  private setWatchers(room: string, delta: number): void {
    const n = Math.max(0, (this.watchers.get(room) ?? 0) + delta);
    if (n === 0) this.watchers.delete(room);
    else this.watchers.set(room, n);
    for (const l of this.watchListeners) l(room, n);
  }

  private onConnection(socket: Socket): void {
    const joined = new Set<string>();
    socket.on('subscribe', async (msg: { room?: unknown } | undefined, ack?: Ack) => {
      const reply: Ack = typeof ack === 'function' ? ack : () => {};
      try {
        const full = msg?.room;
        if (typeof full !== 'string') throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'subscribe needs { room }');
        const r = this.room(full);
        if (!r) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no room "${full}"`, { hint: `Rooms: ${[...this.rooms.keys()].join(', ')}` });
        const snapshot = await r.room.snapshot(r.param);
        await socket.join(full);
        if (!joined.has(full)) {
          joined.add(full);
          this.setWatchers(full, +1);
        }
        reply({ ok: true, data: { room: full, revision: r.room.revision, snapshot } });
      } catch (e) {
        reply({ ok: false, error: describeError(e) });
      }
    });
    socket.on('unsubscribe', async (msg: { room?: unknown } | undefined, ack?: Ack) => {
      const full = typeof msg?.room === 'string' ? msg.room : '';
      await socket.leave(full);
      if (joined.delete(full)) this.setWatchers(full, -1);
      if (typeof ack === 'function') ack({ ok: true, data: null });
    });
    socket.on('disconnect', () => {
      for (const full of joined) this.setWatchers(full, -1);
      joined.clear();
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }
}
