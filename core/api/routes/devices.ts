// Devices over REST: the inventory, "Test connection" before and after saving, cordoning, the live
// snapshot placement reads, and each device's metric history.
import type { Request, Router } from 'express';
import { WarrenError } from '../../errors.js';
import type { Hub } from '../../hub.js';
import { HISTORY_RANGES, type DeviceService, type HistoryRange, type MetricsService } from '../../devices/index.js';
import { body } from '../http.js';

export function devicesOf(hub: Hub): DeviceService {
  const s = hub.services.devices;
  if (!s) throw new WarrenError('WARREN_ERR_NOT_READY', 'the devices feature is not running');
  return s;
}

export function metricsOf(hub: Hub): MetricsService {
  const s = hub.services.metrics;
  if (!s) throw new WarrenError('WARREN_ERR_NOT_READY', 'the metrics feature is not running');
  return s;
}

function imageRefs(req: Request): string[] {
  const raw = req.query.image;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length > 50 || list.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 300)) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'image must be up to 50 image references', { details: [{ path: '/query/image', message: 'must be non-empty strings of at most 300 characters' }] });
  }
  return list as string[];
}

export function deviceRoutes(r: Router, hub: Hub): void {
  r.get('/devices', async (_req, res) => {
    res.json({ devices: await devicesOf(hub).list() });
  });

  r.post('/devices', async (req, res) => {
    res.status(201).json({ device: await devicesOf(hub).add(body(req)) });
  });

  // Before /devices/:id, which would otherwise take "test" and "snapshot" for ids.
  r.post('/devices/test', async (req, res) => {
    res.json(await devicesOf(hub).test(body(req)));
  });

  r.get('/devices/snapshot', async (req, res) => {
    res.json(await devicesOf(hub).snapshot({ images: imageRefs(req) }));
  });

  r.get('/devices/:id', async (req, res) => {
    res.json({ device: await devicesOf(hub).get(String(req.params.id)) });
  });

  r.delete('/devices/:id', async (req, res) => {
    await devicesOf(hub).remove(String(req.params.id));
    res.json({ ok: true });
  });

  r.post('/devices/:id/test', async (req, res) => {
    res.json(await devicesOf(hub).testSaved(String(req.params.id)));
  });

  r.post('/devices/:id/cordon', async (req, res) => {
    res.json({ device: await devicesOf(hub).setCordoned(String(req.params.id), true) });
  });

  r.post('/devices/:id/uncordon', async (req, res) => {
    res.json({ device: await devicesOf(hub).setCordoned(String(req.params.id), false) });
  });

  r.get('/devices/:id/metrics', async (req, res) => {
    const range = req.query.range ?? '1h';
    if (typeof range !== 'string' || !Object.hasOwn(HISTORY_RANGES, range)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `range must be one of ${Object.keys(HISTORY_RANGES).join(', ')}`, {
        details: [{ path: '/query/range', message: `must be one of ${Object.keys(HISTORY_RANGES).join(', ')}` }],
      });
    }
    const device = await devicesOf(hub).get(String(req.params.id));
    res.json({ device: device.id, range, ...(await metricsOf(hub).history(device.id, range as HistoryRange)) });
  });
}
