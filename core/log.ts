// The hub's logger: pino, JSON lines on stdout (pretty enough for a terminal is left to `pino-pretty`
// users). Known secret-bearing keys are censored wherever they appear, as a second line of defence:
// the first is that secrets are never handed to a logger at all.
import pino from 'pino';
import type { Logger } from './plugin/types.js';

const SECRET_KEYS = ['password', 'passwd', 'secret', 'token', 'privateKey', 'private_key', 'key', 'authorization', 'cookie', 'adminPassword', 'apiKey', 'ciphertext'];

export type HubLogger = pino.Logger;

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): HubLogger {
  const paths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);
  return pino(
    {
      level: opts.level ?? process.env.WARREN_LOG_LEVEL ?? 'info',
      base: undefined,
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** Adapts a pino logger to the small Logger of the plugin contract, prefixed with `scope`. */
export function scopedLogger(base: HubLogger, scope: string): Logger {
  const child = base.child({ scope });
  return {
    debug: (msg, data) => child.debug(data ?? {}, msg),
    info: (msg, data) => child.info(data ?? {}, msg),
    warn: (msg, data) => child.warn(data ?? {}, msg),
    error: (msg, data) => child.error(data ?? {}, msg),
  };
}
