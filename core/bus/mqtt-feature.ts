// MQTT settings from the UI or CLI (stored, password encrypted) or else the environment, and the
// bridge that runs with them: reconfiguring restarts the bridge without restarting the hub.
import { WarrenError } from '../errors.js';
import type { Hub, HubExtension } from '../hub.js';
import { MqttBridge, mqttSettingsFromEnv, type MqttSettings } from './mqtt-bridge.js';

const NS = 'settings';
const KEY = 'mqtt';

/** What a user sets; the password is write-only. */
export interface MqttInput {
  enabled: boolean;
  url?: string;
  username?: string;
  password?: string;
  clientId?: string;
  prefix?: string;
  discoveryPrefix?: string;
  acl?: Record<string, string[] | '*'>;
}

interface Stored extends Omit<MqttInput, 'password'> {
  passwordRef?: string;
}

export class MqttFeature implements HubExtension {
  readonly name = 'mqtt';
  private hub?: Hub;
  private bridge?: MqttBridge;
  private source: 'stored' | 'environment' | 'none' = 'none';

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async start(hub: Hub): Promise<void> {
    this.hub = hub;
    hub.services.mqtt = this;
    const settings = await this.effectiveSettings();
    if (settings) await this.run(settings);
  }

  private async effectiveSettings(): Promise<MqttSettings | undefined> {
    const stored = await this.hub!.store.kv.get<Stored>(NS, KEY);
    if (stored) {
      this.source = 'stored';
      if (!stored.enabled) return undefined;
      const env: NodeJS.ProcessEnv = {
        ...this.env,
        WARREN_MQTT_URL: stored.url,
        WARREN_MQTT_USERNAME: stored.username ?? '',
        WARREN_MQTT_PASSWORD: stored.passwordRef ? await this.hub!.store.secrets.get(stored.passwordRef) : '',
        ...(stored.clientId ? { WARREN_MQTT_CLIENT_ID: stored.clientId } : {}),
        ...(stored.prefix ? { WARREN_MQTT_PREFIX: stored.prefix } : {}),
        ...(stored.discoveryPrefix ? { WARREN_MQTT_DISCOVERY_PREFIX: stored.discoveryPrefix } : {}),
        ...(stored.acl ? { WARREN_MQTT_ACL: JSON.stringify(stored.acl) } : {}),
      };
      return mqttSettingsFromEnv(env);
    }
    const fromEnv = mqttSettingsFromEnv(this.env);
    this.source = fromEnv ? 'environment' : 'none';
    return fromEnv;
  }

  private async run(settings: MqttSettings): Promise<void> {
    await this.bridge?.stop();
    this.bridge = new MqttBridge(settings);
    await this.bridge.start(this.hub!);
  }

  status(): Record<string, unknown> {
    if (!this.bridge) {
      return { enabled: false, source: this.source, hint: 'Configure a broker: PUT /api/mqtt, `warren mqtt set --url mqtt://host:1883`, or WARREN_MQTT_URL.' };
    }
    return { enabled: true, source: this.source, ...this.bridge.status() };
  }

  /** Validates and stores new settings (a password left out keeps the stored one), then reconnects. */
  async configure(input: MqttInput): Promise<Record<string, unknown>> {
    const hub = this.hub!;
    if (typeof input.enabled !== 'boolean') {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', '"enabled" must be true or false', { details: [{ path: '/enabled', message: 'must be a boolean' }] });
    }
    const previous = await hub.store.kv.get<Stored>(NS, KEY);
    let passwordRef = previous?.passwordRef;
    if (typeof input.password === 'string') {
      if (passwordRef) await hub.store.secrets.replace(passwordRef, input.password);
      else passwordRef = await hub.store.secrets.put(input.password);
    }
    const stored: Stored = {
      enabled: input.enabled,
      ...(input.url ? { url: input.url } : {}),
      ...(input.username ? { username: input.username } : {}),
      ...(input.clientId ? { clientId: input.clientId } : {}),
      ...(input.prefix ? { prefix: input.prefix } : {}),
      ...(input.discoveryPrefix ? { discoveryPrefix: input.discoveryPrefix } : {}),
      ...(input.acl ? { acl: input.acl } : {}),
      ...(passwordRef ? { passwordRef } : {}),
    };
    if (stored.enabled && !stored.url) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'a broker URL is needed to enable MQTT', { details: [{ path: '/url', message: 'is required when enabled' }], hint: 'e.g. mqtt://homeassistant.lan:1883' });
    }
    // Validate with the same rules as the environment before anything is kept.
    if (stored.enabled) {
      mqttSettingsFromEnv({ WARREN_MQTT_URL: stored.url, ...(stored.acl ? { WARREN_MQTT_ACL: JSON.stringify(stored.acl) } : {}) });
    }
    await hub.store.kv.set(NS, KEY, stored);
    await this.bridge?.stop();
    this.bridge = undefined;
    const settings = await this.effectiveSettings();
    if (settings) await this.run(settings);
    return this.status();
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
    this.bridge = undefined;
  }
}
