// One long-lived `sh` on the device, fed a command per poll over the same SSH channel. Opening a
// channel per poll makes sshd fork a session and start a login shell every time; keeping one shell
// leaves only the command's own processes (head, df) per poll.
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';

export interface ShellResult {
  stdout: string;
  stderr: string;
  code: number;
}

interface Pending {
  marker: string;
  /** The command prints the end marker itself, on stdout only (see runFramed). */
  stdoutOnly?: boolean;
  resolve(r: ShellResult): void;
  reject(e: Error): void;
}

export class RemoteShell {
  private out = '';
  private err = '';
  private pending?: Pending;
  private queue: Promise<unknown> = Promise.resolve();
  private closedWith?: Error;

  private constructor(private readonly channel: ClientChannel) {
    channel.setEncoding('utf8');
    channel.stderr.setEncoding('utf8');
    channel.on('data', (chunk: string) => {
      this.out += chunk;
      this.check();
    });
    channel.stderr.on('data', (chunk: string) => {
      this.err += chunk;
      this.check();
    });
    channel.on('close', () => this.fail(new Error('the remote shell closed')));
    channel.on('error', (e: Error) => this.fail(e));
  }

  static async open(client: Client, command = 'exec /bin/sh'): Promise<RemoteShell> {
    const shell = await new Promise<RemoteShell>((resolve, reject) => {
      // `exec sh` replaces the login shell, so the user's shell choice does not matter.
      client.exec(command, (err, channel) => (err ? reject(err) : resolve(new RemoteShell(channel))));
    });
    // Whatever the login shell's rc files printed before the exec lands in this first answer, not in a real one.
    await shell.run(':');
    return shell;
  }

  get alive(): boolean {
    return !this.closedWith;
  }

  /** Runs one command line; commands run one after another. */
  run(command: string): Promise<ShellResult> {
    const next = this.queue.then(() => this.send(command));
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * Runs a command that prints its own end of output: `\n<marker> <status>\n` on stdout, in the same
   * write as its output, and nothing on stderr. The whole answer can then leave the device in one
   * write, so sshd wakes once and sends one packet, where run() needs three writes.
   */
  runFramed(command: (marker: string) => string): Promise<ShellResult> {
    const next = this.queue.then(() => this.send(command, true));
    this.queue = next.catch(() => {});
    return next;
  }

  close(): void {
    this.fail(new Error('the remote shell was closed'));
    try {
      this.channel.close();
    } catch {
      // The connection under it is already gone, which closes the channel too.
    }
  }

  private send(command: string | ((marker: string) => string), stdoutOnly = false): Promise<ShellResult> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const marker = `@@warren-${randomBytes(8).toString('hex')}`;
    return new Promise<ShellResult>((resolve, reject) => {
      this.pending = { marker, resolve, reject, stdoutOnly };
      this.out = '';
      this.err = '';
      if (typeof command === 'function') {
        this.channel.write(`${command(marker)}\n`);
        return;
      }
      // The marker goes on both streams, since their order relative to each other is not kept.
      // The leading newline ends output that lacks its own; it is taken off again below.
      this.channel.write(`{ ${command}\n}; printf '\\n%s %s\\n' '${marker}' "$?"; printf '\\n%s\\n' '${marker}' >&2\n`);
    });
  }

  private check(): void {
    const p = this.pending;
    if (!p) return;
    const outAt = this.out.indexOf(`\n${p.marker} `);
    const errAt = p.stdoutOnly ? this.err.length : this.err.indexOf(`\n${p.marker}\n`);
    if (outAt < 0 || errAt < 0) return;
    const end = this.out.indexOf('\n', outAt + 1 + p.marker.length);
    if (end < 0) return;
    const code = Number(this.out.slice(outAt + 1 + p.marker.length + 1, end));
    const result = { stdout: this.out.slice(0, outAt), stderr: this.err.slice(0, errAt), code };
    this.out = this.out.slice(end + 1);
    this.err = p.stdoutOnly ? '' : this.err.slice(errAt + p.marker.length + 2);
    this.pending = undefined;
    p.resolve(result);
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    this.pending?.reject(e);
    this.pending = undefined;
  }
}
