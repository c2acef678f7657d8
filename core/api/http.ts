// Small helpers the routes share: reading cookies, the caller's identity, body validation and the
// one error shape every REST error has: `{ error: { code, message, hint?, details? } }`.
import type { NextFunction, Request, Response } from 'express';
import { describeError, WarrenError } from '../errors.js';
import type { User } from '../store/index.js';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[k] = part.slice(i + 1).trim();
    }
  }
  return out;
}

export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

export interface AuthedRequest extends Request {
  user?: User;
}

export function currentUser(req: Request): User {
  const user = (req as AuthedRequest).user;
  if (!user) throw new WarrenError('WARREN_ERR_UNAUTHORIZED', 'not logged in');
  return user;
}

/** The body as an object, or a clear 400. */
export function body(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'the request body must be a JSON object', { details: [{ path: '/', message: 'must be an object' }] });
  }
  return b as Record<string, unknown>;
}

export function requireString(obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.length === 0) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `"${key}" is required`, { details: [{ path: `/${key}`, message: 'must be a non-empty string' }] });
  }
  return v;
}

export function sendError(res: Response, err: unknown): void {
  const e = err as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: 'WARREN_ERR_INVALID_INPUT', message: 'the request body is not valid JSON', hint: 'Send Content-Type: application/json with a JSON object.' } });
    return;
  }
  if (e?.type === 'entity.too.large') {
    res.status(413).json({ error: { code: 'WARREN_ERR_INVALID_INPUT', message: 'the request body is too large' } });
    return;
  }
  const status = err instanceof WarrenError ? err.status : 500;
  const d = describeError(err);
  res.status(status).json({ error: status === 500 && !(err instanceof WarrenError) ? { code: d.code, message: 'internal error; the hub log has the details' } : d });
}

export function errorMiddleware(onInternal: (err: unknown, req: Request) => void) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (!(err instanceof WarrenError) && !(err as { type?: string })?.type) onInternal(err, req);
    sendError(res, err);
  };
}
