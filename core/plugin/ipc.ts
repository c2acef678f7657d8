// The wire format between the hub and a plugin's child process. Values cross as JSON; functions,
// AbortSignals, byte arrays and async iterables are replaced by references that the other side
// turns back into the real thing.

export type Wire =
  | { type: 'load'; entry: string; plugin: string }
  | { type: 'loaded'; providers: unknown[] }
  | { type: 'request'; id: number; op: 'migrate' | 'test' | 'setup' | 'close' | 'call' | 'iter-next' | 'iter-return' | 'ping'; args: unknown[] }
  | { type: 'response'; id: number; ok: boolean; value?: unknown; error?: SerializedError }
  | { type: 'abort'; signal: number }
  | { type: 'callback'; fn: number; args: unknown[] }
  | { type: 'ctx'; id: number; instance: string; op: string; args: unknown[] }
  | { type: 'ctx-response'; id: number; ok: boolean; value?: unknown; error?: SerializedError }
  | { type: 'log'; instance: string; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; data?: Record<string, unknown> }
  | { type: 'emit'; instance: string; event: string; payload: Record<string, unknown> }
  | { type: 'bus'; instance: string; listener: number; payload: Record<string, unknown> }
  | { type: 'fatal'; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  hint?: string;
  details?: unknown;
}

export function serializeError(e: unknown): SerializedError {
  if (e && typeof e === 'object') {
    const o = e as { name?: string; message?: string; code?: unknown; hint?: string; details?: unknown };
    return {
      name: o.name ?? 'Error',
      message: o.message ?? String(e),
      ...(typeof o.code === 'string' ? { code: o.code } : {}),
      ...(o.hint ? { hint: o.hint } : {}),
      ...(o.details ? { details: o.details } : {}),
    };
  }
  return { name: 'Error', message: String(e) };
}

/** Rebuilds an error so that `name` (NotReadyError, AuthFailedError) and `code` survive the crossing. */
export function deserializeError(s: SerializedError): Error {
  const e = new Error(s.message) as Error & { code?: string; hint?: string; details?: unknown };
  e.name = s.name;
  if (s.code) e.code = s.code;
  if (s.hint) e.hint = s.hint;
  if (s.details) e.details = s.details;
  return e;
}

export interface RefTable {
  fn(f: (...args: unknown[]) => unknown): number;
  signal(s: AbortSignal): number;
}

/** Replaces functions and AbortSignals by references, bytes by base64, recursively through plain data. */
export function encodeValue(v: unknown, refs: RefTable, depth = 0): unknown {
  if (depth > 20) return null;
  if (typeof v === 'function') return { __fn: refs.fn(v as (...args: unknown[]) => unknown) };
  if (v instanceof AbortSignal) return { __signal: refs.signal(v) };
  if (v instanceof Uint8Array) return { __bytes: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return v.map((x) => encodeValue(x, refs, depth + 1));
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = encodeValue(x, refs, depth + 1);
    return out;
  }
  return v;
}

export interface RefResolver {
  fn(id: number): (...args: unknown[]) => void;
  signal(id: number): AbortSignal;
}

export function decodeValue(v: unknown, refs: RefResolver): unknown {
  if (Array.isArray(v)) return v.map((x) => decodeValue(x, refs));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.__fn === 'number') return refs.fn(o.__fn);
    if (typeof o.__signal === 'number') return refs.signal(o.__signal);
    if (typeof o.__bytes === 'string') return new Uint8Array(Buffer.from(o.__bytes, 'base64'));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = decodeValue(x, refs);
    return out;
  }
  return v;
}
