import type { DatabaseEngine } from '../providers/database-pool.js';

/** App ids double as Compose project names, folder names and database name stems. */
export const APP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Names of inputs and secrets are interpolation variables, so they follow shell variable rules. */
export const VARIABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const ARCHITECTURES = ['amd64', 'arm64', 'arm/v7', 'arm/v6', '386', 'ppc64le', 's390x', 'riscv64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const SECRET_CHARSETS = ['alphanumeric', 'alpha', 'lower', 'numeric', 'hex', 'base64', 'base64url'] as const;
export type SecretCharset = (typeof SECRET_CHARSETS)[number];

export interface DatabaseNeed {
  /** `main`, `cache`, ...: names the `WARREN_DB_<REF>_*` variables. */
  ref: string;
  engine: DatabaseEngine;
  /** A semver range of server versions the app supports, e.g. `>=14 <17`. */
  versions?: string;
  extensions: string[];
  /** The app needs its own server (a privilege, preload library or version a shared pool cannot give). */
  dedicated: boolean;
}

export interface DevicePathNeed {
  path: string;
  optional: boolean;
}

export interface PortNeed {
  port: number;
  protocol: 'tcp' | 'udp';
}

export interface SecretSpec {
  /** Characters for the alphabet charsets; random bytes before encoding for `base64`/`base64url`. */
  length: number;
  charset: SecretCharset;
  description?: string;
}

export type InputType = 'string' | 'number' | 'integer' | 'boolean';

export interface InputSpec {
  type: InputType;
  title?: string;
  description?: string;
  default?: string | number | boolean;
  pattern?: string;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  required: boolean;
  /** Rendered as a password field and never echoed back. */
  secret: boolean;
}

/** The `x-warren` block as written in a manifest (sizes still as Compose strings). */
export interface WarrenBlock {
  id: string;
  version: string | number;
  revision?: number;
  title: string;
  tagline: string;
  description?: string;
  categories: string[];
  icon?: string;
  website?: string;
  main: { service: string; port?: number; path?: string };
  requires?: {
    architectures?: Architecture[];
    memory?: string | number;
    disk?: string | number;
    cpus?: number;
    devices?: (string | { path: string; optional?: boolean })[];
    ports?: (number | string)[];
    databases?: { ref: string; engine: DatabaseEngine; versions?: string; extensions?: string[]; dedicated?: boolean }[];
  };
  secrets?: Record<string, { length?: number; charset?: SecretCharset; description?: string }>;
  inputs?: Record<string, Partial<InputSpec> & { type: InputType }>;
}

/** A Compose document restricted to what the loader's schema accepts; values may hold `${...}`. */
export interface ComposeDocument {
  name?: string;
  version?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, { external?: boolean; name?: string; labels?: Record<string, string> | string[] } | null>;
  networks?: Record<string, { external?: boolean; name?: string; internal?: boolean; labels?: Record<string, string> | string[] } | null>;
  'x-warren': WarrenBlock;
  [extension: `x-${string}`]: unknown;
}

export type ComposeService = Record<string, unknown> & {
  image: string;
  'x-warren'?: { role: 'database-sidecar'; satisfies: string };
};

/** A loaded, validated app: the document as written plus the normalised facts Warren works with. */
export interface AppManifest {
  id: string;
  version: string;
  revision: number;
  title: string;
  tagline: string;
  description?: string;
  categories: string[];
  icon?: string;
  website?: string;
  main: { service: string; port?: number; path: string };
  requires: {
    architectures: Architecture[];
    memoryBytes?: number;
    diskBytes?: number;
    cpus?: number;
    devices: DevicePathNeed[];
    ports: PortNeed[];
    databases: DatabaseNeed[];
  };
  secrets: Record<string, SecretSpec>;
  inputs: Record<string, InputSpec>;
  /** Service name → the database ref it can stand in for. */
  sidecars: Record<string, string>;
  /** The whole document, `x-warren` included: what importers write and what resolution reads. */
  document: ComposeDocument;
  /** Where the manifest came from (file path or URL), for messages. */
  source: string;
}
