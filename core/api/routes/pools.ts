// Database pools: servers with their databases, sizes and connections; per-app dump, restore and move;
// the RAM the pools save. Credentials never leave the hub through these routes.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Router } from 'express';
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
  // POST /api/pools/adopt — body `{ "device": "nas", "url": "postgres://admin:pw@10.0.0.5:5432/postgres" }` (or
  // mysql://...): an existing server becomes the device's shared server of its engine. The URL (with its
  // password) is kept encrypted and never shown again; answers `{ id, device, engine, version }`.
  r.post('/pools/adopt', async (req, res) => {
    const body = (req.body ?? {}) as { device?: unknown; url?: unknown };
    const details = [
      ...(typeof body.device === 'string' && body.device ? [] : [{ path: '/device', message: 'the device whose apps use the server' }]),
      ...(typeof body.url === 'string' && body.url ? [] : [{ path: '/url', message: 'postgres://user:password@host:port/db or mysql://user:password@host:port' }]),
    ];
    if (details.length) throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'say which device and which server', { details });
    const row = await poolingOf(hub).adopt(body.device as string, body.url as string);
    res.status(201).json({ id: row.id, device: row.device, engine: row.engine, version: row.version });
  });
  // DELETE /api/pools/:id — forgets an adopted server that holds no app database (what adopting closed is
  // reopened); 409 for a server Warren deployed or one still in use.
  r.delete('/pools/:id', async (req, res) => {
    await poolingOf(hub).forget(param(req, 'id'));
    res.json({ forgotten: true });
  });
  r.get('/pools/savings', async (_req, res) => {
    res.json(await poolingOf(hub).savings());
  });
  // GET /api/pools/databases/:app/:ref/dump — the database as a plain SQL dump (application/sql), streamed
  // from the server as pg_dump/mariadb-dump writes it (never held whole in the hub). A failure before the
  // first byte is a JSON error; one after it cuts the response short (the transfer is incomplete).
  r.get('/pools/databases/:app/:ref/dump', async (req, res) => {
    const ac = new AbortController();
    res.on('close', () => ac.abort());
    const data = await poolingOf(hub).dump(param(req, 'app'), param(req, 'ref'), ac.signal);
    res.type('application/sql').set('content-disposition', `attachment; filename="${param(req, 'app').replace(/[^a-zA-Z0-9_.-]/g, '_')}.sql"`);
    await pipeline(Readable.from(data), res).catch((e: unknown) => {
      hub.logger.warn({ err: e, app: param(req, 'app') }, 'a database dump was cut short');
      res.destroy();
    });
  });
  // POST /api/pools/databases/:app/:ref/restore — replaces the database's content with a dump. The dump is
  // the raw request body, any content type but JSON (`curl --data-binary @dump.sql -H 'content-type:
  // application/sql'`), of any size: spooled to the hub's disk first, then streamed into the server.
  // A small dump may also come as JSON `{ "dumpBase64": ... }` within the API's JSON size limit (2 MB).
  // Answers `{ restored: true, bytes }`.
  r.post('/pools/databases/:app/:ref/restore', async (req, res) => {
    const isJson = String(req.headers['content-type'] ?? '').includes('json');
    const b64 = isJson ? (req.body as { dumpBase64?: unknown } | undefined)?.dumpBase64 : undefined;
    if (isJson && (typeof b64 !== 'string' || b64.length === 0)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'send the dump as the request body', { details: [{ path: '/dumpBase64', message: 'missing or empty; or send the raw dump with a non-JSON content type' }] });
    }
    const body = isJson ? Readable.from([Buffer.from(b64 as string, 'base64')]) : req;
    const { bytes } = await poolingOf(hub).restoreUpload(param(req, 'app'), param(req, 'ref'), body);
    res.json({ restored: true, bytes });
  });
  // POST /api/pools/databases/:app/:ref/move — body `{ "to": "pool" | "dedicated" }`. Refused (409, with the
  // reason) before anything changes when an install would not be allowed there: the manifest asks for a
  // dedicated server, a version/extension the shared server lacks, or its connection budget is spent.
  // Answers `{ mode, server, isolation }`; the app must be redeployed to use the new credentials.
  r.post('/pools/databases/:app/:ref/move', async (req, res) => {
    const to = (req.body as { to?: unknown } | undefined)?.to;
    if (to !== 'pool' && to !== 'dedicated') {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'say where to move the database', { details: [{ path: '/to', message: 'must be "pool" or "dedicated"' }] });
    }
    const r2 = await poolingOf(hub).move(param(req, 'app'), param(req, 'ref'), to);
    res.json({ mode: r2.mode, server: r2.server, isolation: r2.isolation });
  });
}
