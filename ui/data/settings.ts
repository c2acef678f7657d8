// Hub settings over REST: the MQTT bridge (the password is write-only: only whether one is stored comes back).
import type { MqttInput } from '../../core/bus/mqtt-feature.js';
import { request } from './api.js';

export type { MqttInput };

/** What the hub shows of its stored settings: the password only as whether one is set. */
export type MqttSettingsView = Omit<MqttInput, 'password'> & { passwordSet?: boolean };

export interface MqttStatus {
  enabled: boolean;
  /** Where the running settings come from. */
  source?: 'stored' | 'environment' | 'none';
  /** WARREN_MQTT_URL is set in the hub's environment. */
  environment?: boolean;
  settings?: MqttSettingsView;
  connected?: boolean;
  url?: string;
  prefix?: string;
  discoveryPrefix?: string;
  clientId?: string;
  lastError?: string;
  hint?: string;
}

export const mqttStatus = () => request<MqttStatus>('GET', '/mqtt');
export const setMqtt = (input: MqttInput) => request<MqttStatus>('PUT', '/mqtt', input);
