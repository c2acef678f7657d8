// MQTT settings from the UI or CLI (stored, password encrypted) or else the environment, and the
// bridge that runs with them: reconfiguring restarts the bridge without restarting the hub.
import { accessSync, constants } from 'node:fs';
import { isAbsolute } from 'node:path';
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
  /** Paths on the hub of PEM files for mqtts:// (CA, client certificate, client key). */
  ca?: string;
  cert?: string;
  key?: string;
}

interface Stored extends Omit<MqttInput, 'password'> {
  passwordRef?: string;
}

export class MqttFeature implements HubExtension {
  readonly name = 'mqtt';
  private hub?: Hub;
  private bridge?: MqttBridge;
  private source: 'stored' | 'environment' | 'none' = 'none';
  private stored?: Stored;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async start(hub: Hub): Promise<void> {
    this.hub = hub;
    hub.services.mqtt = this;
    const settings = await this.effectiveSettings();
    if (settings) await this.run(settings);
  }

  private async effectiveSettings(): Promise<MqttSettings | undefined> {
    const stored = await this.hub!.store.kv.get<Stored>(NS, KEY);
    this.stored = stored ?? undefined;
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
        ...(stored.ca ? { WARREN_MQTT_CA: stored.ca } : {}),
        ...(stored.cert ? { WARREN_MQTT_CERT: stored.cert } : {}),
        ...(stored.key ? { WARREN_MQTT_KEY: stored.key } : {}),
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
    const common = { source: this.source, environment: Boolean(this.env.WARREN_MQTT_URL?.trim()), ...(this.stored ? { settings: this.redacted(this.stored) } : {}) };
    if (!this.bridge) {
      return { enabled: false, ...common, hint: 'Configure a broker: PUT /api/mqtt, `warren mqtt set --url mqtt://host:1883`, or WARREN_MQTT_URL.' };
    }
    return { enabled: true, ...common, ...this.bridge.status() };
  }

  /** The stored settings as a form shows them: the password only as whether one is kept. */
  private redacted(s: Stored): Record<string, unknown> {
    const { passwordRef, url, ...rest } = s;
    let shown = url;
    try {
      if (url && new URL(url).password) shown = Object.assign(new URL(url), { password: '****' }).toString();
    } catch {
      // not a URL: shown as stored
    }
    return { ...rest, ...(shown ? { url: shown } : {}), passwordSet: Boolean(passwordRef) };
  }

  /** Validates and stores new settings (a password left out keeps the stored one), then reconnects. */
  async configure(input: MqttInput): Promise<Record<string, unknown>> {
    const hub = this.hub!;
    if (typeof input.enabled !== 'boolean') {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', '"enabled" must be true or false', { details: [{ path: '/enabled', message: 'must be a boolean' }] });
    }
    // TLS files are checked before anything is kept.
    const files: Pick<Stored, 'ca' | 'cert' | 'key'> = {};
    for (const f of ['ca', 'cert', 'key'] as const) {
      const file = input[f];
      if (file === undefined || file === '') continue;
      if (typeof file !== 'string' || !isAbsolute(file)) {
        throw new WarrenError('WARREN_ERR_INVALID_INPUT', `"${f}" must be the absolute path of a PEM file on the hub`, { details: [{ path: `/${f}`, message: 'must be an absolute path' }] });
      }
      try {
        accessSync(file, constants.R_OK);
      } catch {
        throw new WarrenError('WARREN_ERR_INVALID_INPUT', `the hub cannot read ${file}`, { details: [{ path: `/${f}`, message: 'not found or not readable by the hub' }], hint: 'Give a path on the machine the hub runs on, readable by its user.' });
      }
      files[f] = file;
    }
    const previous = await hub.store.kv.get<Stored>(NS, KEY);
    let passwordRef = previous?.passwordRef;
    if (input.password === '' && passwordRef) {
      // An empty password forgets the stored one.
      await hub.store.secrets.delete(passwordRef);
      passwordRef = undefined;
    } else if (typeof input.password === 'string' && input.password !== '') {
      if (passwordRef) await hub.store.secrets.replace(passwordRef, input.password);
      else passwordRef = await hub.store.secrets.put(input.password);
    }
    // A URL sent back as shown (its password masked) keeps the stored one.
    const url = input.url?.includes(':****@') && previous?.url ? previous.url : input.url;
    const stored: Stored = {
      enabled: input.enabled,
      ...(url ? { url } : {}),
      ...(input.username ? { username: input.username } : {}),
      ...(input.clientId ? { clientId: input.clientId } : {}),
      ...(input.prefix ? { prefix: input.prefix } : {}),
      ...(input.discoveryPrefix ? { discoveryPrefix: input.discoveryPrefix } : {}),
      ...(input.acl ? { acl: input.acl } : {}),
      ...(passwordRef ? { passwordRef } : {}),
    };
    Object.assign(stored, files);
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
