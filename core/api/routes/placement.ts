// `POST /api/placement`: rank the live inventory for an app (a catalog id, explicit requirements, or a
// catalog id with requirements overriding it), with the reservations of installs in flight applied.
import type { Router } from 'express';
import { WarrenError } from '../../errors.js';
import type { Hub } from '../../hub.js';
import { parseRequirements, type PlacementApiRequest, type PlacementOptions, type Weights } from '../../placement/index.js';
import { body } from '../http.js';
import { appsOf } from './apps.js';

const CRITERIA_KEYS = ['ram', 'storage', 'cpu', 'load', 'reliability'];

export function placementRoutes(r: Router, hub: Hub): void {
  r.post('/placement', async (req, res) => {
    const b = body(req) as PlacementApiRequest & Record<string, unknown>;
    const extra = Object.keys(b).filter((k) => !['app', 'requirements', 'weights', 'freshnessLimitSeconds'].includes(k));
    if (extra.length) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `unknown field ${extra.join(', ')}`, { details: extra.map((k) => ({ path: `/${k}`, message: 'not a placement request field' })) });
    if (b.app === undefined && b.requirements === undefined) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'give "app" (a catalog id) or "requirements"', { details: [{ path: '/app', message: 'required when there are no requirements' }] });
    }
    if (b.app !== undefined && typeof b.app !== 'string') throw new WarrenError('WARREN_ERR_INVALID_INPUT', '"app" must be a catalog id', { details: [{ path: '/app', message: 'must be a string' }] });
    const apps = appsOf(hub);
    const requirements = b.requirements !== undefined ? parseRequirements(b.requirements) : apps.requirements(apps.manifest(b.app!));
    const options: PlacementOptions = {};
    if (b.weights !== undefined) {
      const w = b.weights as Record<string, unknown>;
      const bad = typeof w !== 'object' || w === null || Array.isArray(w) ? ['/weights'] : Object.entries(w).filter(([k, v]) => !CRITERIA_KEYS.includes(k) || typeof v !== 'number' || !(v >= 0)).map(([k]) => `/weights/${k}`);
      if (bad.length) throw new WarrenError('WARREN_ERR_INVALID_INPUT', `weights are numbers >= 0 for ${CRITERIA_KEYS.join(', ')}`, { details: bad.map((path) => ({ path, message: 'must be a known criterion with a number >= 0' })) });
      options.weights = w as Partial<Weights>;
    }
    if (b.freshnessLimitSeconds !== undefined) {
      const f = b.freshnessLimitSeconds;
      if (typeof f !== 'number' || !(f > 0)) throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'freshnessLimitSeconds must be a number > 0', { details: [{ path: '/freshnessLimitSeconds', message: 'must be > 0' }] });
      options.freshnessLimitSeconds = f;
    }
    res.json(await apps.place(requirements, options));
  });
}
