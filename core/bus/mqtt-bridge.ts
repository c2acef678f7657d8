// The MQTT bridge: hub state and events onto a real broker (mqtt.js), Home Assistant discovery, and
// commands from automations. It never delays the hub: it connects in the background, reconnects with
// backoff, and republishes retained state on every (re)connect and when Home Assistant comes online.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { describeError, WarrenError } from '../errors.js';
import type { Hub, HubExtension } from '../hub.js';
import {
  appDiscovery,
  COMMAND_ACTIONS,
  deviceDiscovery,
  deviceMetricsPayload,
  hubDiscovery,
  parseRequestTopic,
  removal,
  topics,
  type CommandAction,
  type CommandResponse,
  type DiscoveryMessage,
  type OperationPayload,
  type TopicPayloads,
} from './mqtt-topics.js';

export interface MqttSettings {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  ca?: string;
  cert?: string;
  key?: string;
  prefix: string;
  discoveryPrefix: string;
  /** Which clients may run which actions; none by default. */
  acl: Record<string, CommandAction[] | '*'>;
  commandMaxAgeSeconds: number;
}

export function mqttSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): MqttSettings | undefined {
  const url = env.WARREN_MQTT_URL?.trim();
  if (!url) return undefined;
  if (!/^(mqtts?|wss?|tcp|ssl):\/\//.test(url)) {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `WARREN_MQTT_URL "${url}" is not an MQTT URL`, { details: [{ path: '/env/WARREN_MQTT_URL', message: 'must start with mqtt://, mqtts://, ws:// or wss://' }], hint: 'e.g. mqtt://homeassistant.lan:1883' });
  }
  let acl: MqttSettings['acl'] = {};
  if (env.WARREN_MQTT_ACL) {
    try {
      acl = JSON.parse(env.WARREN_MQTT_ACL) as MqttSettings['acl'];
    } catch (e) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `WARREN_MQTT_ACL is not valid JSON: ${(e as Error).message}`, { details: [{ path: '/env/WARREN_MQTT_ACL', message: 'e.g. {"homeassistant": ["start","stop"], "nodered": "*"}' }] });
    }
  }
  for (const [client, actions] of Object.entries(acl)) {
    if (actions !== '*' && (!Array.isArray(actions) || actions.some((a) => !COMMAND_ACTIONS.includes(a)))) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `WARREN_MQTT_ACL: client "${client}" must map to "*" or a list of ${COMMAND_ACTIONS.join(', ')}`, { details: [{ path: `/env/WARREN_MQTT_ACL/${client}`, message: 'unknown action' }] });
    }
  }
  return {
    url,
    username: env.WARREN_MQTT_USERNAME || undefined,
    password: env.WARREN_MQTT_PASSWORD || undefined,
    clientId: env.WARREN_MQTT_CLIENT_ID || `warren-${hostname()}`,
    ca: env.WARREN_MQTT_CA || undefined,
    cert: env.WARREN_MQTT_CERT || undefined,
    key: env.WARREN_MQTT_KEY || undefined,
    prefix: (env.WARREN_MQTT_PREFIX || 'warren').replace(/\/+$/, ''),
    discoveryPrefix: (env.WARREN_MQTT_DISCOVERY_PREFIX || 'homeassistant').replace(/\/+$/, ''),
    acl,
    commandMaxAgeSeconds: Number(env.WARREN_MQTT_COMMAND_MAX_AGE_SECONDS ?? 60),
  };
}

const MAX_REMEMBERED_TRANSACTIONS = 500;

interface AppsLike {
  list(): Promise<{ id: string; title?: string; catalogId?: string; device?: string | null; status: string }[]>;
  install(req: { catalogId: string; device?: string; inputs?: Record<string, unknown>; force?: boolean }): Promise<{ operation: string; app: string; device: string }>;
  start(id: string): Promise<unknown>;
  stop(id: string): Promise<unknown>;
  restart(id: string): Promise<unknown>;
  remove(id: string, opts?: { removeData?: boolean }): Promise<unknown>;
  manifest(catalogId: string): unknown;
  requirements(manifest: never): unknown;
  place(requirements: never): Promise<unknown>;
}

interface DevicesLike {
  list(): Promise<{ id: string; name: string; engine: string | null; arch: string | null; online: boolean }[]>;
}

export class MqttBridge implements HubExtension {
  readonly name = 'mqtt';
  private client?: MqttClient;
  private hub?: Hub;
  private attempts = 0;
  private connected = false;
  private readonly t: ReturnType<typeof topics>;
  /** Discovery configs published per device/app, so removal can empty exactly those. */
  private readonly published = new Map<string, DiscoveryMessage[]>();
  private readonly answered = new Map<string, Promise<CommandResponse>>();
  private lastError?: string;

  constructor(private readonly settings: MqttSettings) {
    this.t = topics(settings.prefix);
  }

  status(): { connected: boolean; url: string; prefix: string; discoveryPrefix: string; clientId: string; lastError?: string } {
    return {
      connected: this.connected,
      url: redactUrl(this.settings.url),
      prefix: this.settings.prefix,
      discoveryPrefix: this.settings.discoveryPrefix,
      clientId: this.settings.clientId,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  async start(hub: Hub): Promise<void> {
    this.hub = hub;
    hub.services.mqtt ??= this;
    const s = this.settings;
    const opts: IClientOptions = {
      clientId: s.clientId,
      username: s.username,
      password: s.password,
      clean: true,
      // MQTT 5, so that subscriptions can ask for "retain as published" and a retained command is
      // recognised even when it arrives live.
      protocolVersion: 5,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      will: { topic: this.t.status, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(s.ca ? { ca: readFileSync(s.ca) } : {}),
      ...(s.cert ? { cert: readFileSync(s.cert) } : {}),
      ...(s.key ? { key: readFileSync(s.key) } : {}),
    };
    const client = mqtt.connect(s.url, opts);
    this.client = client;
    client.on('connect', () => {
      this.attempts = 0;
      this.connected = true;
      this.lastError = undefined;
      client.options.reconnectPeriod = 1000;
      hub.logger.info({ broker: redactUrl(s.url) }, 'MQTT connected');
      void this.onConnect().catch((e) => hub.logger.warn({ err: e }, 'MQTT: republishing state failed'));
    });
    client.on('close', () => {
      if (this.connected) hub.logger.warn('MQTT connection lost; reconnecting with backoff');
      this.connected = false;
      // Back off: 1 s, 2 s, 4 s ... up to a minute between attempts.
      this.attempts++;
      client.options.reconnectPeriod = Math.min(60_000, 1000 * 2 ** Math.min(this.attempts, 6));
    });
    client.on('error', (e) => {
      this.lastError = e.message;
      hub.logger.warn({ broker: redactUrl(s.url), error: e.message }, 'MQTT error');
    });
    client.on('message', (topic, payload, packet) => void this.onMessage(topic, payload, packet.retain).catch((e) => hub.logger.error({ err: e }, 'MQTT message handling failed')));

    const bus = hub.bus.owned('mqtt');
    bus.on('device.metrics', (e) => this.publish(this.t.deviceMetrics(e.device), deviceMetricsPayload(e), true));
    bus.on('device.state', (e) => this.publish(this.t.deviceAvailability(e.device), e.state === 'offline' ? 'offline' : 'online', true));
    bus.on('device.added', () => void this.publishDevices());
    bus.on('device.updated', () => void this.publishDevices());
    bus.on('device.removed', (e) => this.forget(`device:${e.device}`, [this.t.deviceAvailability(e.device), this.t.deviceMetrics(e.device)]));
    bus.on('summary.updated', (e) => this.publish(this.t.summary, e.summary, true));
    bus.on('app.state', (e) => {
      this.publish(this.t.appState(e.app), { status: e.status, device: e.device ?? null, message: e.message ?? null, at: Date.now() }, true);
      if (!this.published.has(`app:${e.app}`)) void this.publishApps();
    });
    bus.on('app.removed', (e) => this.forget(`app:${e.app}`, [this.t.appState(e.app)]));
    bus.on('operation.progress', (e) => this.publish(this.t.operation(e.operation), { operation: e.operation, kind: e.kind, target: e.target, state: 'running', step: e.step, message: e.message, ...(e.fraction !== undefined ? { fraction: e.fraction } : {}) }, false));
    bus.on('operation.finished', (e) => this.publish(this.t.operation(e.operation), { operation: e.operation, kind: e.kind, target: e.target, state: e.state, ...(e.error ? { error: e.error } : {}) }, false));
    bus.onAny((payload, type) => {
      if (type === 'device.metrics' || type === 'summary.updated' || type === 'operation.progress') return;
      this.publish(this.t.event(type), { type, at: Date.now(), payload }, false);
    });
  }

  private publish<K extends keyof TopicPayloads>(topic: string, payload: TopicPayloads[K] | string | Record<string, unknown>, retain: boolean): void {
    if (!this.client || !this.connected) return;
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    this.client.publish(topic, body, { qos: 1, retain });
  }

  private publishDiscovery(messages: DiscoveryMessage[]): void {
    for (const m of messages) this.client?.publish(m.topic, m.config ? JSON.stringify(m.config) : '', { qos: 1, retain: true });
  }

  /** Empties the retained discovery configs and state topics of a removed device or app. */
  private forget(key: string, stateTopics: string[]): void {
    const messages = this.published.get(key);
    if (messages && this.connected) this.publishDiscovery(removal(messages));
    this.published.delete(key);
    for (const topic of stateTopics) this.client?.publish(topic, '', { qos: 1, retain: true });
  }

  private async publishDevices(): Promise<void> {
    const devices = this.hub?.services.devices as DevicesLike | undefined;
    if (!devices || !this.connected) return;
    const o = this.discoveryOptions();
    for (const d of await devices.list()) {
      const messages = deviceDiscovery(o, d);
      this.published.set(`device:${d.id}`, messages);
      this.publishDiscovery(messages);
      this.publish(this.t.deviceAvailability(d.id), d.online ? 'online' : 'offline', true);
    }
  }

  private async publishApps(): Promise<void> {
    const apps = this.hub?.services.apps as AppsLike | undefined;
    if (!apps || !this.connected) return;
    const o = this.discoveryOptions();
    for (const a of await apps.list()) {
      const messages = appDiscovery(o, { id: a.id, title: a.title, device: a.device });
      this.published.set(`app:${a.id}`, messages);
      this.publishDiscovery(messages);
      this.publish(this.t.appState(a.id), { status: a.status, device: a.device ?? null, message: null, at: Date.now() }, true);
    }
  }

  private discoveryOptions() {
    return { prefix: this.settings.prefix, discoveryPrefix: this.settings.discoveryPrefix, hubVersion: this.hub!.version };
  }

  /** Everything retained, again: after a (re)connect, and when Home Assistant announces itself. */
  async republish(): Promise<void> {
    if (!this.connected || !this.hub) return;
    this.publish(this.t.status, 'online', true);
    this.publishDiscovery(hubDiscovery(this.discoveryOptions()));
    await this.publishDevices();
    await this.publishApps();
    const metrics = this.hub.services.metrics as { summary(): Promise<{ summary: unknown }> } | undefined;
    if (metrics) this.publish(this.t.summary, (await metrics.summary()).summary as Record<string, unknown>, true);
  }

  private async onConnect(): Promise<void> {
    await this.client!.subscribeAsync([this.t.requests, `${this.settings.discoveryPrefix}/status`], { qos: 1, rap: true });
    await this.republish();
  }

  private async onMessage(topic: string, payload: Buffer, retained: boolean): Promise<void> {
    if (topic === `${this.settings.discoveryPrefix}/status`) {
      if (payload.toString() === 'online') {
        // Home Assistant restarted: give it a moment to subscribe, then send discovery and state again.
        setTimeout(() => void this.republish().catch(() => {}), 1000 + Math.random() * 1000).unref();
      }
      return;
    }
    const req = parseRequestTopic(this.settings.prefix, topic);
    if (!req) return;
    const log = this.hub!.logger;
    if (retained) {
      log.warn({ topic }, 'MQTT: retained command ignored (commands must not be retained)');
      return;
    }
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse(payload.toString() || '{}') as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      this.respond(req.client, req.action, { status: 'error', transaction: null, error: { code: 'WARREN_ERR_INVALID_INPUT', message: 'the command payload must be a JSON object' } });
      return;
    }
    const transaction = typeof body.transaction === 'string' || typeof body.transaction === 'number' ? String(body.transaction) : null;
    const sentAt = typeof body.timestamp === 'number' ? body.timestamp : typeof body.timestamp === 'string' ? Date.parse(body.timestamp) : undefined;
    if (sentAt !== undefined && Number.isFinite(sentAt) && Date.now() - sentAt > this.settings.commandMaxAgeSeconds * 1000) {
      log.warn({ topic, transaction, ageSeconds: Math.round((Date.now() - sentAt) / 1000) }, 'MQTT: expired command ignored');
      return;
    }
    const key = transaction === null ? undefined : `${req.client}\u0000${req.action}\u0000${transaction}`;
    const earlier = key ? this.answered.get(key) : undefined;
    if (earlier) {
      this.respond(req.client, req.action, await earlier);
      return;
    }
    const answer = this.execute(req.client, req.action, body, transaction);
    if (key) {
      this.answered.set(key, answer);
      while (this.answered.size > MAX_REMEMBERED_TRANSACTIONS) this.answered.delete(this.answered.keys().next().value!);
    }
    this.respond(req.client, req.action, await answer);
  }

  private respond(client: string, action: string, response: CommandResponse): void {
    this.publish(this.t.response(client, action), response as unknown as Record<string, unknown>, false);
  }

  private async execute(client: string, action: string, body: Record<string, unknown>, transaction: string | null): Promise<CommandResponse> {
    try {
      if (!COMMAND_ACTIONS.includes(action as CommandAction)) {
        throw new WarrenError('WARREN_ERR_NOT_FOUND', `unknown action "${action}"`, { hint: `actions: ${COMMAND_ACTIONS.join(', ')}` });
      }
      const allowed = this.settings.acl[client];
      if (!allowed || (allowed !== '*' && !allowed.includes(action as CommandAction))) {
        throw new WarrenError('WARREN_ERR_FORBIDDEN', `client "${client}" may not run "${action}"`, { hint: 'Allow it in WARREN_MQTT_ACL.' });
      }
      const apps = this.hub!.services.apps as AppsLike | undefined;
      if (!apps) throw new WarrenError('WARREN_ERR_NOT_READY', 'apps are not available yet');
      const app = body.app;
      if (typeof app !== 'string' || !app) {
        throw new WarrenError('WARREN_ERR_INVALID_INPUT', `"${action}" needs { "app": "<id>" }`, { details: [{ path: '/app', message: 'is required' }] });
      }
      this.hub!.logger.info({ client, action, app, transaction }, 'MQTT command');
      switch (action as CommandAction) {
        case 'place': {
          const manifest = apps.manifest(app) as never;
          return { status: 'ok', transaction, data: await apps.place(apps.requirements(manifest) as never) };
        }
        case 'install': {
          const r = await apps.install({
            catalogId: app,
            ...(typeof body.device === 'string' ? { device: body.device } : {}),
            ...(body.inputs && typeof body.inputs === 'object' ? { inputs: body.inputs as Record<string, unknown> } : {}),
          });
          return { status: 'accepted', transaction, data: { operation: r.operation, app: r.app, device: r.device } };
        }
        case 'remove': {
          const r = (await apps.remove(app, { removeData: body.removeData === true })) as { operation?: string };
          return r?.operation ? { status: 'accepted', transaction, data: { operation: r.operation, app } } : { status: 'ok', transaction, data: r };
        }
        default: {
          const r = (await apps[action as 'start' | 'stop' | 'restart'](app)) as { operation?: string };
          return r?.operation ? { status: 'accepted', transaction, data: { operation: r.operation, app } } : { status: 'ok', transaction, data: r ?? null };
        }
      }
    } catch (e) {
      const d = describeError(e);
      return { status: 'error', transaction, error: { code: d.code, message: d.message } };
    }
  }

  async stop(): Promise<void> {
    this.hub?.bus.releaseOwner('mqtt');
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (this.connected) {
      // A clean goodbye: the retained status says offline (the will covers the unclean case).
      await client.publishAsync(this.t.status, 'offline', { qos: 1, retain: true }).catch(() => {});
    }
    this.connected = false;
    await client.endAsync().catch(() => {});
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return url;
  }
}
