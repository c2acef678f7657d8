// The admin channel to a server container: commands run inside it through the device's ContainerHost,
// so the hub reaches a server on a private network of a remote device without publishing its port.
import { WarrenError } from '../errors.js';
import type { ContainerHost } from '../providers/container-host.js';
import type { ServerChannel } from '../providers/database-pool.js';

/** Base64 travels in arguments; Linux caps one argument at 128 KiB (MAX_ARG_STRLEN). */
const CHUNK_BYTES = 96 * 1024;

export function containerChannel(host: ContainerHost, project: string, service: string): ServerChannel {
  const exec = async (cmd: string[], signal?: AbortSignal) => {
    if (!host.exec) {
      throw new WarrenError('WARREN_ERR_ENGINE', `the device's container engine provider cannot run commands in containers`, {
        hint: 'Database pools need a ContainerHost with exec (docker-host and podman-host have it).',
      });
    }
    return host.exec(project, service, cmd, signal);
  };
  return {
    exec,
    async upload(data, signal) {
      const made = await exec(['mktemp'], signal);
      const file = made.output.trim();
      if (made.exitCode !== 0 || !file.startsWith('/')) throw new WarrenError('WARREN_ERR_DATABASE', `cannot make a temporary file in ${project}: ${file.slice(0, 200)}`);
      const append = async (bytes: Buffer) => {
        // The file name and the data are positional parameters, never parsed by the shell.
        const r = await exec(['sh', '-c', 'printf %s "$1" | base64 -d >>"$0"', file, bytes.toString('base64')], signal);
        if (r.exitCode !== 0) throw new WarrenError('WARREN_ERR_DATABASE', `copying data into ${project} failed: ${r.output.trim().slice(0, 200)}`);
      };
      try {
        let pending = Buffer.alloc(0);
        for await (const chunk of data) {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= CHUNK_BYTES) {
            await append(pending.subarray(0, CHUNK_BYTES));
            pending = pending.subarray(CHUNK_BYTES);
          }
        }
        if (pending.length) await append(pending);
      } catch (e) {
        await exec(['rm', '-f', file]).catch(() => {});
        throw e;
      }
      return file;
    },
  };
}
