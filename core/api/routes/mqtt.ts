// MQTT settings and state: whether the bridge is connected, to which broker (never the password).
import type { Router } from 'express';
import { WarrenError } from '../../errors.js';
import type { Hub } from '../../hub.js';
import type { MqttInput } from '../../bus/mqtt-feature.js';
import { body } from '../http.js';

interface MqttService {
  status(): Record<string, unknown>;
  configure?(input: MqttInput): Promise<Record<string, unknown>>;
}

export function mqttRoutes(r: Router, hub: Hub): void {
  const service = () => hub.services.mqtt as MqttService | undefined;
  r.get('/mqtt', async (_req, res) => {
    const s = service();
    res.json(s ? s.status() : { enabled: false, hint: 'Set WARREN_MQTT_URL (and WARREN_MQTT_USERNAME/PASSWORD) to publish to a broker.' });
  });
  r.put('/mqtt', async (req, res) => {
    const s = service();
    if (!s?.configure) throw new WarrenError('WARREN_ERR_NOT_READY', 'MQTT settings cannot be changed in this hub');
    res.json(await s.configure(body(req) as unknown as MqttInput));
  });
}
