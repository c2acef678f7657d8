// The HTTP side of the hub: one express app serving `/api` (REST; everything but health and login
// needs a session cookie or a bearer token), `/metrics`, and the web UI.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SESSION_COOKIE } from '../auth/auth.js';
import { WarrenError } from '../errors.js';
import type { Hub } from '../hub.js';
import { bearer, errorMiddleware, parseCookies, type AuthedRequest } from './http.js';
import { coreRoutes } from './routes/core.js';
import { pluginRoutes } from './routes/plugins.js';

/** Routes anyone may call: health, and what it takes to log in. */
export const PUBLIC_ROUTES = new Set(['GET /health', 'GET /auth/status', 'POST /auth/login', 'POST /auth/setup']);

export type RouteModule = (r: Router, hub: Hub) => void;

export function createApp(hub: Hub, opts: { uiDir?: string; routeModules?: RouteModule[] } = {}): { app: express.Express; api: Router } {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  const api = Router();
  api.use(express.json({ limit: '2mb' }));
  api.use(async (req: Request, _res: Response, next: NextFunction) => {
    try {
      if (PUBLIC_ROUTES.has(`${req.method} ${req.path}`)) return next();
      const user =
        (await hub.auth.userForToken(bearer(req.headers.authorization))) ??
        (await hub.auth.userForSession(parseCookies(req.headers.cookie)[SESSION_COOKIE]));
      if (!user) throw new WarrenError('WARREN_ERR_UNAUTHORIZED', 'log in first, or send an API token as "Authorization: Bearer <token>"', {
        hint: 'Create a token with: warren tokens create <name>',
      });
      (req as AuthedRequest).user = user;
      next();
    } catch (e) {
      next(e);
    }
  });
  const started = Date.now();
  api.use((req, res, next) => {
    const t0 = process.hrtime.bigint();
    res.on('finish', () => hub.observeRequest(req.method, req.route?.path ?? 'unmatched', res.statusCode, Number(process.hrtime.bigint() - t0) / 1e9));
    next();
  });
  coreRoutes(api, hub);
  pluginRoutes(api, hub);
  for (const m of opts.routeModules ?? []) m(api, hub);
  api.use((req) => {
    throw new WarrenError('WARREN_ERR_NOT_FOUND', `no API route ${req.method} /api${req.path}`, { hint: 'GET /api/openapi.json lists the routes.' });
  });
  api.use(errorMiddleware((err, req) => hub.logger.error({ err, path: req.path, method: req.method }, 'request failed')));
  app.use('/api', api);

  app.get('/metrics', async (req, res, next) => {
    try {
      const user =
        (await hub.auth.userForToken(bearer(req.headers.authorization))) ??
        (await hub.auth.userForSession(parseCookies(req.headers.cookie)[SESSION_COOKIE]));
      if (!user) throw new WarrenError('WARREN_ERR_UNAUTHORIZED', 'send an API token as "Authorization: Bearer <token>"');
      res.type('text/plain; version=0.0.4').send(hub.prometheusText(started));
    } catch (e) {
      next(e);
    }
  });

  const uiDir = opts.uiDir;
  if (uiDir && existsSync(join(uiDir, 'index.html'))) {
    app.use(express.static(uiDir, { index: 'index.html', maxAge: '1h', setHeaders: (res, path) => {
      // Entry files keep their names across upgrades: revalidate them. Chunks carry a content hash.
      if (path.endsWith('.html') || path.endsWith('/app.js') || path.endsWith('.map')) res.setHeader('Cache-Control', 'no-cache');
    } }));
    app.get(/^\/(?!api\/|socket\.io\/|metrics).*/, (_req, res) => res.sendFile(join(uiDir, 'index.html')));
  } else {
    app.get('/', (_req, res) => {
      res.type('html').send('<!doctype html><title>Warren</title><h1>Warren</h1><p>The hub is running. The web UI is not built: run <code>npm run build</code>.</p>');
    });
  }
  app.use(errorMiddleware((err) => hub.logger.error({ err }, 'request failed')));
  return { app, api };
}

/** Every route of the API router as `METHOD /path` (for the auth test and the OpenAPI document). */
export function routeTable(api: Router): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  for (const layer of (api as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] }).stack) {
    if (!layer.route) continue;
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') out.push({ method: m.toUpperCase(), path: layer.route.path });
  }
  return out;
}
