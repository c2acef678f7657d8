// Plugins and their provider instances: list, configure (validated against the provider's schema,
// secrets write-only), test a connection before saving, restart, remove.
import type { Router } from 'express';
import { WarrenError } from '../../errors.js';
import { body, requireString } from '../http.js';
import type { Hub } from '../../hub.js';

export function pluginRoutes(r: Router, hub: Hub): void {
  r.get('/plugins', async (_req, res) => {
    res.json({ plugins: hub.plugins.listPlugins(), instances: hub.plugins.listInstances() });
  });

  r.get('/plugins/instances', async (_req, res) => {
    res.json({ instances: hub.plugins.listInstances() });
  });

  r.post('/plugins/instances', async (req, res) => {
    const b = body(req);
    const config = b.config ?? {};
    if (typeof config !== 'object' || Array.isArray(config)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', '"config" must be an object', { details: [{ path: '/config', message: 'must be an object' }] });
    }
    const info = await hub.plugins.createInstance({
      id: requireString(b, 'id'),
      plugin: requireString(b, 'plugin'),
      provider: requireString(b, 'provider'),
      config: config as Record<string, unknown>,
      enabled: b.enabled === undefined ? true : Boolean(b.enabled),
    });
    res.status(201).json({ instance: info });
  });

  r.post('/plugins/test', async (req, res) => {
    const b = body(req);
    const result = await hub.plugins.testConfig(requireString(b, 'plugin'), requireString(b, 'provider'), (b.config ?? {}) as Record<string, unknown>);
    res.json(result);
  });

  const instance = (id: string) => {
    const info = hub.plugins.instanceInfo(id);
    if (!info) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no provider instance "${id}"`, { hint: 'GET /api/plugins/instances lists them.' });
    return info;
  };

  r.get('/plugins/instances/:id', async (req, res) => {
    res.json({ instance: instance(String(req.params.id)) });
  });

  r.put('/plugins/instances/:id', async (req, res) => {
    instance(String(req.params.id));
    const b = body(req);
    res.json({ instance: await hub.plugins.updateInstance(String(req.params.id), (b.config ?? {}) as Record<string, unknown>) });
  });

  r.post('/plugins/instances/:id/test', async (req, res) => {
    const info = instance(String(req.params.id));
    const b = body(req);
    res.json(await hub.plugins.testConfig(info.plugin, info.provider, (b.config ?? info.config) as Record<string, unknown>, info.id));
  });

  r.post('/plugins/instances/:id/restart', async (req, res) => {
    instance(String(req.params.id));
    res.json({ instance: await hub.plugins.restartInstance(String(req.params.id)) });
  });

  r.delete('/plugins/instances/:id', async (req, res) => {
    instance(String(req.params.id));
    await hub.plugins.removeInstance(String(req.params.id));
    res.json({ ok: true });
  });

  r.get('/plugins/:name', async (req, res) => {
    const p = hub.plugins.listPlugins().find((x) => x.name === req.params.name);
    if (!p) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no plugin "${req.params.name}"`);
    res.json({ plugin: p, instances: hub.plugins.listInstances().filter((i) => i.plugin === p.name) });
  });
}
