// The long-lived shell ssh-procfs keeps on a device, against a test device's real sshd.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { NodeSSH } from 'node-ssh';
import { needServices } from '../../../helpers/services.js';
import { RemoteShell } from '../../../../plugins/ssh-procfs/remote-shell.js';

const env = needServices(t, 'devices');
if (env) {
  const d = env.devices![0]!;
  t.test('commands run one after another with their own stdout, stderr and exit code', async (t) => {
    const ssh = await new NodeSSH().connect({ host: d.ssh.host, port: d.ssh.port, username: d.ssh.username, privateKey: readFileSync(d.ssh.privateKeyPath, 'utf8') });
    t.teardown(() => ssh.dispose());
    const shell = await RemoteShell.open(ssh.connection!);
    const [a, b, c] = await Promise.all([
      shell.run('echo one; echo warn >&2'),
      shell.run("printf 'no newline at the end'"),
      shell.run('ls /nonexistent-path'),
    ]);
    t.same(a, { stdout: 'one\n', stderr: 'warn\n', code: 0 });
    t.same(b, { stdout: 'no newline at the end', stderr: '', code: 0 });
    t.equal(c.code, 2);
    t.match(c.stderr, /nonexistent-path/);
    t.equal(c.stdout, '');
    const big = await shell.run('head -c 300000 /dev/zero | tr "\\0" x; echo');
    t.equal(big.stdout.length, 300001, 'output larger than one SSH window arrives whole');

    // A command that frames its own answer (one write, marker on stdout only), between ordinary ones.
    const [x, y, z] = await Promise.all([
      shell.run('echo before; echo warn >&2'),
      shell.runFramed((m) => `printf 'framed\\n%s 0\\n' '${m}'`),
      shell.run('echo after'),
    ]);
    t.same(x, { stdout: 'before\n', stderr: 'warn\n', code: 0 });
    t.same(y, { stdout: 'framed', stderr: '', code: 0 });
    t.same(z, { stdout: 'after\n', stderr: '', code: 0 });

    const pid = (await shell.run('echo $$')).stdout.trim();
    const pending = shell.run('sleep 30');
    await ssh.execCommand(`kill -9 ${pid}`);
    await t.rejects(pending, /closed/, 'a shell killed on the device fails the command in flight');
    t.equal(shell.alive, false);
    await t.rejects(shell.run('echo again'), /closed/);
  });
}
