// Hash routes: #/dashboard, #/devices/<id>, #/catalog/<id>, #/install/<id>, #/setup?token=...
export interface Route {
  page: string;
  param?: string;
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path = '', q = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = '', ...rest] = path.split('/').filter(Boolean);
  return { page: page || 'dashboard', ...(rest.length ? { param: decodeURIComponent(rest.join('/')) } : {}), query: new URLSearchParams(q) };
}

export const go = (path: string): void => {
  location.hash = `#/${path}`;
};
