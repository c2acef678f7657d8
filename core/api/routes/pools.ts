// Database pools: servers with their databases, sizes and connections; per-app dump, restore and move;
// the RAM the pools save. Credentials never leave the hub through these routes.
import express, { type Request, type Router } from 'express';
import { WarrenError } from '../../errors.js';
import type { Hub } from '../../hub.js';
import type { PoolingService } from '../../pooling/index.js';

function poolingOf(hub: Hub): PoolingService {
  const s = hub.services.pooling;
  if (!s) throw new WarrenError('WARREN_ERR_NOT_READY', 'the pooling feature is not running');
  return s;
}

const param = (req: Request, name: string): string => String(req.params[name]);

export function poolRoutes(r: Router, hub: Hub): void {
  r.get('/pools', async (_req, res) => {
    res.json(await poolingOf(hub).list());
  });
  r.get('/pools/savings', async (_req, res) => {
    res.json(await poolingOf(hub).savings());
  });
  r.get('/pools/databases/:app/:ref/dump', async (req, res) => {
    const bytes = await poolingOf(hub).dump(param(req, 'app'), param(req, 'ref'));
    res.type('application/sql').set('content-disposition', `attachment; filename="${param(req, 'app').replace(/[^a-zA-Z0-9_.-]/g, '_')}.sql"`).send(bytes);
  });
  // The dump as the raw body (any type but JSON, e.g. `curl --data-binary @dump.sql`), or JSON
  // `{ "dumpBase64": ... }` within the API's JSON size limit.
  r.post('/pools/databases/:app/:ref/restore', express.raw({ type: (req) => !String(req.headers['content-type'] ?? '').includes('json'), limit: '2gb' }), async (req, res) => {
    const body: unknown = req.body;
    const bytes = Buffer.isBuffer(body) ? body : typeof (body as { dumpBase64?: unknown })?.dumpBase64 === 'string' ? Buffer.from((body as { dumpBase64: string }).dumpBase64, 'base64') : undefined;
    if (!bytes || bytes.length === 0) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'send the dump as the request body', { details: [{ path: '/body', message: 'empty, or JSON without dumpBase64' }] });
    }
    await poolingOf(hub).restore(param(req, 'app'), param(req, 'ref'), bytes);
    res.json({ restored: true });
  });
  r.post('/pools/databases/:app/:ref/move', async (req, res) => {
    const to = (req.body as { to?: unknown } | undefined)?.to;
    if (to !== 'pool' && to !== 'dedicated') {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'say where to move the database', { details: [{ path: '/to', message: 'must be "pool" or "dedicated"' }] });
    }
    const r2 = await poolingOf(hub).move(param(req, 'app'), param(req, 'ref'), to);
    res.json({ mode: r2.mode, server: r2.server, isolation: r2.isolation });
  });
}
