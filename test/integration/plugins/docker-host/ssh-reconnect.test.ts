// The SSH connection to a device's engine dies (its sshd sessions end: a reboot, an sshd restart)
// while channels sit idle in the pool: the next requests go over a new connection and answer. They
// used to be handed the dead pooled channels and wait forever, so a device never came back after its
// sshd restarted (summary.test.ts: "fresh again once sshd is back").
//
// Ends dev1's sshd sessions (not its listener) in dev1's network namespace: run under
// /tmp/warren-services.lock, as root, e.g.
//   flock /tmp/warren-services.lock npx tap test/integration/plugins/docker-host/ssh-reconnect.test.ts
import t from 'tap';
import { readFileSync } from 'node:fs';
import plugin from '../../../../plugins/docker-host/index.js';
import type { Closable } from '../../../../core/plugin/types.js';
import type { ContainerHost } from '../../../../core/providers/container-host.js';
import { needServices } from '../../../helpers/services.js';
import { until, within } from '../../../helpers/wait.js';
import { sshdIn } from '../../../helpers/sshd.js';
import { setupHost, sshConfig } from '../../../contract/container-host/hosts.js';

const state = needServices(t as unknown as Parameters<typeof needServices>[0], 'devices');
if (state && process.getuid?.() !== 0) t.comment('skipped: ending a test device\'s sshd sessions needs root');
else if (state) {
  const device = state.devices![0]!;
  const nsPath = `/var/run/netns/${device.netns}`;
  const listener = Number(readFileSync(`/run/warren-test/${device.id}/sshd.pid`, 'utf8').trim());
  /**
   * Ends every sshd session in the device's namespace (this file's connections), leaving the listener,
   * and waits until those sessions are gone. Only those: requests still queued reconnect at once, and
   * the new connection's session stays (the host keeps it for the next request).
   */
  const endSessions = async () => {
    const sessions = sshdIn(nsPath).filter((p) => p !== listener);
    for (const pid of sessions) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone with its parent.
      }
    }
    await until('the ended sshd sessions gone', async () => {
      const now = new Set(sshdIn(nsPath));
      return sessions.every((p) => !now.has(p));
    }, 10_000);
    return sessions.length;
  };

  t.test('requests after the SSH connection died with channels idle in the pool answer over a new connection', async (t) => {
    const host: ContainerHost & Closable = await setupHost(plugin, 'docker', sshConfig(device, state));
    t.teardown(() => host.close());
    // Three channels, then idle in the pool.
    await Promise.all([host.info(), host.info(), host.info()]);
    t.ok((await endSessions()) > 0, 'the connection\'s sshd session ended');
    // A request made before the client has noticed the end may fail with it; none may hang.
    await within(30_000, 'requests just after the connection died', Promise.allSettled([host.info(), host.info()]));
    for (let round = 0; round < 3; round++) {
      // Each round takes the pool's channels first: a dead one handed out never answered.
      const [a, b] = await within(30_000, `requests after the connection died (round ${round + 1})`, Promise.all([host.info(), host.info()]));
      t.ok(a.cpus > 0 && b.cpus > 0, `round ${round + 1}: the engine answered`);
    }
  });

  t.test('channels that were open when the connection died are given back: concurrent requests afterwards all answer', async (t) => {
    const host: ContainerHost & Closable = await setupHost(plugin, 'docker', sshConfig(device, state));
    t.teardown(() => host.close());
    // Ten requests at once: every one of sshd's sessions is a channel, some of them in flight when the sessions end.
    const inFlight = Promise.allSettled(Array.from({ length: 10 }, () => host.info()));
    await new Promise((r) => setTimeout(r, 200));
    await endSessions();
    await within(60_000, 'the requests in flight', inFlight);
    const after = await within(60_000, 'five requests after the connection died', Promise.allSettled(Array.from({ length: 5 }, () => host.info())));
    const failed = after.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).message);
    t.same(failed, [], 'all five answered');
  });
}
