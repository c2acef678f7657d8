// Compose short syntax → the long forms of core/providers/compose.ts. Pure; every problem is a
// WarrenError naming the path of the value that caused it.
import { WarrenError } from '../errors.js';
import type { HealthcheckSpec, MountSpec, PortSpec, ServiceSpec } from '../providers/compose.js';
import { parseBytes, parseDuration, splitShellWords } from './units.js';

export function badValue(path: string, message: string): WarrenError {
  return new WarrenError('WARREN_ERR_COMPOSE_INVALID', `${path}: ${message}`, { details: [{ path, message }] });
}

function portNumber(text: string, path: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw badValue(path, `"${text}" is not a port (1-65535)`);
  return n;
}

function portRange(text: string, path: string): number[] {
  const m = /^(\d+)-(\d+)$/.exec(text);
  if (!m) return [portNumber(text, path)];
  const from = portNumber(m[1]!, path);
  const to = portNumber(m[2]!, path);
  if (to < from || to - from > 1000) throw badValue(path, `bad port range "${text}"`);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** `"8080:80/udp"`, `"127.0.0.1:53:53/udp"`, `"[::1]:80:80"`, `"3000-3005"`, `80`, or the long form. */
export function parsePort(value: unknown, path: string): PortSpec[] {
  if (typeof value === 'number') return [{ target: portNumber(String(value), path), protocol: 'tcp' }];
  if (value && typeof value === 'object') {
    const v = value as { target: unknown; published?: unknown; protocol?: 'tcp' | 'udp'; host_ip?: string };
    const target = portNumber(String(v.target), `${path}/target`);
    const published = v.published === undefined || v.published === '' ? undefined : portNumber(String(v.published), `${path}/published`);
    return [{ target, ...(published !== undefined ? { published } : {}), protocol: v.protocol ?? 'tcp', ...(v.host_ip ? { hostIp: v.host_ip } : {}) }];
  }
  if (typeof value !== 'string') throw badValue(path, 'must be a port mapping');
  let text = value.trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = text.lastIndexOf('/');
  if (slash >= 0) {
    const proto = text.slice(slash + 1);
    if (proto !== 'tcp' && proto !== 'udp') throw badValue(path, `unknown protocol "${proto}" (tcp or udp)`);
    protocol = proto;
    text = text.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') throw badValue(path, `bad IPv6 host address in "${value}"`);
    hostIp = text.slice(1, end);
    text = text.slice(end + 2);
  }
  const parts = text.split(':');
  if (parts.length > 3 || (hostIp !== undefined && parts.length > 2)) throw badValue(path, `"${value}" is not [ip:][published:]target[/protocol]`);
  if (parts.length === 3) hostIp = parts.shift();
  const targetText = parts.pop()!;
  const publishedText = parts.pop();
  const targets = portRange(targetText, path);
  const published = publishedText ? portRange(publishedText, path) : undefined;
  if (published && published.length !== targets.length) throw badValue(path, `published and target ranges differ in length in "${value}"`);
  return targets.map((target, i) => ({
    target,
    ...(published ? { published: published[i] } : {}),
    protocol,
    ...(hostIp ? { hostIp } : {}),
  }));
}

export interface VolumeUse {
  mount: MountSpec;
  /** Anonymous volumes get a stable name so that they survive a redeploy. */
  anonymous: boolean;
}

/** `"data:/data:ro"`, `"/srv/media:/media"`, `"/cache"`, or the long form. */
export function parseVolume(value: unknown, path: string, anonymousName: string): VolumeUse {
  if (value && typeof value === 'object') {
    const v = value as { type: 'volume' | 'bind' | 'tmpfs'; source?: string; target: string; read_only?: boolean };
    if (v.type === 'tmpfs') return { mount: { type: 'tmpfs', target: v.target }, anonymous: false };
    const readOnly = v.read_only ? { readOnly: true } : {};
    if (v.type === 'bind') {
      if (!v.source?.startsWith('/')) throw badValue(`${path}/source`, 'a bind mount needs an absolute host path');
      return { mount: { type: 'bind', source: v.source, target: v.target, ...readOnly }, anonymous: false };
    }
    if (!v.source) return { mount: { type: 'volume', source: anonymousName, target: v.target, ...readOnly }, anonymous: true };
    return { mount: { type: 'volume', source: v.source, target: v.target, ...readOnly }, anonymous: false };
  }
  if (typeof value !== 'string' || value === '') throw badValue(path, 'must be a volume mapping');
  const parts = value.split(':');
  if (parts.length === 1) return { mount: { type: 'volume', source: anonymousName, target: parts[0]! }, anonymous: true };
  if (parts.length > 3) throw badValue(path, `"${value}" is not source:target[:mode]`);
  const [source, target, mode = ''] = parts as [string, string, string?];
  if (!target.startsWith('/')) throw badValue(path, `container path "${target}" must be absolute`);
  const modes = mode.split(',').filter(Boolean);
  const unknown = modes.filter((m) => !['ro', 'rw', 'z', 'Z', 'nocopy', 'cached', 'delegated', 'consistent', 'rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'].includes(m));
  if (unknown.length) throw badValue(path, `unknown mount mode "${unknown.join(',')}"`);
  const readOnly = modes.includes('ro') ? { readOnly: true } : {};
  if (/^[./~]/.test(source)) {
    if (!source.startsWith('/')) throw badValue(path, `relative bind mount "${source}" has no meaning on another device; use a named volume`);
    return { mount: { type: 'bind', source, target, ...readOnly }, anonymous: false };
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(source)) throw badValue(path, `"${source}" is not a volume name`);
  return { mount: { type: 'volume', source, target, ...readOnly }, anonymous: false };
}

/** List (`KEY=value`, or a bare `KEY` taken from `lookup`) or map form → a plain map. */
export function parseKeyValues(value: unknown, lookup: (name: string) => string | undefined, separator = '='): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const entry of value as string[]) {
      const i = entry.indexOf(separator);
      if (i < 0) {
        const v = lookup(entry);
        if (v !== undefined) out[entry] = v;
      } else out[entry.slice(0, i)] = entry.slice(i + 1);
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) {
        const looked = lookup(k);
        if (looked !== undefined) out[k] = looked;
      } else out[k] = String(v);
    }
  }
  return out;
}

export function parseCommand(value: unknown, path: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  const words = splitShellWords(String(value));
  if (!words) throw badValue(path, 'unbalanced quotes');
  return words;
}

export function parseSize(value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined;
  const n = parseBytes(value as string | number);
  if (n === undefined) throw badValue(path, `"${String(value)}" is not a size (e.g. 512M, 2G)`);
  return n;
}

export function parseSeconds(value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined;
  const n = parseDuration(value as string | number);
  if (n === undefined) throw badValue(path, `"${String(value)}" is not a duration (e.g. 30s, 1m30s)`);
  return n;
}

function parseCpus(value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw badValue(path, `"${String(value)}" is not a CPU count`);
  return n;
}

export function parseHealthcheck(value: unknown, path: string): HealthcheckSpec | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const hc = value as Record<string, unknown>;
  if (hc.disable === true) return { test: ['NONE'] };
  // Timing overrides without a test keep the image's own check, which the engine already has.
  if (hc.test === undefined) return undefined;
  const test = typeof hc.test === 'string' ? ['CMD-SHELL', hc.test] : (hc.test as string[]).map(String);
  if (!['CMD', 'CMD-SHELL', 'NONE'].includes(test[0]!)) throw badValue(`${path}/test`, 'must start with CMD, CMD-SHELL or NONE');
  const out: HealthcheckSpec = { test };
  const interval = parseSeconds(hc.interval, `${path}/interval`);
  const timeout = parseSeconds(hc.timeout, `${path}/timeout`);
  const startPeriod = parseSeconds(hc.start_period, `${path}/start_period`);
  if (interval !== undefined) out.intervalSeconds = interval;
  if (timeout !== undefined) out.timeoutSeconds = timeout;
  if (typeof hc.retries === 'number') out.retries = hc.retries;
  if (startPeriod !== undefined) out.startPeriodSeconds = startPeriod;
  return out;
}

export function parseDependsOn(value: unknown): NonNullable<ServiceSpec['dependsOn']> {
  const out: NonNullable<ServiceSpec['dependsOn']> = {};
  if (Array.isArray(value)) for (const name of value as string[]) out[name] = { condition: 'service_started' };
  else if (value && typeof value === 'object') {
    for (const [name, v] of Object.entries(value as Record<string, { condition?: string }>)) {
      out[name] = { condition: (v?.condition ?? 'service_started') as 'service_started' };
    }
  }
  return out;
}

export function parseResources(svc: Record<string, unknown>, path: string): ServiceSpec['resources'] | undefined {
  const res = (svc.deploy as { resources?: Record<string, Record<string, unknown> | undefined> } | undefined)?.resources ?? {};
  const limitMemory = parseSize(res.limits?.memory ?? svc.mem_limit, res.limits?.memory !== undefined ? `${path}/deploy/resources/limits/memory` : `${path}/mem_limit`);
  const limitCpus = parseCpus(res.limits?.cpus ?? svc.cpus, `${path}/deploy/resources/limits/cpus`);
  const reservedMemory = parseSize(
    res.reservations?.memory ?? svc.mem_reservation,
    res.reservations?.memory !== undefined ? `${path}/deploy/resources/reservations/memory` : `${path}/mem_reservation`,
  );
  const reservedCpus = parseCpus(res.reservations?.cpus, `${path}/deploy/resources/reservations/cpus`);
  const limits = { ...(limitMemory !== undefined ? { memoryBytes: limitMemory } : {}), ...(limitCpus !== undefined ? { cpus: limitCpus } : {}) };
  const reservations = { ...(reservedMemory !== undefined ? { memoryBytes: reservedMemory } : {}), ...(reservedCpus !== undefined ? { cpus: reservedCpus } : {}) };
  if (!Object.keys(limits).length && !Object.keys(reservations).length) return undefined;
  return { ...(Object.keys(limits).length ? { limits } : {}), ...(Object.keys(reservations).length ? { reservations } : {}) };
}

export function parseDevice(value: unknown, path: string): { host: string; container: string; permissions?: string } {
  if (value && typeof value === 'object') {
    const v = value as { source: string; target?: string; permissions?: string };
    return { host: v.source, container: v.target ?? v.source, ...(v.permissions ? { permissions: v.permissions } : {}) };
  }
  const parts = String(value).split(':');
  if (parts.length > 3 || !parts[0]!.startsWith('/')) throw badValue(path, `"${String(value)}" is not host-path[:container-path[:permissions]]`);
  const [host, container = host, permissions] = parts as [string, string?, string?];
  return { host, container, ...(permissions ? { permissions } : {}) };
}

export function parseRestart(value: unknown): ServiceSpec['restart'] {
  if (typeof value !== 'string') return undefined;
  return value.replace(/:\d+$/, '') as ServiceSpec['restart'];
}

export function parseList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}
