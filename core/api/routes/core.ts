// Health, authentication, API tokens and the event log.
import type { Router } from 'express';
import { SESSION_COOKIE, SESSION_TTL_MS } from '../../auth/auth.js';
import { WarrenError } from '../../errors.js';
import { body, currentUser, parseCookies, requireString } from '../http.js';
import type { Hub } from '../../hub.js';

export function coreRoutes(r: Router, hub: Hub): void {
  r.get('/health', async (_req, res) => {
    res.json({ status: 'ok', version: hub.version, uptimeSeconds: Math.round(process.uptime()), store: hub.store.engine });
  });

  r.get('/auth/status', async (req, res) => {
    res.json({ setupRequired: await hub.auth.setupRequired() });
  });

  const setCookie = (res: import('express').Response, req: import('express').Request, sessionId: string) => {
    res.cookie(SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'strict', path: '/', maxAge: SESSION_TTL_MS, secure: req.secure });
  };

  r.post('/auth/setup', async (req, res) => {
    const b = body(req);
    const { user, sessionId } = await hub.auth.completeSetup(b.token, b.username, b.password);
    setCookie(res, req, sessionId);
    hub.bus.emit('auth.login', { user: user.username });
    res.status(201).json({ user: { id: user.id, username: user.username } });
  });

  r.post('/auth/login', async (req, res) => {
    const b = body(req);
    const { user, sessionId } = await hub.auth.login(b.username, b.password);
    setCookie(res, req, sessionId);
    hub.bus.emit('auth.login', { user: user.username });
    res.json({ user: { id: user.id, username: user.username } });
  });

  r.post('/auth/logout', async (req, res) => {
    const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (sid) await hub.auth.logout(sid);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.json({ ok: true });
  });

  r.get('/auth/me', async (req, res) => {
    const u = currentUser(req);
    res.json({ user: { id: u.id, username: u.username } });
  });

  r.get('/tokens', async (req, res) => {
    const tokens = await hub.store.apiTokens.list({ userId: currentUser(req).id });
    res.json({ tokens: tokens.map((t) => ({ id: t.id, name: t.name, prefix: t.prefix, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt })) });
  });

  r.post('/tokens', async (req, res) => {
    const created = await hub.auth.createToken(currentUser(req).id, requireString(body(req), 'name'));
    res.status(201).json(created);
  });

  r.delete('/tokens/:id', async (req, res) => {
    const t = await hub.store.apiTokens.get(String(req.params.id));
    if (!t || t.userId !== currentUser(req).id) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no token ${req.params.id}`);
    await hub.store.apiTokens.delete(t.id);
    res.json({ ok: true });
  });

  r.get('/events', async (req, res) => {
    const after = req.query.after === undefined ? undefined : Number(req.query.after);
    const limit = req.query.limit === undefined ? undefined : Number(req.query.limit);
    if ((after !== undefined && !Number.isInteger(after)) || (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000))) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'after must be an event id and limit 1 to 1000', { details: [{ path: '/query', message: 'after: integer; limit: 1..1000' }] });
    }
    const domain = typeof req.query.domain === 'string' ? req.query.domain : undefined;
    res.json({ events: await hub.store.events.list({ after, limit, domain }) });
  });
}
