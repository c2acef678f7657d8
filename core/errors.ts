/**
 * Errors with stable codes. Every error a user can see carries a `WARREN_ERR_*` code, a message that
 * says what happened, and where it helps a `hint` that says what to do and a `path` naming the bad input.
 */
export type ErrorCode =
  | 'WARREN_ERR_INVALID_INPUT'
  | 'WARREN_ERR_NOT_FOUND'
  | 'WARREN_ERR_CONFLICT'
  | 'WARREN_ERR_UNAUTHORIZED'
  | 'WARREN_ERR_FORBIDDEN'
  | 'WARREN_ERR_PLUGIN_API_MISMATCH'
  | 'WARREN_ERR_PLUGIN_MANIFEST'
  | 'WARREN_ERR_PLUGIN_LOAD'
  | 'WARREN_ERR_PLUGIN_CONFIG'
  | 'WARREN_ERR_PLUGIN_SETUP'
  | 'WARREN_ERR_PLUGIN_TIMEOUT'
  | 'WARREN_ERR_PLUGIN_CRASHED'
  | 'WARREN_ERR_NOT_READY'
  | 'WARREN_ERR_AUTH_FAILED'
  | 'WARREN_ERR_SECRET'
  | 'WARREN_ERR_STORE'
  | 'WARREN_ERR_DEVICE_UNREACHABLE'
  | 'WARREN_ERR_ENGINE'
  | 'WARREN_ERR_COMPOSE_INVALID'
  | 'WARREN_ERR_MANIFEST_INVALID'
  | 'WARREN_ERR_PLACEMENT'
  | 'WARREN_ERR_DATABASE'
  | 'WARREN_ERR_OPERATION'
  | 'WARREN_ERR_TIMEOUT'
  | 'WARREN_ERR_INTERNAL';

export interface ErrorDetail {
  /** JSON-pointer-like path of the offending input, e.g. `/services/web/ports/0`. */
  path: string;
  message: string;
}

export class WarrenError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly details?: ErrorDetail[];
  readonly status: number;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { hint?: string; details?: ErrorDetail[]; status?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WarrenError';
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details;
    this.status = opts.status ?? defaultStatus(code);
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: ErrorDetail[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

function defaultStatus(code: ErrorCode): number {
  switch (code) {
    case 'WARREN_ERR_INVALID_INPUT':
    case 'WARREN_ERR_PLUGIN_CONFIG':
    case 'WARREN_ERR_COMPOSE_INVALID':
    case 'WARREN_ERR_MANIFEST_INVALID':
      return 400;
    case 'WARREN_ERR_UNAUTHORIZED':
      return 401;
    case 'WARREN_ERR_FORBIDDEN':
      return 403;
    case 'WARREN_ERR_NOT_FOUND':
      return 404;
    case 'WARREN_ERR_CONFLICT':
    case 'WARREN_ERR_PLACEMENT':
      return 409;
    case 'WARREN_ERR_NOT_READY':
    case 'WARREN_ERR_DEVICE_UNREACHABLE':
      return 503;
    default:
      return 500;
  }
}

export const isWarrenError = (e: unknown): e is WarrenError => e instanceof WarrenError;

/** A plain-object view of any thrown value, safe to log or send (never includes a stack for users). */
export function describeError(e: unknown): { code: ErrorCode; message: string; hint?: string; details?: ErrorDetail[] } {
  if (e instanceof WarrenError) return e.toJSON();
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string' && String((e as { code: string }).code).startsWith('WARREN_ERR_')) {
    const o = e as { code: ErrorCode; message?: string; hint?: string; details?: ErrorDetail[] };
    return { code: o.code, message: o.message ?? o.code, ...(o.hint ? { hint: o.hint } : {}), ...(o.details ? { details: o.details } : {}) };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'WARREN_ERR_INTERNAL', message };
}
