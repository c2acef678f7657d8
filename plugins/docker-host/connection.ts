// Turns a connection config into a dockerode client and owns the sockets behind it, so that
// `close()` releases every agent and SSH session the provider opened.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { Client as SshClient, type ClientChannel } from 'ssh2';
import { WarrenError } from '../../core/errors.js';
import { aborted, SessionSlots, SSH_MAX_SESSIONS } from './session-slots.js';

export type ConnectionConfig =
  | { type: 'socket'; socketPath: string }
  | { type: 'tcp'; host: string; port: number; tls: { ca: string; cert: string; key: string } }
  | {
      type: 'ssh';
      host: string;
      port?: number;
      username: string;
      privateKey: string;
      passphrase?: string;
      /** The device's host key as `ssh-keygen -l` prints it (`SHA256:...`); when set, any other key is refused. */
      hostFingerprint?: string;
      /**
       * The engine's socket on the device. Unset: run `docker system dial-stdio` there (the Docker
       * CLI's own way, honouring the device's DOCKER_HOST). Set: forward to that Unix socket directly,
       * which needs no CLI on the device (Podman).
       */
      socketPath?: string;
    };

export interface EngineConfig {
  connection: ConnectionConfig;
  /** Image for the short-lived helper containers (listeningPorts, hasDevicePath); default: the first present of a small list. */
  helperImage?: string;
}

/** Where the connection goes, for messages: never includes credentials. */
export function describeConnection(c: ConnectionConfig): string {
  switch (c.type) {
    case 'socket':
      return `unix://${c.socketPath}`;
    case 'tcp':
      return `tcp://${c.host}:${c.port} (TLS)`;
    case 'ssh':
      return `ssh://${c.username}@${c.host}:${c.port ?? 22}${c.socketPath ? c.socketPath : ''}`;
  }
}

/** OpenSSH's fingerprint of a host key blob: `SHA256:` and unpadded base64. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** How long a request waits for a channel (a free session, or sshd's answer to an open) before it fails. */
export const SSH_CHANNEL_WAIT_MS = 30_000;

const OPEN_REFUSED = /open failed|administratively prohibited|no more sessions/i;

/**
 * One SSH session per provider; each HTTP connection to the engine is a channel on it (an exec of
 * `docker system dial-stdio`, or a forwarded Unix socket). dockerode's own SSH agent opens a new
 * session for every request, which costs a key exchange each time.
 *
 * sshd allows MaxSessions channels per connection (10 by default) and refuses the next one. Every
 * channel counts: those kept alive for HTTP requests and the hijacked exec streams that left the
 * HTTP pool. The tunnel counts them itself (SessionSlots) and makes a request wait in line for a free
 * one, never longer than SSH_CHANNEL_WAIT_MS: a hub call fails with the device and a hint rather
 * than hang.
 */
class SshTunnel {
  private client?: SshClient;
  private ready?: Promise<SshClient>;
  private closed = false;
  private readonly slots = new SessionSlots<Duplex>();

  constructor(
    private readonly c: Extract<ConnectionConfig, { type: 'ssh' }>,
    private readonly waitMs = SSH_CHANNEL_WAIT_MS,
  ) {}

  /** Hands channels kept idle for reuse to the requests waiting (set by the HTTP agent that pools them). */
  set offerIdle(f: () => void) {
    this.slots.onWait = f;
  }

  /** Requests waiting for a channel. */
  get waiting(): number {
    return this.slots.waiting;
  }

  /** Gives an open channel, idle and out of the pool, to the request first in line; false when none waits. */
  handOver(socket: Duplex): boolean {
    return this.slots.handOver(socket);
  }

  private connect(): Promise<SshClient> {
    if (this.ready) return this.ready;
    const client = new SshClient();
    this.client = client;
    // A new connection may be to a restarted or reconfigured sshd: what the last one refused says nothing about it.
    this.slots.reset();
    this.ready = new Promise<SshClient>((resolve, reject) => {
      client.once('ready', () => resolve(client));
      client.once('error', (err) => {
        this.ready = undefined;
        reject(err);
      });
      client.once('close', () => {
        if (this.client === client) {
          this.client = undefined;
          this.ready = undefined;
        }
      });
      client.connect({
        host: this.c.host,
        port: this.c.port ?? 22,
        username: this.c.username,
        privateKey: this.c.privateKey,
        ...(this.c.passphrase ? { passphrase: this.c.passphrase } : {}),
        readyTimeout: 15_000,
        keepaliveInterval: 15_000,
        ...(this.c.hostFingerprint ? { hostVerifier: (key: Buffer) => sshFingerprint(key) === this.c.hostFingerprint } : {}),
      });
    });
    // A failed connect must not leave an unhandled rejection when nobody awaits it.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  private exhausted(): Error {
    const where = describeConnection(this.c);
    const allowed = this.slots.allowed;
    return new WarrenError(
      'WARREN_ERR_ENGINE',
      `${where}: no SSH session free within ${this.waitMs / 1000} s (${this.slots.open} channels open on the connection, ${this.slots.waiting} more requests waiting; sshd allows ${allowed < SSH_MAX_SESSIONS ? allowed : `${SSH_MAX_SESSIONS} by default`})`,
      { hint: `Raise MaxSessions in the device's sshd_config (the default is 10), or make fewer concurrent requests to ${this.c.host} (long exec streams such as dumps and restores each hold a session).` },
    );
  }

  /** A channel for one HTTP connection: a new one, or an idle one handed over while this request waited in line. */
  async openChannel(): Promise<Duplex> {
    const deadline = Date.now() + this.waitMs;
    let retry = false;
    for (;;) {
      if (this.closed) throw aborted();
      // take() counts a free slot as taken at once: requests made in the same tick (a poll's
      // concurrent calls) would otherwise all see it free and open more channels than sshd allows.
      const handed = await this.slots.take(deadline, () => this.exhausted(), retry);
      if (handed) return handed;
      let ch: ClientChannel;
      try {
        ch = await this.openOn(await this.connect(), deadline);
      } catch (e) {
        // sshd refused the session because its own MaxSessions is lower than ours, or it has not yet
        // let go of a session we closed: try again, first in line, once one of ours closes (or after
        // a pause when none is open), as long as the wait allows.
        if (OPEN_REFUSED.test((e as Error).message ?? '') && Date.now() < deadline) {
          this.slots.refused();
          retry = true;
          if (this.slots.open === 0) await new Promise((r) => setTimeout(r, Math.min(250, Math.max(0, deadline - Date.now()))));
          continue;
        }
        this.slots.give();
        throw e;
      }
      let released = false;
      const done = () => {
        if (released) return;
        released = true;
        this.slots.give();
      };
      ch.once('close', done);
      ch.once('ssh-closed', done);
      return asSocket(ch);
    }
  }

  private openOn(client: SshClient, deadline: number): Promise<ClientChannel> {
    return new Promise<ClientChannel>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(
          new WarrenError('WARREN_ERR_ENGINE', `${describeConnection(this.c)}: sshd did not open a channel within ${Math.round(this.waitMs / 1000)} s`, {
            hint: 'The device may be overloaded; check its sshd (MaxSessions, MaxStartups) and retry.',
          }),
        );
      }, Math.max(1, deadline - Date.now()));
      const done = (err: Error | undefined, ch: ClientChannel) => {
        clearTimeout(timer);
        if (settled) {
          // Opened after we gave up: nobody will use it.
          if (!err) ch.close();
          return;
        }
        settled = true;
        if (err) reject(err);
        else resolve(ch);
      };
      if (this.c.socketPath) client.openssh_forwardOutStreamLocal(this.c.socketPath, done);
      else client.exec('docker system dial-stdio', done);
    });
  }

  close(): void {
    this.closed = true;
    this.client?.end();
    this.client = undefined;
    this.ready = undefined;
    this.slots.close();
  }
}

type ChannelState = { incoming?: { state?: string }; outgoing?: { state?: string }; _chunkcb?: ((err?: Error | null) => void) | undefined; _chunk?: unknown };

/**
 * A channel stands in for a TCP socket; node's http client calls these on sockets it reuses or
 * times out. Two of ssh2's channel habits would hang a request:
 * - a write once the channel is no longer open is dropped without its callback ever being called,
 *   so the writer waits for 'drain' forever: here it fails with EPIPE;
 * - 'close' is emitted only once the readable side has been read to its end, and nobody reads an
 *   idle pooled socket: the pool resumes its idle sockets (see openConnection), and the end of the
 *   remote side is noticed as soon as it comes (`ssh-closed`), failing a write that waits for window.
 * A failed write also marks the readable side errored (Node does so for both halves of a Duplex),
 * and ssh2's destroy() emits neither 'error' nor 'close': output still unread when the write failed
 * would then never end, and whoever reads it waits for good. So a write fails only once the readable
 * side has ended (its callback is held until then): an exec whose command exited while its input was
 * still being sent reads all it said, and its end, first.
 */
function asSocket(ch: ClientChannel): Duplex {
  const s = ch as unknown as Duplex & Record<string, unknown> & ChannelState;
  for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') s[m] = () => s;
  }
  const epipe = () => Object.assign(new Error('the SSH channel is closed'), { code: 'EPIPE' });
  const failWrite = (cb: (err?: Error | null) => void) => {
    if (s.readableEnded) cb(epipe());
    else s.once('end', () => cb(epipe()));
  };
  const write = s._write.bind(s);
  s._write = (data: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void) => {
    if (s.outgoing?.state !== 'open') return failWrite(cb);
    return write(data, encoding, cb);
  };
  // ssh2 marks the channel closed (incoming.state) and then pushes the end of data; a write waiting
  // for window would wait forever.
  const push = s.push.bind(s);
  s.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk === null && s.incoming?.state === 'closed') onRemoteClose();
    return push(chunk, encoding);
  };
  let remoteClosed = false;
  const onRemoteClose = () => {
    if (remoteClosed) return;
    remoteClosed = true;
    const cb = s._chunkcb;
    if (cb) {
      // The chunk is dropped now (it is never sent); the writer hears of it once the output has ended.
      s._chunkcb = undefined;
      s._chunk = undefined;
      failWrite(cb);
    }
    s.emit('ssh-closed');
  };
  return s;
}
export interface EngineConnection {
  docker: Docker;
  close(): void;
}

/** Builds the client; does no I/O (the first request connects). */
export function openConnection(c: ConnectionConfig): EngineConnection {
  switch (c.type) {
    case 'socket': {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const docker = new Docker({ socketPath: c.socketPath, agent } as Docker.DockerOptions);
      return { docker, close: () => agent.destroy() };
    }
    case 'tcp': {
      const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ca: c.tls.ca, cert: c.tls.cert, key: c.tls.key });
      const docker = new Docker({
        protocol: 'https',
        host: c.host,
        port: c.port,
        ca: c.tls.ca,
        cert: c.tls.cert,
        key: c.tls.key,
        agent,
      } as Docker.DockerOptions);
      return { docker, close: () => agent.destroy() };
    }
    case 'ssh': {
      const tunnel = new SshTunnel(c);
      // Channels are kept alive between requests: opening one runs `docker system dial-stdio` on the
      // device, which costs far more than the request. The tunnel bounds the channels (sshd's
      // MaxSessions) and how long a request waits for one; the agent's own maxSockets is not a bound
      // here (it does not count sockets still being opened, nor hijacked exec streams), and a request
      // queued inside the agent would wait without a limit.
      const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 4 });
      (agent as unknown as { createConnection: unknown }).createConnection = (
        _opts: unknown,
        cb: (err: Error | null, socket?: Duplex) => void,
      ) => {
        tunnel.openChannel().then(
          (socket) => cb(null, socket),
          (err: Error) => cb(err),
        );
      };
      const freeSockets = () => (agent as unknown as { freeSockets: Record<string, Duplex[] | undefined> }).freeSockets;
      // An idle pooled channel is read so that its end (the engine or dial-stdio went away) is seen:
      // it leaves the pool at once instead of being handed to the next request.
      const keepSocketAlive = agent.keepSocketAlive.bind(agent) as unknown as (socket: Duplex) => boolean;
      (agent as unknown as { keepSocketAlive: (socket: Duplex) => boolean }).keepSocketAlive = (socket) => {
        const ch = socket as unknown as ChannelState & Duplex;
        if (ch.incoming?.state !== 'open' || ch.outgoing?.state !== 'open') return false;
        if (!keepSocketAlive(socket)) return false;
        const drop = () => {
          // Ended first: the agent takes a socket out of its free list only once it is no longer writable.
          ch.destroy();
          socket.emit('agentRemove');
        };
        const onData = () => undefined;
        socket.on('data', onData);
        socket.once('end', drop);
        socket.once('ssh-closed', drop);
        socket.once('agentReuse', () => {
          socket.off('data', onData);
          socket.off('end', drop);
          socket.off('ssh-closed', drop);
        });
        // A request waits in line for a session: this one goes to it once the agent has pooled it.
        if (tunnel.waiting > 0) queueMicrotask(offerIdle);
        return true;
      };
      // Requests waiting in line take the idle pool's channels, oldest first, as they are: the
      // channel leaves the agent here and comes back to it through createConnection.
      const offerIdle = () => {
        const free = freeSockets();
        for (const [name, list] of Object.entries(free)) {
          while (list && list.length > 0 && tunnel.waiting > 0) {
            const idle = list.shift()!;
            if (list.length === 0) delete free[name];
            const ch = idle as unknown as ChannelState & Duplex;
            if (idle.destroyed || ch.incoming?.state !== 'open' || ch.outgoing?.state !== 'open') {
              idle.destroy();
              idle.emit('agentRemove');
              continue;
            }
            idle.emit('agentReuse');
            for (const l of idle.listeners('error')) {
              if ((l as { name?: string }).name === 'freeSocketErrorListener') idle.off('error', l as (e: Error) => void);
            }
            idle.emit('agentRemove');
            tunnel.handOver(idle);
          }
        }
      };
      tunnel.offerIdle = offerIdle;
      // A request made while others wait in line would take an idle channel ahead of them: they have it first.
      const addRequest = (agent as unknown as { addRequest: (...args: unknown[]) => void }).addRequest.bind(agent);
      (agent as unknown as { addRequest: (...args: unknown[]) => void }).addRequest = (...args: unknown[]) => {
        if (tunnel.waiting > 0) offerIdle();
        addRequest(...args);
      };
      const reuseSocket = agent.reuseSocket.bind(agent);
      agent.reuseSocket = (socket, req) => {
        socket.emit('agentReuse');
        reuseSocket(socket, req);
        // Never expected (a closed channel leaves the pool), but if one is handed out anyway its request
        // must fail: ssh2 swallows the error of a write to an ended channel, and the request would hang.
        const ch = socket as unknown as ChannelState;
        if (ch.incoming?.state !== 'open' || ch.outgoing?.state !== 'open') {
          process.nextTick(() => socket.emit('error', Object.assign(new Error('the SSH channel is closed'), { code: 'EPIPE' })));
        }
      };
      const docker = new Docker({ protocol: 'http', host: 'engine.ssh', port: 80, agent } as Docker.DockerOptions);
      return {
        docker,
        close: () => {
          agent.destroy();
          tunnel.close();
        },
      };
    }
  }
}
