/**
 * ContainerHost: a container engine on one device (Docker or Podman, local socket, TCP+TLS or SSH).
 * Core uses only this interface and never knows which engine it talks to. All methods are async and
 * accept an optional AbortSignal; "already done" (stopping a stopped stack, removing a gone one) is success.
 */
import type { StackSpec } from './compose.js';

export interface EngineInfo {
  /** `docker`, `podman`, ... */
  engine: string;
  version: string;
  apiVersion?: string;
  os: string;
  /** Normalised: `amd64`, `arm64`, `arm`, `386`, `riscv64`, ... (never `x86_64`/`aarch64`). */
  arch: string;
  /** `v6`, `v7`, `v8` where it matters (arm); undefined otherwise. */
  variant?: string;
  cpus: number;
  memoryBytes: number;
  hostname?: string;
}

export type ProgressPhase = 'validate' | 'pull' | 'network' | 'volume' | 'create' | 'start' | 'healthy' | 'remove' | 'done';

export interface ProgressEvent {
  phase: ProgressPhase;
  /** The service, image, network or volume concerned. */
  subject?: string;
  message: string;
  /** 0..1 where known. */
  fraction?: number;
}

export type OnProgress = (event: ProgressEvent) => void;

export type ServiceState = 'created' | 'running' | 'restarting' | 'paused' | 'exited' | 'dead' | 'missing';
export type HealthState = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ServiceStatus {
  service: string;
  containerId?: string;
  containerName?: string;
  image: string;
  state: ServiceState;
  health: HealthState;
  exitCode?: number;
  startedAt?: string;
  ports: { target: number; published?: number; protocol: 'tcp' | 'udp' }[];
}

export interface StackStatus {
  project: string;
  /** `running` when every service runs (and is healthy if it has a check), `partial`, `stopped`, `missing`. */
  state: 'running' | 'partial' | 'stopped' | 'missing';
  services: ServiceStatus[];
}

export interface DeployResult {
  project: string;
  created: string[];
  recreated: string[];
  unchanged: string[];
}

export interface LogOptions {
  service?: string;
  follow?: boolean;
  /** Number of lines from the end; undefined for all. */
  tail?: number;
  since?: number;
  signal?: AbortSignal;
}

export interface LogLine {
  service: string;
  stream: 'stdout' | 'stderr';
  line: string;
  at?: string;
}

export interface ListeningPort {
  port: number;
  protocol: 'tcp' | 'udp';
  address?: string;
  /** Who holds it, when known (`container:<name>`, `process`). */
  owner?: string;
}

export interface ContainerStats {
  containerId: string;
  name: string;
  project?: string;
  service?: string;
  /** Memory used without inactive file cache. */
  memoryBytes: number;
  /**
   * Set when the engine gave no cache breakdown (Podman's API on cgroup v1) and none could be read from
   * the container's cgroup: memoryBytes then includes the file cache.
   */
  memoryIncludesFileCache?: true;
  memoryLimitBytes?: number;
  /** Cumulative CPU time in nanoseconds, for deltas. */
  cpuTotalNs: number;
  at: number;
}

export interface ContainerHost {
  info(signal?: AbortSignal): Promise<EngineInfo>;
  /** Validates first (nothing is created on invalid input), then creates or updates; unchanged services are left alone. */
  deployStack(spec: StackSpec, onProgress?: OnProgress, signal?: AbortSignal): Promise<DeployResult>;
  stackStatus(project: string, signal?: AbortSignal): Promise<StackStatus>;
  listStacks(signal?: AbortSignal): Promise<StackStatus[]>;
  startStack(project: string, signal?: AbortSignal): Promise<void>;
  stopStack(project: string, signal?: AbortSignal): Promise<void>;
  /** Removes containers and networks; named volumes too when `removeVolumes`. */
  removeStack(project: string, opts?: { removeVolumes?: boolean }, signal?: AbortSignal): Promise<void>;
  logs(project: string, opts?: LogOptions): AsyncIterable<LogLine>;
  pullImage(ref: string, onProgress?: OnProgress, signal?: AbortSignal): Promise<void>;
  hasImage(ref: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * Every image on the device by the refs it answers to: each repo tag and repo digest as the engine
   * names it (`nginx:1.25`, `docker.io/library/nginx:1.25`, `nginx@sha256:…`), in no particular order;
   * untagged images have none. A ref `hasImage` finds by name is among them (Podman's `localhost/x:1`
   * answers to `x:1` too). Compare through placement's normalizeImageRef. One engine call.
   */
  listImages(signal?: AbortSignal): Promise<string[]>;
  /** Every TCP/UDP listener on the device, Warren's or not. */
  listeningPorts(signal?: AbortSignal): Promise<ListeningPort[]>;
  hasDevicePath(path: string, signal?: AbortSignal): Promise<boolean>;
  /** Per-container usage for the metrics poller. */
  containerStats?(signal?: AbortSignal): Promise<ContainerStats[]>;
  /** Runs a command in a service's container and returns its exit code and output (used by pools). */
  exec?(project: string, service: string, cmd: string[], signal?: AbortSignal): Promise<{ exitCode: number; output: string }>;
  /**
   * Like exec, streamed both ways without holding the data: `stdin` is fed to the command (then closed),
   * `stdout` yields its standard output as it comes (stderr is kept apart, its first 64 KiB), and `wait`
   * gives the exit code once the output has been read (what was not read is discarded).
   */
  execStream?(project: string, service: string, cmd: string[], opts?: { stdin?: AsyncIterable<Uint8Array>; signal?: AbortSignal }): Promise<ExecStream>;
}

export interface ExecStream {
  stdout: AsyncIterable<Uint8Array>;
  wait(): Promise<{ exitCode: number; stderr: string }>;
}
