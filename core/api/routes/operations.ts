// App operations (install, remove, start...) as the journal records them, with live progress.
import type { Router } from 'express';
import { WarrenError } from '../../errors.js';
import type { Hub } from '../../hub.js';
import { appsOf } from './apps.js';

export function operationRoutes(r: Router, hub: Hub): void {
  r.get('/operations', async (req, res) => {
    const raw = req.query.limit;
    const limit = raw === undefined ? undefined : Number(raw);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'limit must be 1-1000', { details: [{ path: '/query/limit', message: 'must be an integer from 1 to 1000' }] });
    }
    const app = typeof req.query.app === 'string' ? req.query.app : undefined;
    res.json({ operations: await appsOf(hub).operations({ ...(app ? { target: `app:${app}` } : {}) , ...(limit ? { limit } : {}) }) });
  });

  r.get('/operations/:id', async (req, res) => {
    res.json({ operation: await appsOf(hub).operation(String(req.params.id)) });
  });
}
