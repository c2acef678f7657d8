// The fleet at a glance: totals with their coverage and age, devices by state, apps by status, the RAM
// pooling saves, and one row per device. The socket.io room `summary` pushes the same shape live.
import type { Router } from 'express';
import type { Hub } from '../../hub.js';
import { metricsOf } from './devices.js';

export function summaryRoutes(r: Router, hub: Hub): void {
  r.get('/summary', async (_req, res) => {
    res.json(await metricsOf(hub).summary());
  });
}
