// The JSON Schema of an app manifest: the Compose subset Warren can deploy, plus the `x-warren` block.
// Keys Warren cannot honour are refused rather than silently ignored, so that an author never
// believes a setting applies when it does not; importers strip them and report what they dropped.
import { ARCHITECTURES, SECRET_CHARSETS } from './types.js';

const stringOrNumber = { type: ['string', 'number'] };
const stringList = { type: 'array', items: { type: 'string' } };
const scalar = { type: ['string', 'number', 'boolean', 'null'] };
const listOrMap = {
  oneOf: [stringList, { type: 'object', additionalProperties: scalar }],
};
const extensions = { '^x-': {} };

const serviceProperties = {
  image: { type: 'string', minLength: 1 },
  command: { oneOf: [{ type: 'string' }, stringList] },
  entrypoint: { oneOf: [{ type: 'string' }, stringList] },
  environment: listOrMap,
  ports: {
    type: 'array',
    items: {
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'integer', minimum: 1, maximum: 65535 },
        {
          type: 'object',
          required: ['target'],
          additionalProperties: false,
          properties: {
            target: { type: ['integer', 'string'] },
            published: stringOrNumber,
            protocol: { enum: ['tcp', 'udp'] },
            host_ip: { type: 'string' },
            mode: { enum: ['host', 'ingress'] },
            name: { type: 'string' },
            app_protocol: { type: 'string' },
          },
        },
      ],
    },
  },
  expose: { type: 'array', items: stringOrNumber },
  volumes: {
    type: 'array',
    items: {
      oneOf: [
        { type: 'string', minLength: 1 },
        {
          type: 'object',
          required: ['type', 'target'],
          additionalProperties: false,
          properties: {
            type: { enum: ['volume', 'bind', 'tmpfs'] },
            source: { type: 'string' },
            target: { type: 'string', minLength: 1 },
            read_only: { type: 'boolean' },
            volume: { type: 'object', properties: { nocopy: { type: 'boolean' } }, additionalProperties: false },
            bind: { type: 'object', properties: { create_host_path: { type: 'boolean' } }, additionalProperties: false },
            tmpfs: { type: 'object', properties: { size: stringOrNumber }, additionalProperties: false },
          },
        },
      ],
    },
  },
  networks: {
    oneOf: [
      stringList,
      {
        type: 'object',
        additionalProperties: {
          oneOf: [
            { type: 'null' },
            {
              type: 'object',
              additionalProperties: false,
              properties: { aliases: stringList },
            },
          ],
        },
      },
    ],
  },
  network_mode: { type: 'string' },
  healthcheck: {
    type: 'object',
    additionalProperties: false,
    properties: {
      test: { oneOf: [{ type: 'string' }, { ...stringList, minItems: 1 }] },
      interval: stringOrNumber,
      timeout: stringOrNumber,
      retries: { type: 'integer', minimum: 0 },
      start_period: stringOrNumber,
      start_interval: stringOrNumber,
      disable: { type: 'boolean' },
    },
  },
  depends_on: {
    oneOf: [
      stringList,
      {
        type: 'object',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: {
            condition: { enum: ['service_started', 'service_healthy', 'service_completed_successfully'] },
            restart: { type: 'boolean' },
            required: { type: 'boolean' },
          },
        },
      },
    ],
  },
  restart: { type: 'string', pattern: '^(no|always|unless-stopped|on-failure(:\\d+)?)$' },
  deploy: {
    type: 'object',
    additionalProperties: false,
    properties: {
      resources: {
        type: 'object',
        additionalProperties: false,
        properties: {
          limits: {
            type: 'object',
            additionalProperties: false,
            properties: { memory: stringOrNumber, cpus: stringOrNumber, pids: { type: 'integer' } },
          },
          reservations: {
            type: 'object',
            additionalProperties: false,
            properties: { memory: stringOrNumber, cpus: stringOrNumber },
          },
        },
      },
    },
  },
  mem_limit: stringOrNumber,
  mem_reservation: stringOrNumber,
  cpus: stringOrNumber,
  devices: {
    type: 'array',
    items: {
      oneOf: [
        { type: 'string', minLength: 1 },
        {
          type: 'object',
          required: ['source'],
          additionalProperties: false,
          properties: { source: { type: 'string' }, target: { type: 'string' }, permissions: { type: 'string' } },
        },
      ],
    },
  },
  labels: listOrMap,
  user: { type: ['string', 'integer'] },
  working_dir: { type: 'string' },
  hostname: { type: 'string' },
  platform: { type: 'string' },
  privileged: { type: 'boolean' },
  cap_add: stringList,
  cap_drop: stringList,
  stop_grace_period: stringOrNumber,
  extra_hosts: listOrMap,
  tmpfs: { oneOf: [{ type: 'string' }, stringList] },
  shm_size: stringOrNumber,
  sysctls: listOrMap,
  'x-warren': {
    type: 'object',
    required: ['role', 'satisfies'],
    additionalProperties: false,
    properties: {
      role: { const: 'database-sidecar' },
      satisfies: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
    },
  },
};

const inputSchema = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { enum: ['string', 'number', 'integer', 'boolean'] },
    title: { type: 'string' },
    description: { type: 'string' },
    default: { type: ['string', 'number', 'boolean'] },
    pattern: { type: 'string' },
    enum: { type: 'array', minItems: 1, items: { type: ['string', 'number'] } },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    required: { type: 'boolean' },
    secret: { type: 'boolean' },
  },
};

const warrenSchema = {
  type: 'object',
  required: ['id', 'version', 'title', 'tagline', 'categories', 'main'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    version: { type: ['string', 'number'], minLength: 1, maxLength: 64 },
    revision: { type: 'integer', minimum: 1 },
    title: { type: 'string', minLength: 1, maxLength: 80 },
    tagline: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string' },
    categories: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 40 } },
    icon: { type: 'string' },
    website: { type: 'string' },
    main: {
      type: 'object',
      required: ['service'],
      additionalProperties: false,
      properties: {
        service: { type: 'string' },
        port: { type: 'integer', minimum: 1, maximum: 65535, description: 'container port of the web UI; absent for apps without one' },
        path: { type: 'string', pattern: '^/' },
      },
    },
    requires: {
      type: 'object',
      additionalProperties: false,
      properties: {
        architectures: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...ARCHITECTURES] } },
        memory: { ...stringOrNumber, description: "memory of the app's own services; sidecars count their deploy.resources" },
        disk: stringOrNumber,
        cpus: { type: 'number', exclusiveMinimum: 0 },
        devices: {
          type: 'array',
          items: {
            oneOf: [
              { type: 'string', pattern: '^/dev/' },
              {
                type: 'object',
                required: ['path'],
                additionalProperties: false,
                properties: { path: { type: 'string', pattern: '^/dev/' }, optional: { type: 'boolean' } },
              },
            ],
          },
        },
        ports: {
          type: 'array',
          items: {
            oneOf: [
              { type: 'integer', minimum: 1, maximum: 65535 },
              { type: 'string', pattern: '^[0-9]{1,5}(/(tcp|udp))?$' },
            ],
          },
        },
        databases: {
          type: 'array',
          items: {
            type: 'object',
            required: ['ref', 'engine'],
            additionalProperties: false,
            properties: {
              ref: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
              engine: { enum: ['postgres', 'mariadb'] },
              versions: { type: 'string' },
              extensions: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9_-]+$' } },
              dedicated: { type: 'boolean' },
            },
          },
        },
      },
    },
    secrets: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          length: { type: 'integer', minimum: 8, maximum: 512 },
          charset: { enum: [...SECRET_CHARSETS] },
          description: { type: 'string' },
        },
      },
    },
    inputs: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      additionalProperties: inputSchema,
    },
  },
};

const topLevelMap = (props: Record<string, unknown>) => ({
  type: 'object',
  propertyNames: { pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' },
  additionalProperties: {
    oneOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, properties: props }],
  },
});

export const manifestSchema = {
  $id: 'https://warren.dev/schemas/app-manifest.json',
  type: 'object',
  required: ['services', 'x-warren'],
  additionalProperties: false,
  patternProperties: extensions,
  properties: {
    version: { type: 'string' },
    name: { type: 'string' },
    services: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$' },
      additionalProperties: {
        type: 'object',
        required: ['image'],
        additionalProperties: false,
        patternProperties: extensions,
        properties: serviceProperties,
      },
    },
    volumes: topLevelMap({ external: { type: 'boolean' }, name: { type: 'string' }, labels: listOrMap, driver: { const: 'local' } }),
    networks: topLevelMap({
      external: { type: 'boolean' },
      name: { type: 'string' },
      internal: { type: 'boolean' },
      labels: listOrMap,
      driver: { const: 'bridge' },
    }),
    'x-warren': warrenSchema,
  },
} as const;

/** Service keys the schema knows: importers keep these and report the rest. */
export const SUPPORTED_SERVICE_KEYS: ReadonlySet<string> = new Set(Object.keys(serviceProperties));
