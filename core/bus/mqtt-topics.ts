/**
 * The MQTT topic tree and its payloads, in one typed map, and Home Assistant discovery configs.
 * Pure: no connection here. Payloads carry no secrets; they are built from bus events, which never do.
 *
 * | topic (prefix `warren`)                 | retained | payload |
 * | --------------------------------------- | -------- | ------- |
 * | `warren/status`                         | yes (also the last will) | `online` \| `offline` |
 * | `warren/summary`                        | yes | JSON: the fleet summary (GET /api/summary) |
 * | `warren/devices/<id>/availability`      | yes | `online` \| `offline` |
 * | `warren/devices/<id>/metrics`           | yes | JSON {@link DeviceMetricsPayload} |
 * | `warren/apps/<id>/state`                | yes | JSON {@link AppStatePayload} |
 * | `warren/events/<domain>/<type>`         | no  | JSON `{ type, at, payload }` |
 * | `warren/operations/<id>`                | no  | JSON {@link OperationPayload} |
 * | `warren/request/<client>/<action>`      | —   | JSON `{ transaction?, timestamp?, ...args }` (from clients) |
 * | `warren/response/<client>/<action>`     | no  | JSON {@link CommandResponse} |
 */
export type Availability = 'online' | 'offline';

export interface DeviceMetricsPayload {
  at: number;
  ramUsedBytes: number | null;
  ramTotalBytes: number | null;
  /** 0..100 */
  cpuPercent: number | null;
  storageAvailableBytes: number | null;
  load1: number | null;
}

export interface AppStatePayload {
  status: string;
  device: string | null;
  message: string | null;
  at: number;
}

export interface OperationPayload {
  operation: string;
  kind: string;
  target: string;
  state: 'running' | 'done' | 'failed' | 'rolled_back';
  step?: string;
  message?: string;
  fraction?: number;
  error?: { code: string; message: string };
}

export type CommandAction = 'install' | 'start' | 'stop' | 'restart' | 'remove' | 'place';
export const COMMAND_ACTIONS: readonly CommandAction[] = ['install', 'start', 'stop', 'restart', 'remove', 'place'];

export type CommandResponse =
  | { status: 'ok'; transaction: string | null; data: unknown }
  | { status: 'accepted'; transaction: string | null; data: { operation: string; [k: string]: unknown } }
  | { status: 'error'; transaction: string | null; error: { code: string; message: string } };

export interface TopicPayloads {
  status: Availability;
  summary: Record<string, unknown>;
  deviceAvailability: Availability;
  deviceMetrics: DeviceMetricsPayload;
  appState: AppStatePayload;
  event: { type: string; at: number; payload: unknown };
  operation: OperationPayload;
  response: CommandResponse;
}

/** MQTT topic levels may not contain `+`, `#` or `/`; ids are already tame, this keeps it so. */
const level = (s: string) => s.replace(/[+#/\u0000]/g, '_');

export function topics(prefix: string) {
  return {
    status: `${prefix}/status`,
    summary: `${prefix}/summary`,
    deviceAvailability: (id: string) => `${prefix}/devices/${level(id)}/availability`,
    deviceMetrics: (id: string) => `${prefix}/devices/${level(id)}/metrics`,
    appState: (id: string) => `${prefix}/apps/${level(id)}/state`,
    event: (type: string) => {
      const [domain, ...rest] = type.split('.');
      return `${prefix}/events/${level(domain)}/${level(rest.join('.') || domain)}`;
    },
    operation: (id: string) => `${prefix}/operations/${level(id)}`,
    requests: `${prefix}/request/+/+`,
    response: (client: string, action: string) => `${prefix}/response/${level(client)}/${level(action)}`,
  };
}

/** Splits `warren/request/<client>/<action>`; undefined for anything else. */
export function parseRequestTopic(prefix: string, topic: string): { client: string; action: string } | undefined {
  const parts = topic.split('/');
  const pre = prefix.split('/');
  if (parts.length !== pre.length + 3 || pre.some((p, i) => parts[i] !== p) || parts[pre.length] !== 'request') return undefined;
  return { client: parts[pre.length + 1], action: parts[pre.length + 2] };
}

// ---- Home Assistant MQTT discovery ------------------------------------------------------------

export interface DiscoveryMessage {
  topic: string;
  /** The config; `null` removes the entity (an empty retained payload). */
  config: Record<string, unknown> | null;
}

interface DiscoveryOptions {
  prefix: string;
  discoveryPrefix: string;
  hubVersion: string;
}

const ORIGIN = (version: string) => ({ name: 'Warren', sw_version: version, support_url: 'https://github.com/warren-homelab/warren' });
const objectId = (...parts: string[]) => parts.join('_').toLowerCase().replace(/[^a-z0-9_]/g, '_');

function hubDevice(o: DiscoveryOptions) {
  return { identifiers: ['warren_hub'], name: 'Warren', manufacturer: 'Warren', model: 'Homelab hub', sw_version: o.hubVersion };
}

/** The sensors of one homelab device. Each lists the hub's and the device's availability: both must be online. */
export function deviceDiscovery(o: DiscoveryOptions, device: { id: string; name: string; engine?: string | null; arch?: string | null }): DiscoveryMessage[] {
  const t = topics(o.prefix);
  const dev = {
    identifiers: [`warren_device_${objectId(device.id)}`],
    name: device.name,
    manufacturer: 'Warren',
    model: [device.engine, device.arch].filter(Boolean).join(' ') || 'device',
    via_device: 'warren_hub',
  };
  const availability = [
    { topic: t.status, payload_available: 'online', payload_not_available: 'offline' },
    { topic: t.deviceAvailability(device.id), payload_available: 'online', payload_not_available: 'offline' },
  ];
  const sensor = (key: string, name: string, extra: Record<string, unknown>): DiscoveryMessage => {
    const id = objectId('warren', device.id, key);
    return {
      topic: `${o.discoveryPrefix}/sensor/${id}/config`,
      config: {
        name,
        unique_id: id,
        object_id: id,
        state_topic: t.deviceMetrics(device.id),
        availability,
        availability_mode: 'all',
        device: dev,
        origin: ORIGIN(o.hubVersion),
        ...extra,
      },
    };
  };
  const connectivityId = objectId('warren', device.id, 'online');
  return [
    sensor('ram_used', 'RAM used', {
      device_class: 'data_size', state_class: 'measurement', unit_of_measurement: 'MiB', suggested_display_precision: 0,
      value_template: '{{ (value_json.ramUsedBytes / 1048576) | round(1) if value_json.ramUsedBytes is not none else none }}',
    }),
    sensor('cpu', 'CPU', {
      state_class: 'measurement', unit_of_measurement: '%', suggested_display_precision: 1, icon: 'mdi:cpu-64-bit',
      value_template: '{{ value_json.cpuPercent | round(1) if value_json.cpuPercent is not none else none }}',
    }),
    sensor('storage_available', 'Storage available', {
      device_class: 'data_size', state_class: 'measurement', unit_of_measurement: 'GiB', suggested_display_precision: 1,
      value_template: '{{ (value_json.storageAvailableBytes / 1073741824) | round(2) if value_json.storageAvailableBytes is not none else none }}',
    }),
    {
      // Connectivity is the device's own availability, so it must stay available while the hub is up
      // to be able to say "off": it lists only the hub's status topic.
      topic: `${o.discoveryPrefix}/binary_sensor/${connectivityId}/config`,
      config: {
        name: 'Online',
        unique_id: connectivityId,
        object_id: connectivityId,
        device_class: 'connectivity',
        state_topic: t.deviceAvailability(device.id),
        payload_on: 'online',
        payload_off: 'offline',
        availability: [availability[0]],
        device: dev,
        origin: ORIGIN(o.hubVersion),
      },
    },
  ];
}

export const APP_STATES = ['installing', 'running', 'partial', 'stopped', 'failed', 'missing', 'removing', 'unknown'];

export function appDiscovery(o: DiscoveryOptions, app: { id: string; title?: string; device?: string | null }): DiscoveryMessage[] {
  const t = topics(o.prefix);
  const id = objectId('warren', 'app', app.id, 'state');
  return [
    {
      topic: `${o.discoveryPrefix}/sensor/${id}/config`,
      config: {
        name: 'State',
        unique_id: id,
        object_id: id,
        device_class: 'enum',
        options: APP_STATES,
        state_topic: t.appState(app.id),
        value_template: `{{ value_json.status if value_json.status in ${JSON.stringify(APP_STATES)} else 'unknown' }}`,
        json_attributes_topic: t.appState(app.id),
        availability: [{ topic: t.status, payload_available: 'online', payload_not_available: 'offline' }],
        device: {
          identifiers: [`warren_app_${objectId(app.id)}`],
          name: app.title ? `${app.title} (${app.id})` : app.id,
          manufacturer: 'Warren',
          model: 'App',
          via_device: app.device ? `warren_device_${objectId(app.device)}` : 'warren_hub',
        },
        origin: ORIGIN(o.hubVersion),
      },
    },
  ];
}

export function hubDiscovery(o: DiscoveryOptions): DiscoveryMessage[] {
  const t = topics(o.prefix);
  const sensor = (key: string, name: string, template: string, extra: Record<string, unknown> = {}): DiscoveryMessage => {
    const id = objectId('warren', 'hub', key);
    return {
      topic: `${o.discoveryPrefix}/sensor/${id}/config`,
      config: {
        name, unique_id: id, object_id: id, state_topic: t.summary, value_template: template, state_class: 'measurement',
        availability: [{ topic: t.status, payload_available: 'online', payload_not_available: 'offline' }],
        device: hubDevice(o), origin: ORIGIN(o.hubVersion), ...extra,
      },
    };
  };
  return [
    sensor('devices_online', 'Devices online', '{{ value_json.devices.fresh + value_json.devices.stale }}', { icon: 'mdi:server-network' }),
    sensor('ram_used', 'RAM used', '{{ (value_json.memory.usedBytes / 1073741824) | round(2) }}', { device_class: 'data_size', unit_of_measurement: 'GiB' }),
    sensor('ram_saved_by_pooling', 'RAM saved by pooling', '{{ ((value_json.pooling.bytes if value_json.pooling else 0) / 1048576) | round(0) }}', { device_class: 'data_size', unit_of_measurement: 'MiB' }),
  ];
}

/** Removal: an empty retained config for each entity a device or app had. */
export function removal(messages: DiscoveryMessage[]): DiscoveryMessage[] {
  return messages.map((m) => ({ topic: m.topic, config: null }));
}

/** The metrics payload from a `device.metrics` bus event. */
export function deviceMetricsPayload(e: { at: number; ramUsedBytes?: number; ramTotalBytes?: number; cpu?: number; storageAvailableBytes?: number; load1?: number }): DeviceMetricsPayload {
  return {
    at: e.at,
    ramUsedBytes: e.ramUsedBytes ?? null,
    ramTotalBytes: e.ramTotalBytes ?? null,
    cpuPercent: e.cpu === undefined ? null : Math.round(e.cpu * 1000) / 10,
    storageAvailableBytes: e.storageAvailableBytes ?? null,
    load1: e.load1 ?? null,
  };
}
