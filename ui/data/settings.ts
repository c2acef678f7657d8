// Hub settings over REST: the MQTT bridge (the password is write-only: only whether one is stored comes back).
import { request } from './api.js';

export interface MqttSettingsView {
  enabled: boolean;
  url?: string;
  username?: string;
  passwordSet?: boolean;
  clientId?: string;
  prefix?: string;
  discoveryPrefix?: string;
  acl?: Record<string, string[] | '*'>;
  ca?: string;
  cert?: string;
  key?: string;
}

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

export type MqttInput = Omit<MqttSettingsView, 'passwordSet'> & { password?: string };

export const mqttStatus = () => request<MqttStatus>('GET', '/mqtt');
export const setMqtt = (input: MqttInput) => request<MqttStatus>('PUT', '/mqtt', input);
