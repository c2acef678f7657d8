// Plain functions over the hub's REST API; components never call fetch themselves.
export interface ApiError {
  code: string;
  message: string;
  hint?: string;
  details?: { path: string; message: string }[];
}

export class HubError extends Error {
  constructor(readonly error: ApiError, readonly status: number) {
    super(error.message);
  }
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as { error?: ApiError };
  if (!res.ok) throw new HubError(data.error ?? { code: 'WARREN_ERR_INTERNAL', message: `The hub answered HTTP ${res.status}` }, res.status);
  return data as T;
}

export interface Me { user: { id: string; username: string } }

export const authStatus = () => request<{ setupRequired: boolean }>('GET', '/auth/status');
export const me = () => request<Me>('GET', '/auth/me');
export const login = (username: string, password: string) => request<Me>('POST', '/auth/login', { username, password });
export const setup = (token: string, username: string, password: string) => request<Me>('POST', '/auth/setup', { token, username, password });
export const logout = () => request<{ ok: true }>('POST', '/auth/logout');

/** Plain words for an API error, with what to do. */
export function explain(e: unknown): string {
  if (e instanceof HubError) {
    const hint = e.error.hint ?? (e.status === 401 ? 'Log in again.' : e.status >= 500 ? 'Look at the hub\'s log for the cause, then try again.' : undefined);
    const details = (e.error.details ?? []).map((d) => `${d.path || '(input)'}: ${d.message}`).join('; ');
    return [e.error.message, details && `(${details})`, hint && `— ${hint}`].filter(Boolean).join(' ');
  }
  return e instanceof Error ? `The hub could not be reached (${e.message}). Check that it is running and reload the page.` : String(e);
}
