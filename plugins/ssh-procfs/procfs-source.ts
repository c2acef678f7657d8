// A device read over SSH: one persistent connection per instance with one long-lived shell on it
// (both re-established after a failure), one command line per poll, and a short CPU benchmark at
// enrolment. Where the device has bash, the shell is bash and a poll starts no process at all: /proc
// is read with the `read` builtin and printed in one write. Free space needs `df` (a process), so it
// is read on the first poll and then every `filesystemsEvery`-th (default 3: every 45 s at the default
// 15 s interval, so the storage figure, which carries its own age, is never older than the 3 intervals
// after which a device counts as stale).
import { createHash } from 'node:crypto';
import { NodeSSH } from 'node-ssh';
import { WarrenError } from '../../core/errors.js';
import { RemoteShell, type ShellResult } from './remote-shell.js';
import { AuthFailedError, NotReadyError, type Closable, type KeyValueStorage, type Logger } from '../../core/plugin/types.js';
import type { HostReading, MetricName, MetricsSource } from '../../core/providers/metrics-source.js';
import {
  BASH_POLL,
  bashPollCommand,
  bashPollFunction,
  benchmarkCommand,
  cpuScore,
  DEFAULT_CPU_SCORE,
  parseBenchmark,
  parsePollOutput,
  parseSystemInfo,
  pollCommand,
  systemInfoCommand,
  type SystemInfo,
} from './translate.js';

export interface SshProcfsConfig {
  host: string;
  port?: number;
  username: string;
  privateKey: string;
  passphrase?: string;
  /** Paths whose filesystems are measured (where Warren keeps app data). Default `/`. */
  paths?: string[];
  /** Run the CPU benchmark at enrolment. Default true. */
  benchmark?: boolean;
  /** SHA-256 fingerprint (`SHA256:...`) the host key must have; learned on first contact when unset. */
  hostKeyFingerprint?: string;
  connectTimeoutMs?: number;
  /** Free space (one `df` process) is read on the first poll and every n-th after it. Default 3. */
  filesystemsEvery?: number;
}

/** Starts bash when the device has it (no profile or rc files), else sh; the user's login shell does not matter. */
export const SHELL_COMMAND = `exec /bin/sh -c 'if command -v bash >/dev/null 2>&1; then exec bash --noprofile --norc; fi; exec /bin/sh'`;

interface StoredBenchmark {
  perCore: number;
  seconds: number;
  at: number;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

export const fingerprint = (key: Buffer): string => `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;

export class SshProcfsSource implements MetricsSource, Closable {
  readonly provides: readonly MetricName[] = ['cpu', 'memory', 'swap', 'filesystems', 'load', 'boot', 'cpuBenchmark'];
  private ssh?: NodeSSH;
  private shell?: RemoteShell;
  private connecting?: Promise<RemoteShell>;
  private info: SystemInfo = {};
  private score: { perCore: number; basis: 'benchmark' | 'default' } = { perCore: DEFAULT_CPU_SCORE, basis: 'default' };
  private knownHostKey?: string;
  /** Seen on first contact; remembered only once the connection is up, so a failed login teaches nothing. */
  private pendingHostKey?: string;
  private hostKeyMismatch?: string;
  private warnedStderr = false;
  private closed = false;
  /** Whether the current shell is bash with the poll function defined. */
  private bash = false;
  private sinceDf?: number;

  constructor(
    private readonly config: SshProcfsConfig,
    private readonly logger?: Logger,
    private readonly storage?: KeyValueStorage,
  ) {}

  /** Connects, learns the architecture and cores, and runs (or recalls) the CPU benchmark. */
  async setup(signal?: AbortSignal): Promise<void> {
    this.knownHostKey = this.config.hostKeyFingerprint ?? (await this.storage?.get<string>('hostKeyFingerprint'));
    const out = await this.run(systemInfoCommand, signal);
    this.info = parseSystemInfo(out.stdout);
    this.score = await this.cpuScoreAtEnrolment(signal);
  }

  async collect(signal?: AbortSignal): Promise<HostReading> {
    const paths = this.config.paths?.length ? this.config.paths : ['/'];
    const every = Math.max(1, this.config.filesystemsEvery ?? 3);
    // Polls since free space was last read; unknown (read it now) at first and after a df that gave nothing.
    const df = this.sinceDf === undefined || this.sinceDf >= every - 1;
    const shell = await this.connection(signal);
    // Without df, bash answers in one write that carries its own end marker (one packet per poll).
    const command = !this.bash ? pollCommand(paths, { df }) : df ? bashPollCommand(paths, { df }) : (marker: string) => `${BASH_POLL} ${marker}`;
    const out = await this.run(command, signal, shell);
    const at = Date.now();
    if (out.stderr.trim() && !this.warnedStderr) {
      // Usually a configured path that does not exist; its filesystem is simply missing from the reading.
      this.warnedStderr = true;
      this.logger?.warn('the device printed errors while being read', { stderr: out.stderr.trim().slice(0, 500) });
    }
    const reading = parsePollOutput(out.stdout, at, this.info);
    this.sinceDf = df ? (reading.filesystems ? 0 : undefined) : (this.sinceDf ?? 0) + 1;
    reading.cpuScorePerCore = this.score.perCore;
    reading.cpuScoreBasis = this.score.basis;
    return reading;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.drop();
  }

  private async cpuScoreAtEnrolment(signal?: AbortSignal): Promise<{ perCore: number; basis: 'benchmark' | 'default' }> {
    if (this.config.benchmark === false) return { perCore: DEFAULT_CPU_SCORE, basis: 'default' };
    const stored = await this.storage?.get<StoredBenchmark>('cpuBenchmark');
    if (stored && stored.perCore > 0) return { perCore: stored.perCore, basis: 'benchmark' };
    let why: string;
    try {
      const out = await this.run(benchmarkCommand(), signal);
      const seconds = parseBenchmark(out.stdout);
      if (seconds !== undefined) {
        const perCore = cpuScore(seconds);
        await this.storage?.set('cpuBenchmark', { perCore, seconds, at: Date.now() } satisfies StoredBenchmark);
        this.logger?.info('CPU benchmark done', { seconds, perCore });
        return { perCore, basis: 'benchmark' };
      }
      why = `no verified run (${(out.stderr || out.stdout).trim().slice(0, 200) || 'no output'})`;
    } catch (e) {
      if (e instanceof NotReadyError || e instanceof AuthFailedError) throw e;
      why = (e as Error).message;
    }
    this.logger?.warn(`CPU benchmark could not run; using ${DEFAULT_CPU_SCORE} per core`, { reason: why });
    return { perCore: DEFAULT_CPU_SCORE, basis: 'default' };
  }

  private async run(command: string | ((marker: string) => string), signal?: AbortSignal, opened?: RemoteShell): Promise<ShellResult> {
    signal?.throwIfAborted();
    const shell = opened ?? (await this.connection(signal));
    signal?.throwIfAborted();
    const ssh = this.ssh;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        // A command in the shell cannot be cancelled on its own: drop the connection, the next poll reconnects.
        this.drop(ssh);
        reject(signal!.reason ?? new NotReadyError('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const exec = typeof command === 'string' ? shell.run(command) : shell.runFramed(command);
    try {
      return await (signal ? Promise.race([exec, aborted]) : exec);
    } catch (e) {
      this.drop(ssh);
      throw signal?.aborted ? signal.reason : this.mapError(e);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      exec.catch(() => {});
      aborted.catch(() => {});
    }
  }

  private connection(signal?: AbortSignal): Promise<RemoteShell> {
    if (this.closed) return Promise.reject(new NotReadyError('the source is closed'));
    if (this.ssh?.isConnected() && this.shell?.alive) return Promise.resolve(this.shell);
    if (!this.connecting) {
      this.connecting = this.open().finally(() => {
        this.connecting = undefined;
      });
    }
    if (!signal) return this.connecting;
    return Promise.race([
      this.connecting,
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    ]);
  }

  private async open(): Promise<RemoteShell> {
    this.drop();
    const ssh = new NodeSSH();
    this.hostKeyMismatch = undefined;
    try {
      await ssh.connect({
        host: this.config.host,
        port: this.config.port ?? 22,
        username: this.config.username,
        privateKey: this.config.privateKey,
        ...(this.config.passphrase ? { passphrase: this.config.passphrase } : {}),
        readyTimeout: this.config.connectTimeoutMs ?? 10_000,
        // Finds a dead peer between polls instead of at the next poll's timeout.
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => this.verifyHostKey(key),
      });
    } catch (e) {
      ssh.dispose();
      throw this.mapError(e);
    }
    if (this.closed) {
      ssh.dispose();
      throw new NotReadyError('the source was closed while connecting');
    }
    // One small request and one small answer per poll: Nagle's algorithm would hold a request back
    // until the previous answer's segments are acknowledged.
    ssh.connection?.setNoDelay(true);
    let shell: RemoteShell;
    try {
      shell = await RemoteShell.open(ssh.connection!, SHELL_COMMAND);
      const which = await shell.run('echo "${BASH_VERSION:-}"');
      this.bash = which.stdout.trim() !== '';
      if (this.bash) {
        const defined = await shell.run(bashPollFunction());
        if (defined.code !== 0) this.bash = false;
      }
    } catch (e) {
      ssh.dispose();
      throw this.mapError(e);
    }
    ssh.connection?.on('close', () => {
      if (this.ssh === ssh) this.drop(ssh);
    });
    this.ssh = ssh;
    this.shell = shell;
    const learned = this.pendingHostKey;
    this.pendingHostKey = undefined;
    if (learned) {
      this.knownHostKey = learned;
      await this.storage?.set('hostKeyFingerprint', learned);
      this.logger?.info('learned the host key on first contact', { fingerprint: learned });
    }
    return shell;
  }

  private verifyHostKey(key: Buffer): boolean {
    const fp = fingerprint(key);
    if (!this.knownHostKey) {
      this.pendingHostKey = fp;
      return true;
    }
    if (fp === this.knownHostKey) return true;
    this.hostKeyMismatch = fp;
    return false;
  }

  private drop(ssh: NodeSSH | undefined = this.ssh): void {
    if (!ssh) return;
    if (this.ssh === ssh) {
      this.shell?.close();
      this.shell = undefined;
      this.ssh = undefined;
    }
    ssh.dispose();
  }

  private target(): string {
    return `${this.config.username}@${this.config.host}:${this.config.port ?? 22}`;
  }

  private mapError(e: unknown): unknown {
    if (e instanceof NotReadyError || e instanceof AuthFailedError || e instanceof WarrenError) return e;
    const err = e as { code?: string; level?: string; message?: string };
    const msg = err?.message ?? String(e);
    if (this.hostKeyMismatch) {
      return new AuthFailedError(
        `${this.target()}: the host key changed (now ${this.hostKeyMismatch}, expected ${this.knownHostKey}); refusing to connect`,
        { cause: e },
      );
    }
    if (err?.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
      return new AuthFailedError(`${this.target()}: the key was refused (${msg})`, { cause: e });
    }
    if (/privateKey|Cannot parse|Unsupported key format|passphrase/i.test(msg)) {
      return new WarrenError('WARREN_ERR_PLUGIN_CONFIG', `the private key cannot be used: ${msg}`, {
        hint: 'Paste an OpenSSH or PEM private key (ed25519, ecdsa or rsa); give its passphrase if it has one.',
        details: [{ path: '/privateKey', message: msg }],
      });
    }
    if (
      (err?.code && CONNECTION_ERRORS.has(err.code)) ||
      err?.level === 'client-timeout' ||
      err?.level === 'client-socket' ||
      err?.level === 'client-dns' ||
      /Timed out while waiting for handshake|Not connected|No response from server|connection lost|closed/i.test(msg)
    ) {
      return new NotReadyError(`${this.target()}: ${msg}`, { cause: e });
    }
    return e;
  }
}
