// The MQTT bridge's state: whether it is connected, to which broker (never the password), the prefixes.
import type { Router } from 'express';
import type { Hub } from '../../hub.js';

export function mqttRoutes(r: Router, hub: Hub): void {
  r.get('/mqtt', async (_req, res) => {
    const bridge = hub.services.mqtt as { status(): unknown } | undefined;
    res.json(bridge ? { enabled: true, ...(bridge.status() as object) } : { enabled: false, hint: 'Set WARREN_MQTT_URL (and WARREN_MQTT_USERNAME/PASSWORD) to publish to a broker.' });
  });
}
