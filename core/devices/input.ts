// What a person gives to add or test a device, validated with every error's path, and how it maps
// onto provider instances: the engine (docker-host or podman-host), the engine's metrics, and a host
// metrics source (ssh-procfs, node-exporter, or this machine's /proc for a local socket).
import AjvModule, { type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { WarrenError } from '../errors.js';
import { ajvErrorsToDetails } from '../plugin/config.js';

// ajv and ajv-formats are CommonJS with a default export; under ESM the constructor sits on .default.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as typeof AjvModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as typeof addFormatsModule.default;

export type EngineKind = 'docker' | 'podman';

export interface SshDetails {
  host: string;
  port?: number;
  username: string;
  privateKey: string;
  passphrase?: string;
  hostKeyFingerprint?: string;
}

export type ConnectionInput =
  | { type: 'socket'; socketPath: string }
  | { type: 'tcp'; host: string; port: number; tls: { ca: string; cert: string; key: string } }
  | { type: 'ssh'; host: string; port?: number; username: string; privateKey: string; passphrase?: string; socketPath?: string };

export interface DeviceInput {
  name: string;
  engine: EngineKind;
  connection: ConnectionInput;
  /** SSH login for reading /proc when the engine is reached another way (an SSH connection is used as is). */
  ssh?: SshDetails;
  nodeExporterUrl?: string;
  /** A local image with sh and test for the engine's probe containers (nothing can be pulled offline). */
  helperImage?: string;
  labels: Record<string, string>;
  reserve: { memoryBytes?: number; diskBytes?: number };
}

const str = { type: 'string', minLength: 1 } as const;
const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const absPath = { type: 'string', pattern: '^/' } as const;

const connectionSchema = {
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  oneOf: [
    {
      properties: { type: { const: 'socket' }, socketPath: absPath },
      required: ['type', 'socketPath'],
      additionalProperties: false,
    },
    {
      properties: {
        type: { const: 'tcp' },
        host: str,
        port,
        tls: {
          type: 'object',
          properties: { ca: str, cert: str, key: str },
          required: ['ca', 'cert', 'key'],
          additionalProperties: false,
        },
      },
      required: ['type', 'host', 'port', 'tls'],
      additionalProperties: false,
    },
    {
      properties: { type: { const: 'ssh' }, host: str, port, username: str, privateKey: str, passphrase: { type: 'string' }, socketPath: absPath },
      required: ['type', 'host', 'username', 'privateKey'],
      additionalProperties: false,
    },
  ],
};

const deviceSchema = {
  type: 'object',
  required: ['name', 'connection'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[^\\s/][^/]*$' },
    engine: { enum: ['docker', 'podman'], default: 'docker' },
    connection: connectionSchema,
    ssh: {
      type: 'object',
      required: ['host', 'username', 'privateKey'],
      additionalProperties: false,
      properties: {
        host: str,
        port,
        username: str,
        privateKey: str,
        passphrase: { type: 'string' },
        hostKeyFingerprint: { type: 'string', pattern: '^SHA256:[A-Za-z0-9+/]{43}$' },
      },
    },
    nodeExporterUrl: { type: 'string', format: 'uri', pattern: '^https?://' },
    helperImage: str,
    labels: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    reserve: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { memoryBytes: { type: 'number', minimum: 0 }, diskBytes: { type: 'number', minimum: 0 } },
    },
  },
};

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, discriminator: true });
addFormats(ajv);
const validateDevice = ajv.compile(deviceSchema);
// "Test connection" needs no name: nothing is saved.
const validateTest = ajv.compile({ ...deviceSchema, required: ['connection'] });

function check(validate: ValidateFunction, input: unknown): DeviceInput {
  const copy = structuredClone(input ?? {}) as Record<string, unknown>;
  if (!validate(copy)) {
    const details = ajvErrorsToDetails(validate.errors);
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `the device is not valid (${details.length} problem${details.length === 1 ? '' : 's'})`, {
      details,
      hint: 'A device needs a name, an engine (docker or podman) and a connection: socket, tcp with tls, or ssh.',
    });
  }
  return copy as unknown as DeviceInput;
}

export const parseDeviceInput = (input: unknown): DeviceInput => check(validateDevice, input);
export const parseTestInput = (input: unknown): DeviceInput => check(validateTest, { name: 'test', ...(input as object) });

export const ENGINE_PLUGINS: Record<EngineKind, { plugin: string; provider: string }> = {
  docker: { plugin: '@warren/docker-host', provider: 'docker' },
  podman: { plugin: '@warren/podman-host', provider: 'podman' },
};

/** The provider instance configuration for the engine (and its engine-metrics twin). */
export function engineConfig(input: Pick<DeviceInput, 'connection' | 'helperImage'>): Record<string, unknown> {
  return { connection: structuredClone(input.connection), ...(input.helperImage ? { helperImage: input.helperImage } : {}) };
}

export type HostSourcePlan =
  | { kind: 'node-exporter'; plugin: string; provider: string; config: Record<string, unknown> }
  | { kind: 'ssh-procfs'; plugin: string; provider: string; config: Record<string, unknown> }
  | { kind: 'local' }
  | { kind: 'none' };

/**
 * Where host figures (CPU, memory, disk, load) come from. An exporter URL is an explicit choice and
 * wins; otherwise SSH (given, or the engine's own SSH login) reads /proc; a local socket means this
 * machine, whose /proc the hub reads itself; a TCP engine alone gives only container figures.
 */
export function hostSourcePlan(input: Pick<DeviceInput, 'connection' | 'ssh' | 'nodeExporterUrl'>): HostSourcePlan {
  if (input.nodeExporterUrl) {
    return { kind: 'node-exporter', plugin: '@warren/node-exporter', provider: 'node-exporter', config: { url: input.nodeExporterUrl } };
  }
  const c = input.connection;
  const ssh: SshDetails | undefined =
    input.ssh ??
    (c.type === 'ssh'
      ? { host: c.host, ...(c.port ? { port: c.port } : {}), username: c.username, privateKey: c.privateKey, ...(c.passphrase ? { passphrase: c.passphrase } : {}) }
      : undefined);
  if (ssh) return { kind: 'ssh-procfs', plugin: '@warren/ssh-procfs', provider: 'ssh-procfs', config: { ...ssh } };
  if (c.type === 'socket') return { kind: 'local' };
  return { kind: 'none' };
}

/** The connection as kept in the device row and shown to people: where, never a key. */
export function publicConnection(input: Pick<DeviceInput, 'connection' | 'ssh' | 'nodeExporterUrl'>): Record<string, unknown> {
  const c = input.connection;
  const engine =
    c.type === 'socket'
      ? { type: 'socket', socketPath: c.socketPath }
      : c.type === 'tcp'
        ? { type: 'tcp', host: c.host, port: c.port, tls: true }
        : { type: 'ssh', host: c.host, port: c.port ?? 22, username: c.username, ...(c.socketPath ? { socketPath: c.socketPath } : {}) };
  const plan = hostSourcePlan(input);
  const metrics =
    plan.kind === 'node-exporter'
      ? { source: 'node-exporter', url: input.nodeExporterUrl }
      : plan.kind === 'ssh-procfs'
        ? { source: 'ssh-procfs', host: plan.config.host, port: plan.config.port ?? 22, username: plan.config.username }
        : { source: plan.kind };
  return { ...engine, metrics };
}

/** A device id from its name: lower-case letters, digits and dashes, short enough for instance ids. */
export function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return s || 'device';
}

export const instanceIds = (deviceId: string) => ({
  engine: `device-${deviceId}`,
  engineMetrics: `device-${deviceId}-engine-metrics`,
  host: `device-${deviceId}-host`,
});
