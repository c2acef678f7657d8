/**
 * The resolved Compose model a ContainerHost deploys: the Compose specification's long forms, with
 * interpolation already done and defaults filled in by core/catalog. Engines never see short syntax.
 */
export interface StackSpec {
  /** Compose project name: `[a-z0-9][a-z0-9_-]*`. */
  project: string;
  services: Record<string, ServiceSpec>;
  networks?: Record<string, NetworkSpec>;
  volumes?: Record<string, VolumeSpec>;
  /** Extra labels put on every container, network and volume of the stack. */
  labels?: Record<string, string>;
  /** Where the model came from; recorded in Compose's project labels, which `docker compose ls` shows. */
  workingDir?: string;
  configFiles?: string[];
}

export interface ServiceSpec {
  image: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: PortSpec[];
  volumes?: MountSpec[];
  networks?: string[];
  /** Network aliases in addition to the service name. */
  aliases?: string[];
  healthcheck?: HealthcheckSpec;
  dependsOn?: Record<string, { condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' }>;
  restart?: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  resources?: {
    limits?: { memoryBytes?: number; cpus?: number };
    reservations?: { memoryBytes?: number; cpus?: number };
  };
  devices?: { host: string; container: string; permissions?: string }[];
  labels?: Record<string, string>;
  user?: string;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  workingDir?: string;
  hostname?: string;
  platform?: string;
  networkMode?: string;
  stopGracePeriodSeconds?: number;
  extraHosts?: string[];
  tmpfs?: string[];
  shmSizeBytes?: number;
  sysctls?: Record<string, string>;
}

export interface PortSpec {
  target: number;
  published?: number;
  protocol?: 'tcp' | 'udp';
  hostIp?: string;
}

export type MountSpec =
  | { type: 'volume'; source: string; target: string; readOnly?: boolean }
  | { type: 'bind'; source: string; target: string; readOnly?: boolean }
  | { type: 'tmpfs'; target: string };

export interface HealthcheckSpec {
  /** `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`. */
  test: string[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retries?: number;
  startPeriodSeconds?: number;
}

export interface NetworkSpec {
  /** Use a network that already exists instead of creating one (e.g. a shared database network). */
  external?: boolean;
  /** The engine-side name; defaults to `<project>_<key>`. */
  name?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

export interface VolumeSpec {
  external?: boolean;
  name?: string;
  labels?: Record<string, string>;
}
