// Pure mapping between Warren's shapes (StackSpec, ServiceStatus, ...) and the Docker Engine API's
// JSON, which Podman's compatible API also speaks. No I/O here: everything is fixture-tested.
import { createHash } from 'node:crypto';
import { AuthFailedError, NotReadyError } from '../../core/plugin/types.js';
import { WarrenError } from '../../core/errors.js';
import type {
  EngineInfo,
  HealthState,
  ListeningPort,
  ProgressEvent,
  ServiceState,
  ServiceStatus,
  StackStatus,
} from '../../core/providers/container-host.js';
import type { HealthcheckSpec, ServiceSpec, StackSpec } from '../../core/providers/compose.js';

/** The Compose version whose labels we write; `docker compose` reads stacks labelled like this. */
export const COMPOSE_COMPAT_VERSION = '2.24.0';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  version: 'com.docker.compose.version',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  managed: 'dev.warren.managed',
  helper: 'dev.warren.helper',
} as const;

// ---------------------------------------------------------------------------------------------
// Architecture

const ARCH: Record<string, { arch: string; variant?: string }> = {
  x86_64: { arch: 'amd64' },
  'x86-64': { arch: 'amd64' },
  amd64: { arch: 'amd64' },
  aarch64: { arch: 'arm64' },
  arm64: { arch: 'arm64' },
  armv8: { arch: 'arm64' },
  armv8l: { arch: 'arm', variant: 'v8' },
  armv7l: { arch: 'arm', variant: 'v7' },
  armv7: { arch: 'arm', variant: 'v7' },
  armhf: { arch: 'arm', variant: 'v7' },
  armv6l: { arch: 'arm', variant: 'v6' },
  armv6: { arch: 'arm', variant: 'v6' },
  armel: { arch: 'arm', variant: 'v6' },
  armv5tel: { arch: 'arm', variant: 'v5' },
  i386: { arch: '386' },
  i486: { arch: '386' },
  i586: { arch: '386' },
  i686: { arch: '386' },
  '386': { arch: '386' },
  riscv64: { arch: 'riscv64' },
  ppc64le: { arch: 'ppc64le' },
  s390x: { arch: 's390x' },
};

/**
 * Docker reports the kernel's machine name (`x86_64`, `aarch64`, `armv7l`), Podman Go's names
 * (`amd64`, `arm64`); Warren speaks the OCI platform names. An explicit variant from the engine wins.
 */
export function normaliseArch(raw: string, engineVariant?: string): { arch: string; variant?: string } {
  const key = raw.trim().toLowerCase();
  const known = ARCH[key] ?? { arch: key };
  const variant = engineVariant ? engineVariant.toLowerCase() : known.variant;
  return variant ? { arch: known.arch, variant } : { arch: known.arch };
}

// ---------------------------------------------------------------------------------------------
// Names and labels

export const containerName = (project: string, service: string): string => `${project}-${service}-1`;

export function networkName(spec: StackSpec, key: string): string {
  return spec.networks?.[key]?.name ?? `${spec.project}_${key}`;
}

export function volumeName(spec: StackSpec, key: string): string {
  return spec.volumes?.[key]?.name ?? `${spec.project}_${key}`;
}

/** Compose puts a service without `networks` and without `network_mode` on the project's `default` network. */
export function serviceNetworks(svc: ServiceSpec): string[] {
  if (svc.networkMode) return [];
  return svc.networks && svc.networks.length > 0 ? svc.networks : ['default'];
}

/** Networks the stack needs, keyed as in the spec, including the implicit `default`. */
export function stackNetworkKeys(spec: StackSpec): string[] {
  const keys = new Set<string>();
  for (const svc of Object.values(spec.services)) for (const n of serviceNetworks(svc)) keys.add(n);
  return [...keys].sort();
}

export function stackVolumeKeys(spec: StackSpec): string[] {
  const keys = new Set<string>();
  for (const svc of Object.values(spec.services)) {
    for (const m of svc.volumes ?? []) if (m.type === 'volume') keys.add(m.source);
  }
  return [...keys].sort();
}

/** JSON with sorted keys, so that the same spec always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The `com.docker.compose.config-hash` of a service: everything that ends up in its container
 * (the service spec, stack-wide labels, the engine names of its networks and volumes). Same hash,
 * same container; a different hash means the container must be recreated.
 */
export function serviceConfigHash(spec: StackSpec, service: string): string {
  const svc = spec.services[service]!;
  const resolved = {
    service: svc,
    stackLabels: spec.labels ?? {},
    networks: serviceNetworks(svc).map((n) => networkName(spec, n)),
    volumes: (svc.volumes ?? []).flatMap((m) => (m.type === 'volume' ? [volumeName(spec, m.source)] : [])),
  };
  return createHash('sha256').update(canonicalJson(resolved)).digest('hex');
}

export function projectLabels(spec: StackSpec): Record<string, string> {
  return {
    ...(spec.labels ?? {}),
    [LABEL.project]: spec.project,
    [LABEL.version]: COMPOSE_COMPAT_VERSION,
    [LABEL.managed]: 'true',
  };
}

export function containerLabels(spec: StackSpec, service: string, imageId: string | undefined): Record<string, string> {
  const svc = spec.services[service]!;
  const dependsOn = Object.entries(serviceDependencies(svc))
    .map(([dep, condition]) => `${dep}:${condition}:false`)
    .join(',');
  return {
    ...(svc.labels ?? {}),
    ...projectLabels(spec),
    [LABEL.service]: service,
    [LABEL.number]: '1',
    [LABEL.oneoff]: 'False',
    [LABEL.configHash]: serviceConfigHash(spec, service),
    [LABEL.workingDir]: spec.workingDir ?? '/',
    [LABEL.configFiles]: (spec.configFiles ?? []).join(','),
    [LABEL.dependsOn]: dependsOn,
    ...(imageId ? { [LABEL.image]: imageId } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Container create options

const NS_PER_S = 1_000_000_000;

export function toHealthConfig(h: HealthcheckSpec): Record<string, unknown> {
  if (h.test[0] === 'NONE') return { Test: ['NONE'] };
  return {
    Test: h.test,
    ...(h.intervalSeconds !== undefined ? { Interval: Math.round(h.intervalSeconds * NS_PER_S) } : {}),
    ...(h.timeoutSeconds !== undefined ? { Timeout: Math.round(h.timeoutSeconds * NS_PER_S) } : {}),
    ...(h.retries !== undefined ? { Retries: h.retries } : {}),
    ...(h.startPeriodSeconds !== undefined ? { StartPeriod: Math.round(h.startPeriodSeconds * NS_PER_S) } : {}),
  };
}

/** Splits `/run:size=64m,mode=1777` into the path and the mount options Docker's `Tmpfs` map wants. */
function splitTmpfs(entry: string): [string, string] {
  const i = entry.indexOf(':');
  return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
}

export interface CreatePlan {
  /** The body of `POST /containers/create` (with `name` and `platform` as query parameters, as dockerode sends them). */
  options: Record<string, unknown> & { name: string; Image: string };
  /** Further networks to connect after create: the create call takes one endpoint on older APIs. */
  extraNetworks: { network: string; aliases: string[] }[];
}

export function toCreateOptions(spec: StackSpec, service: string, imageId?: string): CreatePlan {
  const svc = spec.services[service]!;
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of svc.ports ?? []) {
    const key = `${p.target}/${p.protocol ?? 'tcp'}`;
    exposed[key] = {};
    if (p.published !== undefined || p.hostIp !== undefined) {
      (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.published !== undefined ? String(p.published) : '' });
    }
  }

  const binds: string[] = [];
  const mounts: Record<string, unknown>[] = [];
  for (const m of svc.volumes ?? []) {
    // Binds (not Mounts) for host paths: like Compose's default `create_host_path: true`, a missing
    // host directory is created instead of failing the deploy.
    if (m.type === 'bind') binds.push(`${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`);
    else if (m.type === 'volume') mounts.push({ Type: 'volume', Source: volumeName(spec, m.source), Target: m.target, ReadOnly: m.readOnly ?? false });
    else mounts.push({ Type: 'tmpfs', Target: m.target });
  }

  const nets = serviceNetworks(svc);
  const aliases = [service, ...(svc.aliases ?? [])];
  const networkMode = svc.networkMode
    ? svc.networkMode.startsWith('service:')
      ? `container:${containerName(spec.project, svc.networkMode.slice('service:'.length))}`
      : svc.networkMode
    : networkName(spec, nets[0]!);

  const limits = svc.resources?.limits;
  const reservations = svc.resources?.reservations;
  const hostConfig: Record<string, unknown> = {
    NetworkMode: networkMode,
    ...(Object.keys(bindings).length ? { PortBindings: bindings } : {}),
    ...(binds.length ? { Binds: binds } : {}),
    ...(mounts.length ? { Mounts: mounts } : {}),
    RestartPolicy: { Name: svc.restart && svc.restart !== 'no' ? svc.restart : 'no' },
    ...(limits?.memoryBytes ? { Memory: limits.memoryBytes } : {}),
    ...(limits?.cpus ? { NanoCpus: Math.round(limits.cpus * NS_PER_S) } : {}),
    ...(reservations?.memoryBytes ? { MemoryReservation: reservations.memoryBytes } : {}),
    // A CPU reservation becomes a relative weight (1 CPU = the default 1024 shares): the engine's only
    // soft guarantee outside Swarm.
    ...(reservations?.cpus ? { CpuShares: Math.max(2, Math.round(reservations.cpus * 1024)) } : {}),
    ...(svc.devices?.length
      ? { Devices: svc.devices.map((d) => ({ PathOnHost: d.host, PathInContainer: d.container, CgroupPermissions: d.permissions ?? 'rwm' })) }
      : {}),
    ...(svc.capAdd?.length ? { CapAdd: svc.capAdd } : {}),
    ...(svc.capDrop?.length ? { CapDrop: svc.capDrop } : {}),
    ...(svc.privileged ? { Privileged: true } : {}),
    ...(svc.extraHosts?.length ? { ExtraHosts: svc.extraHosts.map((h) => h.replace('=', ':')) } : {}),
    ...(svc.tmpfs?.length ? { Tmpfs: Object.fromEntries(svc.tmpfs.map(splitTmpfs)) } : {}),
    ...(svc.shmSizeBytes ? { ShmSize: svc.shmSizeBytes } : {}),
    ...(svc.sysctls ? { Sysctls: svc.sysctls } : {}),
  };

  const options: CreatePlan['options'] = {
    name: containerName(spec.project, service),
    Image: svc.image,
    ...(svc.platform ? { platform: svc.platform } : {}),
    ...(svc.command ? { Cmd: svc.command } : {}),
    ...(svc.entrypoint ? { Entrypoint: svc.entrypoint } : {}),
    Env: Object.entries(svc.environment ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: containerLabels(spec, service, imageId),
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    ...(svc.healthcheck ? { Healthcheck: toHealthConfig(svc.healthcheck) } : {}),
    ...(svc.user ? { User: svc.user } : {}),
    ...(svc.workingDir ? { WorkingDir: svc.workingDir } : {}),
    ...(svc.hostname ? { Hostname: svc.hostname } : {}),
    ...(svc.stopGracePeriodSeconds !== undefined ? { StopTimeout: Math.round(svc.stopGracePeriodSeconds) } : {}),
    HostConfig: hostConfig,
    ...(nets.length
      ? { NetworkingConfig: { EndpointsConfig: { [networkName(spec, nets[0]!)]: { Aliases: aliases } } } }
      : {}),
  };
  return {
    options,
    extraNetworks: nets.slice(1).map((n) => ({ network: networkName(spec, n), aliases })),
  };
}

type Condition = NonNullable<ServiceSpec['dependsOn']>[string]['condition'];

/** `depends_on`, plus the service whose network a `network_mode: service:<name>` joins (it must run first). */
export function serviceDependencies(svc: ServiceSpec): Record<string, Condition> {
  const deps: Record<string, Condition> = {};
  if (svc.networkMode?.startsWith('service:')) deps[svc.networkMode.slice('service:'.length)] = 'service_started';
  for (const [dep, d] of Object.entries(svc.dependsOn ?? {})) deps[dep] = d.condition;
  return deps;
}

/** Services in an order where every service comes after the ones it depends on (validated acyclic). */
export function startOrder(spec: StackSpec): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const dep of Object.keys(serviceDependencies(spec.services[name]!)).sort()) if (spec.services[dep]) visit(dep);
    out.push(name);
  };
  for (const name of Object.keys(spec.services).sort()) visit(name);
  return out;
}

/** The same order from containers' `com.docker.compose.depends_on` labels, for stacks we only see on the engine. */
export function startOrderFromLabels(containers: { service: string; dependsOn: string }[]): string[] {
  const deps = new Map(containers.map((c) => [c.service, c.dependsOn.split(',').filter(Boolean).map((d) => d.split(':')[0]!).sort()]));
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || !deps.has(name)) return;
    seen.add(name);
    for (const d of deps.get(name)!) visit(d);
    out.push(name);
  };
  for (const name of [...deps.keys()].sort()) visit(name);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Status

/** The subset of `GET /containers/{id}/json` we read. */
export interface InspectLike {
  Id: string;
  Name?: string;
  Image?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null; Healthcheck?: { Test?: string[] } | null; Tty?: boolean };
  State?: {
    Status?: string;
    Running?: boolean;
    ExitCode?: number;
    StartedAt?: string;
    Health?: { Status?: string } | null;
  };
  HostConfig?: { PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null };
  NetworkSettings?: { Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null };
}

const STATES: Record<string, ServiceState> = {
  created: 'created',
  running: 'running',
  restarting: 'restarting',
  paused: 'paused',
  exited: 'exited',
  dead: 'dead',
  // Podman's extra states.
  configured: 'created',
  initialized: 'created',
  stopped: 'exited',
  stopping: 'running',
  removing: 'exited',
};

export function hasHealthcheck(c: InspectLike): boolean {
  const test = c.Config?.Healthcheck?.Test;
  return Array.isArray(test) && test.length > 0 && test[0] !== 'NONE';
}

function toHealth(c: InspectLike): HealthState {
  const s = c.State?.Health?.Status;
  if (s === 'healthy' || s === 'unhealthy' || s === 'starting') return s;
  return hasHealthcheck(c) ? 'starting' : 'none';
}

function toPorts(c: InspectLike, running: boolean): ServiceStatus['ports'] {
  const source = (running ? c.NetworkSettings?.Ports : null) ?? c.HostConfig?.PortBindings ?? {};
  const out: ServiceStatus['ports'] = [];
  const seen = new Set<string>();
  for (const [key, binds] of Object.entries(source)) {
    const [target, proto] = key.split('/');
    const protocol = proto === 'udp' ? 'udp' : 'tcp';
    const list = binds && binds.length ? binds : [{}];
    for (const b of list) {
      const published = b.HostPort ? Number(b.HostPort) : undefined;
      const id = `${target}/${protocol}/${published ?? ''}`;
      // Docker lists one binding per address family; the user published one port.
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ target: Number(target), ...(published ? { published } : {}), protocol });
    }
  }
  return out.sort((a, b) => a.target - b.target || a.protocol.localeCompare(b.protocol));
}

export function toServiceStatus(c: InspectLike): ServiceStatus {
  const state = STATES[c.State?.Status ?? ''] ?? 'dead';
  const running = state === 'running';
  const started = c.State?.StartedAt;
  return {
    service: c.Config?.Labels?.[LABEL.service] ?? (c.Name ?? c.Id).replace(/^\//, ''),
    containerId: c.Id,
    containerName: (c.Name ?? '').replace(/^\//, '') || undefined,
    image: c.Config?.Image ?? c.Image ?? '',
    state,
    health: running ? toHealth(c) : 'none',
    ...(!running && typeof c.State?.ExitCode === 'number' ? { exitCode: c.State.ExitCode } : {}),
    ...(started && !started.startsWith('0001-') ? { startedAt: started } : {}),
    ports: toPorts(c, running),
  };
}

export function summariseStack(project: string, services: ServiceStatus[]): StackStatus {
  const sorted = [...services].sort((a, b) => a.service.localeCompare(b.service));
  const ok = (s: ServiceStatus) => s.state === 'running' && (s.health === 'none' || s.health === 'healthy');
  const state: StackStatus['state'] =
    sorted.length === 0
      ? 'missing'
      : sorted.every(ok)
        ? 'running'
        : sorted.every((s) => s.state !== 'running' && s.state !== 'restarting')
          ? 'stopped'
          : 'partial';
  return { project, state, services: sorted };
}

// ---------------------------------------------------------------------------------------------
// Listeners: /proc/net/{tcp,tcp6,udp,udp6}

const TCP_LISTEN = '0A';
const UDP_UNCONNECTED = '07';

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  }
  // IPv6: four 32-bit words, each in host (little-endian) byte order.
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [6, 4, 2, 0].map((i) => word.slice(i, i + 2));
    groups.push(bytes[0]! + bytes[1]!, bytes[2]! + bytes[3]!);
  }
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** Listening sockets from one `/proc/net/<file>` text. UDP sockets count when bound and not connected. */
export function parseProcNet(text: string, protocol: 'tcp' | 'udp'): ListeningPort[] {
  const out: ListeningPort[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const [local, remote, st] = [f[1]!, f[2]!, f[3]!];
    const [addrHex, portHex] = local.split(':');
    const remotePort = remote.split(':')[1];
    if (!addrHex || !portHex) continue;
    const listening = protocol === 'tcp' ? st === TCP_LISTEN : st === UDP_UNCONNECTED && remotePort === '0000';
    const port = parseInt(portHex, 16);
    if (!listening || port === 0) continue;
    out.push({ port, protocol, address: decodeAddress(addrHex) });
  }
  return out;
}

/** The helper container prints `== <file>` before each of /proc/net/{tcp,tcp6,udp,udp6}. */
export function parseListenerDump(dump: string): ListeningPort[] {
  const out: ListeningPort[] = [];
  const sections = dump.split(/^== /m).slice(1);
  for (const section of sections) {
    const nl = section.indexOf('\n');
    const name = section.slice(0, nl < 0 ? undefined : nl).trim();
    const body = nl < 0 ? '' : section.slice(nl + 1);
    out.push(...parseProcNet(body, name.startsWith('udp') ? 'udp' : 'tcp'));
  }
  return dedupeListeners(out);
}

export function dedupeListeners(list: ListeningPort[]): ListeningPort[] {
  const seen = new Map<string, ListeningPort>();
  for (const l of list) {
    const key = `${l.protocol}/${l.port}/${l.address ?? ''}`;
    const prev = seen.get(key);
    if (!prev || (!prev.owner && l.owner)) seen.set(key, l);
  }
  return [...seen.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol) || (a.address ?? '').localeCompare(b.address ?? ''));
}

/**
 * Puts the owner on each listener: a port a container publishes is that container's, the rest belong
 * to host processes. Published ports the dump does not show (engines that forward with packet
 * filtering and hold no socket) are added, so a taken port is never reported free.
 */
export function attributeListeners(
  listeners: ListeningPort[],
  published: { port: number; protocol: 'tcp' | 'udp'; container: string }[],
): ListeningPort[] {
  const byPort = new Map(published.map((p) => [`${p.protocol}/${p.port}`, p.container]));
  const out = listeners.map((l) => ({ ...l, owner: byPort.has(`${l.protocol}/${l.port}`) ? `container:${byPort.get(`${l.protocol}/${l.port}`)}` : 'process' }));
  for (const p of published) {
    if (!out.some((l) => l.port === p.port && l.protocol === p.protocol)) {
      out.push({ port: p.port, protocol: p.protocol, owner: `container:${p.container}` });
    }
  }
  return dedupeListeners(out);
}

// ---------------------------------------------------------------------------------------------
// Logs: Docker's multiplexed stream (8-byte header: stream type, 3 zero bytes, big-endian length)

export interface StreamFrame {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export class DockerStreamDemuxer {
  private buffer: Buffer = Buffer.alloc(0);

  /** Feeds raw bytes; returns the frames completed by them. */
  push(chunk: Buffer): StreamFrame[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: StreamFrame[] = [];
    while (this.buffer.length >= 8) {
      const type = this.buffer[0]!;
      const size = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + size) break;
      frames.push({ stream: type === 2 ? 'stderr' : 'stdout', data: this.buffer.subarray(8, 8 + size) });
      this.buffer = this.buffer.subarray(8 + size);
    }
    return frames;
  }
}

/** Splits a byte stream into lines across chunk boundaries; `flush` yields a last unterminated line. */
export class LineSplitter {
  private rest = '';
  private readonly decoder = new TextDecoder('utf-8');

  push(data: Buffer): string[] {
    const text = this.rest + this.decoder.decode(data, { stream: true });
    const parts = text.split('\n');
    this.rest = parts.pop()!;
    return parts.map((l) => l.replace(/\r$/, ''));
  }

  flush(): string[] {
    const last = this.rest + this.decoder.decode();
    this.rest = '';
    return last ? [last] : [];
  }
}

/**
 * A sortable key for the engines' RFC 3339 times: Docker trims trailing zeros of the nanoseconds
 * (`.78832Z` is earlier than `.788326957Z`, which plain string order gets wrong), Podman gives seconds.
 */
export function timeKey(at: string | undefined): string {
  const m = /^([^.Z+]+?)(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(at ?? '');
  if (!m) return at ?? '';
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}`;
}

/** `timestamps=true` prefixes each line with an RFC 3339 time and a space. */
export function splitTimestamp(line: string): { at?: string; line: string } {
  const m = /^(\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})) (.*)$/s.exec(line);
  return m ? { at: m[1], line: m[2]! } : { line };
}

// ---------------------------------------------------------------------------------------------
// Images

/** An entry of `GET /images/json` (Docker and Podman's compatible API alike). */
export interface ImageSummaryLike {
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
}

/**
 * The refs the listed images answer to: repo tags and repo digests, without the `<none>:<none>` and
 * `<none>@<none>` that Docker 20.10 gives untagged images. With `localAliases` (Podman), an image
 * named `localhost/x:1` also answers to `x:1`: Podman resolves a short name to the local image first.
 */
export function imageRefs(list: readonly ImageSummaryLike[], opts: { localAliases?: boolean } = {}): string[] {
  const out = new Set<string>();
  for (const img of list) {
    for (const ref of [...(img.RepoTags ?? []), ...(img.RepoDigests ?? [])]) {
      if (!ref || ref.startsWith('<none>')) continue;
      out.add(ref);
      if (opts.localAliases && ref.startsWith('localhost/')) out.add(ref.slice('localhost/'.length));
    }
  }
  return [...out];
}

// ---------------------------------------------------------------------------------------------
// Stats

export interface StatsLike {
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
}

/** Memory as `docker stats` shows it: usage without the inactive file cache (cgroup v1 and v2 names). */
export function memoryWithoutCache(s: StatsLike): number {
  const usage = s.memory_stats?.usage ?? 0;
  const st = s.memory_stats?.stats ?? {};
  const inactive = st.total_inactive_file ?? st.inactive_file ?? 0;
  return inactive < usage ? usage - inactive : usage;
}

/** Whether the engine broke memory down (Docker does; Podman's compatible API on cgroup v1 gives only usage). */
export const hasMemoryBreakdown = (s: StatsLike): boolean => Object.keys(s.memory_stats?.stats ?? {}).length > 0;

/** Inactive file cache from a cgroup's memory.stat (v1 `total_inactive_file`, v2 `inactive_file`), in bytes. */
export function inactiveFileFromMemoryStat(text: string): number | undefined {
  const kv = new Map(text.split('\n').map((l) => l.trim().split(/\s+/) as [string, string]).filter((x) => x.length === 2 && /^\d+$/.test(x[1])).map(([k, v]) => [k, Number(v)]));
  return kv.get('total_inactive_file') ?? kv.get('inactive_file');
}

/** The memory controller's directory of a process from /proc/<pid>/cgroup (v1 `N:memory:/path`, else v2 `0::/path`). */
export function memoryCgroupDir(procCgroup: string, root = '/sys/fs/cgroup'): string | undefined {
  const lines = procCgroup.split('\n');
  const v1 = lines.map((l) => /^\d+:([^:]*):(.*)$/.exec(l)).find((m) => m && m[1]!.split(',').includes('memory'));
  if (v1) return `${root}/memory${v1[2]}`;
  const v2 = lines.map((l) => /^0::(.*)$/.exec(l)).find((m) => m);
  return v2 ? `${root}${v2[1]}` : undefined;
}

export function cpuTotalNs(s: StatsLike): number {
  return s.cpu_stats?.cpu_usage?.total_usage ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Pull progress

export interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** Folds the engine's per-layer pull events into one fraction for the whole image. */
export class PullProgress {
  private readonly layers = new Map<string, { current: number; total: number }>();
  constructor(private readonly ref: string) {}

  next(e: PullEvent): ProgressEvent {
    if (e.id && e.progressDetail?.total) {
      this.layers.set(e.id, { current: e.progressDetail.current ?? 0, total: e.progressDetail.total });
    } else if (e.id && /complete|already exists/i.test(e.status ?? '')) {
      const l = this.layers.get(e.id);
      if (l) l.current = l.total;
    }
    let cur = 0;
    let tot = 0;
    for (const l of this.layers.values()) {
      cur += l.current;
      tot += l.total;
    }
    return {
      phase: 'pull',
      subject: this.ref,
      message: [e.id, e.status].filter(Boolean).join(': ') || 'pulling',
      ...(tot > 0 ? { fraction: Math.min(1, cur / tot) } : {}),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

const NOT_READY_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
  'ESOCKETTIMEDOUT',
  'ECONNABORTED',
]);

interface ForeignError {
  code?: string;
  statusCode?: number;
  level?: string;
  message?: string;
  reason?: string;
  json?: { message?: string } | Buffer | string | null;
}

/** The engine's own message from a dockerode error (`(HTTP code 404) no such container - <message>`). */
export function engineMessage(e: unknown): string {
  const f = (e ?? {}) as ForeignError;
  if (f.json && typeof f.json === 'object' && !Buffer.isBuffer(f.json) && typeof f.json.message === 'string') return f.json.message;
  // Streamed requests (pull, logs) carry the engine's message only inside dockerode's own text.
  return (f.message ?? String(e)).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

export const statusOf = (e: unknown): number | undefined => (e as ForeignError | undefined)?.statusCode;

/**
 * Connection-level failures from socket, TLS or SSH mapped to the plugin contract's errors:
 * unreachable or not yet listening → NotReadyError (retried), refused credentials → AuthFailedError
 * (needs reconfiguring). Returns undefined for anything else.
 */
export function connectionError(e: unknown, where: string): NotReadyError | AuthFailedError | undefined {
  const f = (e ?? {}) as ForeignError;
  const code = f.code ?? '';
  const msg = f.message ?? String(e);
  if (/Host denied/i.test(msg)) {
    return new AuthFailedError(`${where}: the device's SSH host key does not match hostFingerprint (${msg})`, { cause: e });
  }
  if (f.level === 'client-authentication' || /authentication methods failed/i.test(msg)) {
    return new AuthFailedError(`${where}: SSH key refused (${msg})`, { cause: e });
  }
  if (
    /^(ERR_SSL_|ERR_TLS_CERT|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|ERR_OSSL)/.test(code) ||
    /certificate|tlsv1 alert|ssl alert|handshake failure/i.test(msg) ||
    f.statusCode === 401 ||
    f.statusCode === 403
  ) {
    return new AuthFailedError(`${where}: TLS credentials refused (${msg})`, { cause: e });
  }
  // An HTTP status means the engine answered: whatever it says ("registry timed out") is not a
  // transport problem.
  if (typeof f.statusCode === 'number') return undefined;
  if (NOT_READY_CODES.has(code) || f.level === 'client-timeout' || f.level === 'client-socket') {
    return new NotReadyError(`${where}: engine not reachable (${code || msg})`, { cause: e });
  }
  return undefined;
}

/** Any engine failure as a Warren error: connection problems keep their retry semantics. */
export function toWarrenError(e: unknown, what: string, where: string): Error {
  if (e instanceof WarrenError || e instanceof NotReadyError || e instanceof AuthFailedError) return e;
  const conn = connectionError(e, where);
  if (conn) return conn;
  if ((e as { name?: string })?.name === 'AbortError') return e as Error;
  return new WarrenError('WARREN_ERR_ENGINE', `${what}: ${engineMessage(e).trim()}`, { cause: e });
}

// ---------------------------------------------------------------------------------------------
// Engine info

/** The parts of `GET /info` and `GET /version` we read (Docker and Podman's compatible API). */
export interface InfoLike {
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  OSType?: string;
  OperatingSystem?: string;
  ServerVersion?: string;
  Name?: string;
}

export interface VersionLike {
  Version?: string;
  ApiVersion?: string;
  Arch?: string;
  Os?: string;
  Components?: { Name?: string; Version?: string }[] | null;
}

export function toEngineInfo(info: InfoLike, version: VersionLike, variant?: string): EngineInfo {
  const podman = (version.Components ?? []).find((c) => /podman/i.test(c.Name ?? ''));
  const { arch, variant: v } = normaliseArch(info.Architecture || version.Arch || 'unknown', variant);
  return {
    engine: podman ? 'podman' : 'docker',
    version: podman?.Version ?? version.Version ?? info.ServerVersion ?? 'unknown',
    ...(version.ApiVersion ? { apiVersion: version.ApiVersion } : {}),
    os: info.OSType ?? version.Os ?? 'linux',
    arch,
    ...(v ? { variant: v } : {}),
    cpus: info.NCPU ?? 0,
    memoryBytes: info.MemTotal ?? 0,
    ...(info.Name ? { hostname: info.Name } : {}),
  };
}
