// Turns a connection config into a dockerode client and owns the sockets behind it, so that
// `close()` releases every agent and SSH session the provider opened.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import { Client as SshClient, type ClientChannel } from 'ssh2';

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

/**
 * One SSH session per provider; each HTTP connection to the engine is a channel on it (an exec of
 * `docker system dial-stdio`, or a forwarded Unix socket). dockerode's own SSH agent opens a new
 * session for every request, which costs a key exchange each time.
 */
class SshTunnel {
  private client?: SshClient;
  private ready?: Promise<SshClient>;
  private closed = false;

  constructor(private readonly c: Extract<ConnectionConfig, { type: 'ssh' }>) {}

  private connect(): Promise<SshClient> {
    if (this.ready) return this.ready;
    const client = new SshClient();
    this.client = client;
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

  async openChannel(): Promise<ClientChannel> {
    if (this.closed) throw Object.assign(new Error('connection closed'), { code: 'ECONNABORTED' });
    const client = await this.connect();
    return new Promise<ClientChannel>((resolve, reject) => {
      const done = (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve(ch));
      if (this.c.socketPath) client.openssh_forwardOutStreamLocal(this.c.socketPath, done);
      else client.exec('docker system dial-stdio', done);
    });
  }

  close(): void {
    this.closed = true;
    this.client?.end();
    this.client = undefined;
    this.ready = undefined;
  }
}

/** A channel stands in for a TCP socket; node's http client calls these on sockets it reuses or times out. */
function asSocket(ch: ClientChannel): Duplex {
  const s = ch as unknown as Duplex & Record<string, unknown>;
  for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') s[m] = () => s;
  }
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
      // device, which costs far more than the request. sshd allows 10 sessions per connection by
      // default; stay below that.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 8, maxFreeSockets: 4 });
      (agent as unknown as { createConnection: unknown }).createConnection = (
        _opts: unknown,
        cb: (err: Error | null, socket?: Duplex) => void,
      ) => {
        tunnel.openChannel().then(
          (ch) => cb(null, asSocket(ch)),
          (err: Error) => cb(err),
        );
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
