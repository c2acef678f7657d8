import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

/**
 * The processes named `sshd` in the network namespace at `nsPath` (a test device's listener and its
 * sessions): what tests that stop or cut a device's sshd act on, and nothing outside that namespace.
 */
export function sshdIn(nsPath: string): number[] {
  const ns = statSync(nsPath).ino;
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() !== 'sshd') continue;
      if (statSync(`/proc/${p}/ns/net`).ino === ns || readlinkSync(`/proc/${p}/ns/net`) === `net:[${ns}]`) out.push(Number(p));
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}
