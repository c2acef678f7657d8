// Installed apps over REST: install (answers 202 with the operation to follow), start/stop/restart/
// update/remove as operations, details with live service states, and logs (streamed with follow).
import type { Request, Router } from 'express';
import type { AppService } from '../../apps/service.js';
import { WarrenError } from '../../errors.js';
import type { Hub } from '../../hub.js';
import { body } from '../http.js';

export function appsOf(hub: Hub): AppService {
  const s = hub.services.apps;
  if (!s) throw new WarrenError('WARREN_ERR_NOT_READY', 'the apps feature is not running');
  return s;
}

function flag(req: Request, name: string): boolean {
  const v = req.query[name];
  if (v === undefined) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new WarrenError('WARREN_ERR_INVALID_INPUT', `${name} must be true or false`, { details: [{ path: `/query/${name}`, message: 'must be true or false' }] });
}

function tailOf(req: Request): number | undefined {
  const v = req.query.tail;
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0 || n > 100_000) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'tail must be a whole number of lines (0-100000)', { details: [{ path: '/query/tail', message: 'must be an integer from 0 to 100000' }] });
  }
  return n;
}

export function appRoutes(r: Router, hub: Hub): void {
  r.get('/apps', async (_req, res) => {
    res.json({ apps: await appsOf(hub).list() });
  });

  r.post('/apps', async (req, res) => {
    const b = body(req);
    const catalogId = b.app ?? b.catalogId;
    const extra = Object.keys(b).filter((k) => !['app', 'catalogId', 'device', 'force', 'inputs', 'name'].includes(k));
    if (extra.length) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `unknown field${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`, { details: extra.map((k) => ({ path: `/${k}`, message: 'not a field of an install request' })) });
    if (b.device !== undefined && typeof b.device !== 'string') throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'device must be a device id', { details: [{ path: '/device', message: 'must be a string' }] });
    if (b.force !== undefined && typeof b.force !== 'boolean') throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'force must be true or false', { details: [{ path: '/force', message: 'must be a boolean' }] });
    const result = await appsOf(hub).install({
      catalogId: catalogId as string,
      ...(b.device !== undefined ? { device: b.device as string } : {}),
      ...(b.force !== undefined ? { force: b.force as boolean } : {}),
      ...(b.inputs !== undefined ? { inputs: b.inputs as Record<string, unknown> } : {}),
      ...(b.name !== undefined ? { name: b.name as string } : {}),
    });
    res.status(202).json(result);
  });

  r.get('/apps/:id', async (req, res) => {
    res.json({ app: await appsOf(hub).get(String(req.params.id)) });
  });

  r.delete('/apps/:id', async (req, res) => {
    res.status(202).json(await appsOf(hub).remove(String(req.params.id), { removeData: flag(req, 'removeData') }));
  });

  for (const action of ['start', 'stop', 'restart', 'update'] as const) {
    r.post(`/apps/:id/${action}`, async (req, res) => {
      res.status(202).json(await appsOf(hub)[action](String(req.params.id)));
    });
  }

  r.get('/apps/:id/logs', async (req, res) => {
    const follow = flag(req, 'follow');
    const tail = tailOf(req) ?? (follow ? 100 : 500);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const lines = await appsOf(hub).logs(String(req.params.id), { tail, follow, signal: abort.signal });
    res.status(200).type('text/plain; charset=utf-8');
    if (follow) res.flushHeaders();
    try {
      for await (const l of lines) {
        if (abort.signal.aborted) break;
        res.write(`${l.service} | ${l.line}\n`);
      }
    } catch (e) {
      if (!abort.signal.aborted) res.write(`-- logs ended: ${(e as Error).message}\n`);
    }
    res.end();
  });
}
