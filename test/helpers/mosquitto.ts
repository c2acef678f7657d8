// A real Mosquitto broker on a spare port with a password file and an ACL, started and stopped by the
// test; and outside clients through the real mosquitto_pub/mosquitto_sub.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Broker {
  port: number;
  url: string;
  users: Record<string, string>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `users`: name → password; `acl`: the ACL file's text. */
export async function startBroker(bin: string, users: Record<string, string>, acl: string): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'warren-mqtt-'));
  const port = await freePort();
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  for (const [u, p] of Object.entries(users)) {
    const r = spawnSync('mosquitto_passwd', ['-b', passwd, u, p]);
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
  }
  writeFileSync(join(dir, 'acl'), acl);
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwd}`, `acl_file ${join(dir, 'acl')}`, 'persistence false', 'log_dest stderr', 'log_type error', 'log_type warning'].join('\n') + '\n',
  );
  // Started as root, mosquitto drops to its own user: it must be able to read its files.
  chmodSync(dir, 0o755);
  for (const f of ['passwd', 'acl', 'mosquitto.conf']) chmodSync(join(dir, f), 0o644);
  let proc: ChildProcess | undefined;
  const up = async () => {
    proc = spawn(bin, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once('error', () => resolve(true));
        s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('mosquitto did not start');
  };
  const down = async () => {
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc!.once('exit', r));
    proc.kill('SIGTERM');
    await gone;
  };
  await up();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    users,
    restart: async () => { await down(); await up(); },
    stop: async () => { await down(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/** Subscribes with the real mosquitto_sub and collects `topic payload` lines until stopped. */
export function subscribe(b: Broker, user: string, topic: string): { messages: { topic: string; payload: string }[]; raw: () => string; stop: () => void } {
  const messages: { topic: string; payload: string }[] = [];
  let raw = '';
  const p = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(b.port), '-u', user, '-P', b.users[user], '-t', topic, '-v', '-q', '1', '-F', '%t\t%p'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    raw += d.toString();
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const tab = line.indexOf('\t');
      messages.push({ topic: line.slice(0, tab), payload: line.slice(tab + 1) });
    }
  });
  return { messages, raw: () => raw, stop: () => p.kill() };
}

export function publish(b: Broker, user: string, topic: string, payload: string, opts: { retain?: boolean } = {}): void {
  const r = spawnSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(b.port), '-u', user, '-P', b.users[user], '-t', topic, '-m', payload, '-q', '1', ...(opts.retain ? ['-r'] : [])]);
  if (r.status !== 0) throw new Error(`mosquitto_pub failed: ${r.stderr}`);
}

/** The retained message on a topic right now (mosquitto_sub -C 1 -W 2). */
export function retained(b: Broker, user: string, topic: string): string | undefined {
  const r = spawnSync('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(b.port), '-u', user, '-P', b.users[user], '-t', topic, '-C', '1', '-W', '3']);
  const out = r.stdout.toString().trim();
  return out === '' ? undefined : out;
}
