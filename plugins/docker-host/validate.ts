// Checks a StackSpec before anything is created on the engine. The spec reaches a provider from
// other processes and plugins, so it is checked as untrusted JSON; every problem is reported with its
// path, all at once.
import { WarrenError, type ErrorDetail } from '../../core/errors.js';
import type { StackSpec } from '../../core/providers/compose.js';

const PROJECT_RE = /^[a-z0-9][a-z0-9_-]*$/;
const SERVICE_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const KEY_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];
const RESTART = ['no', 'always', 'unless-stopped', 'on-failure'];
const MOUNT_TYPES = ['volume', 'bind', 'tmpfs'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isInt = (v: unknown, min: number, max: number): boolean => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isNum = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isFinite(v) && v >= min;
const isAbs = (v: unknown): boolean => isStr(v) && v.startsWith('/') && !v.split('/').includes('..');

class Problems {
  readonly list: ErrorDetail[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  /** Records a problem unless `ok`; returns `ok` so callers can skip checks that depend on the shape. */
  check(ok: boolean, path: string, message: string): boolean {
    if (!ok) this.add(path, message);
    return ok;
  }
}

function checkStringMap(p: Problems, v: unknown, path: string): void {
  if (v === undefined) return;
  if (!p.check(isObj(v), path, 'must be an object of strings')) return;
  for (const [k, val] of Object.entries(v as Obj)) p.check(isStr(val), `${path}/${k}`, 'must be a string');
}

function checkOptionalStrArray(p: Problems, v: unknown, path: string): void {
  if (v !== undefined) p.check(isStrArray(v), path, 'must be an array of strings');
}

function checkService(p: Problems, spec: Obj, name: string, svc: unknown): void {
  const base = `/services/${name}`;
  p.check(SERVICE_RE.test(name), base, 'service name must match [a-zA-Z0-9][a-zA-Z0-9_.-]*');
  if (!p.check(isObj(svc), base, 'must be an object')) return;
  const s = svc as Obj;
  const services = isObj(spec.services) ? spec.services : {};
  const networks = isObj(spec.networks) ? spec.networks : {};
  const volumes = isObj(spec.volumes) ? spec.volumes : {};

  p.check(isStr(s.image) && s.image.trim() !== '' && !/\s/.test(s.image), `${base}/image`, 'required: an image reference without spaces');
  if (s.command !== undefined) p.check(isStrArray(s.command), `${base}/command`, 'must be an array of strings (long form)');
  if (s.entrypoint !== undefined) p.check(isStrArray(s.entrypoint), `${base}/entrypoint`, 'must be an array of strings (long form)');
  checkStringMap(p, s.environment, `${base}/environment`);
  checkStringMap(p, s.labels, `${base}/labels`);
  checkStringMap(p, s.sysctls, `${base}/sysctls`);
  checkOptionalStrArray(p, s.aliases, `${base}/aliases`);
  checkOptionalStrArray(p, s.capAdd, `${base}/capAdd`);
  checkOptionalStrArray(p, s.capDrop, `${base}/capDrop`);
  checkOptionalStrArray(p, s.extraHosts, `${base}/extraHosts`);
  for (const k of ['user', 'workingDir', 'hostname', 'platform'] as const) {
    if (s[k] !== undefined) p.check(isStr(s[k]) && s[k] !== '', `${base}/${k}`, 'must be a non-empty string');
  }
  if (s.workingDir !== undefined && isStr(s.workingDir)) p.check(isAbs(s.workingDir), `${base}/workingDir`, 'must be an absolute path');
  if (s.privileged !== undefined) p.check(typeof s.privileged === 'boolean', `${base}/privileged`, 'must be a boolean');
  if (s.restart !== undefined) p.check(RESTART.includes(s.restart as string), `${base}/restart`, `must be one of ${RESTART.join(', ')}`);
  if (s.stopGracePeriodSeconds !== undefined) p.check(isNum(s.stopGracePeriodSeconds, 0), `${base}/stopGracePeriodSeconds`, 'must be a number ≥ 0');
  if (s.shmSizeBytes !== undefined) p.check(isInt(s.shmSizeBytes, 1, Number.MAX_SAFE_INTEGER), `${base}/shmSizeBytes`, 'must be a positive integer');
  if (s.tmpfs !== undefined && p.check(isStrArray(s.tmpfs), `${base}/tmpfs`, 'must be an array of strings')) {
    (s.tmpfs as string[]).forEach((t, i) => p.check(isAbs(t.split(':')[0]), `${base}/tmpfs/${i}`, 'must start with an absolute path'));
  }

  // Ports
  if (s.ports !== undefined && p.check(Array.isArray(s.ports), `${base}/ports`, 'must be an array of port objects (long form)')) {
    (s.ports as unknown[]).forEach((port, i) => {
      const pp = `${base}/ports/${i}`;
      if (!p.check(isObj(port), pp, 'must be an object { target, published?, protocol?, hostIp? }')) return;
      const o = port as Obj;
      p.check(isInt(o.target, 1, 65535), `${pp}/target`, 'must be an integer 1-65535');
      if (o.published !== undefined) p.check(isInt(o.published, 0, 65535), `${pp}/published`, 'must be an integer 0-65535');
      if (o.protocol !== undefined) p.check(o.protocol === 'tcp' || o.protocol === 'udp', `${pp}/protocol`, 'must be tcp or udp');
      if (o.hostIp !== undefined) p.check(isStr(o.hostIp), `${pp}/hostIp`, 'must be a string');
    });
  }

  // Mounts
  if (s.volumes !== undefined && p.check(Array.isArray(s.volumes), `${base}/volumes`, 'must be an array of mount objects (long form)')) {
    (s.volumes as unknown[]).forEach((m, i) => {
      const mp = `${base}/volumes/${i}`;
      if (!p.check(isObj(m), mp, 'must be an object { type, source, target }')) return;
      const o = m as Obj;
      if (!p.check(MOUNT_TYPES.includes(o.type as string), `${mp}/type`, 'must be volume, bind or tmpfs')) return;
      p.check(isAbs(o.target), `${mp}/target`, 'must be an absolute path in the container');
      if (o.type === 'volume') {
        if (p.check(isStr(o.source) && o.source !== '', `${mp}/source`, 'required: the key of a volume in /volumes')) {
          p.check(Object.hasOwn(volumes, o.source as string), `${mp}/source`, `volume "${String(o.source)}" is not declared in /volumes`);
        }
      } else if (o.type === 'bind') {
        p.check(isAbs(o.source), `${mp}/source`, 'must be an absolute host path');
      }
      if (o.readOnly !== undefined) p.check(typeof o.readOnly === 'boolean', `${mp}/readOnly`, 'must be a boolean');
    });
  }

  // Networks
  if (s.networks !== undefined && p.check(isStrArray(s.networks), `${base}/networks`, 'must be an array of network keys')) {
    (s.networks as string[]).forEach((n, i) => {
      p.check(n === 'default' || Object.hasOwn(networks, n), `${base}/networks/${i}`, `network "${n}" is not declared in /networks`);
    });
  }
  if (s.networkMode !== undefined) {
    if (p.check(isStr(s.networkMode), `${base}/networkMode`, 'must be a string')) {
      const mode = s.networkMode as string;
      p.check(/^(host|none|bridge|service:.+|container:.+)$/.test(mode), `${base}/networkMode`, 'must be host, none, bridge, service:<name> or container:<name>');
      if (mode.startsWith('service:')) {
        const target = mode.slice('service:'.length);
        p.check(Object.hasOwn(services, target) && target !== name, `${base}/networkMode`, `service "${target}" is not another service of the stack`);
      }
      if (s.networks !== undefined) p.add(`${base}/networks`, 'cannot be combined with networkMode');
    }
  }

  // Healthcheck
  if (s.healthcheck !== undefined && p.check(isObj(s.healthcheck), `${base}/healthcheck`, 'must be an object')) {
    const h = s.healthcheck as Obj;
    const hp = `${base}/healthcheck`;
    if (p.check(isStrArray(h.test) && h.test.length > 0, `${hp}/test`, 'must be ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]')) {
      const t = h.test as string[];
      p.check(
        (t[0] === 'CMD' && t.length > 1) || (t[0] === 'CMD-SHELL' && t.length === 2) || (t[0] === 'NONE' && t.length === 1),
        `${hp}/test`,
        'must be ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]',
      );
    }
    for (const k of ['intervalSeconds', 'timeoutSeconds', 'startPeriodSeconds'] as const) {
      if (h[k] !== undefined) p.check(isNum(h[k], 0) && (k === 'startPeriodSeconds' || (h[k] as number) >= 0.001), `${hp}/${k}`, 'must be a positive number');
    }
    if (h.retries !== undefined) p.check(isInt(h.retries, 0, 1000), `${hp}/retries`, 'must be an integer ≥ 0');
  }

  // depends_on
  if (s.dependsOn !== undefined && p.check(isObj(s.dependsOn), `${base}/dependsOn`, 'must be an object { <service>: { condition } }')) {
    for (const [dep, d] of Object.entries(s.dependsOn as Obj)) {
      const dp = `${base}/dependsOn/${dep}`;
      if (!p.check(Object.hasOwn(services, dep) && dep !== name, dp, `"${dep}" is not another service of the stack`)) continue;
      if (!p.check(isObj(d) && CONDITIONS.includes((d as Obj).condition as string), `${dp}/condition`, `must be one of ${CONDITIONS.join(', ')}`)) continue;
      if ((d as Obj).condition === 'service_healthy') {
        const depSvc = services[dep] as Obj | undefined;
        const test = isObj(depSvc?.healthcheck) ? (depSvc!.healthcheck as Obj).test : undefined;
        p.check(isStrArray(test) && test[0] !== 'NONE', `${dp}/condition`, `service_healthy needs a healthcheck on "${dep}"`);
      }
    }
  }

  // Resources
  if (s.resources !== undefined && p.check(isObj(s.resources), `${base}/resources`, 'must be an object { limits?, reservations? }')) {
    const r = s.resources as Obj;
    for (const kind of ['limits', 'reservations'] as const) {
      if (r[kind] === undefined) continue;
      if (!p.check(isObj(r[kind]), `${base}/resources/${kind}`, 'must be an object')) continue;
      const o = r[kind] as Obj;
      if (o.memoryBytes !== undefined) {
        // The kernel refuses memory limits under 6 MiB; say so before the engine does.
        p.check(isInt(o.memoryBytes, 6 * 1024 * 1024, Number.MAX_SAFE_INTEGER), `${base}/resources/${kind}/memoryBytes`, 'must be an integer ≥ 6 MiB');
      }
      if (o.cpus !== undefined) p.check(isNum(o.cpus, 0.001), `${base}/resources/${kind}/cpus`, 'must be a positive number');
    }
    const lim = isObj(r.limits) ? r.limits : {};
    const res = isObj(r.reservations) ? r.reservations : {};
    if (typeof lim.memoryBytes === 'number' && typeof res.memoryBytes === 'number' && res.memoryBytes > lim.memoryBytes) {
      p.add(`${base}/resources/reservations/memoryBytes`, 'must not exceed the memory limit');
    }
  }

  // Devices
  if (s.devices !== undefined && p.check(Array.isArray(s.devices), `${base}/devices`, 'must be an array of { host, container, permissions? }')) {
    (s.devices as unknown[]).forEach((d, i) => {
      const dp = `${base}/devices/${i}`;
      if (!p.check(isObj(d), dp, 'must be an object { host, container, permissions? }')) return;
      const o = d as Obj;
      p.check(isAbs(o.host), `${dp}/host`, 'must be an absolute host path');
      p.check(isAbs(o.container), `${dp}/container`, 'must be an absolute path in the container');
      if (o.permissions !== undefined) p.check(isStr(o.permissions) && /^[rwm]{1,3}$/.test(o.permissions), `${dp}/permissions`, 'must be a combination of r, w, m');
    });
  }
}

function findCycle(services: Obj): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'visiting');
    stack.push(n);
    const svc = isObj(services[n]) ? (services[n] as Obj) : {};
    const deps = isObj(svc.dependsOn) ? Object.keys(svc.dependsOn) : [];
    // `network_mode: service:<x>` needs x running first, like a dependency.
    if (isStr(svc.networkMode) && svc.networkMode.startsWith('service:')) deps.push(svc.networkMode.slice('service:'.length));
    for (const d of deps) {
      if (!Object.hasOwn(services, d) || d === n) continue;
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of Object.keys(services)) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/** Every problem of the spec, each with its JSON-pointer path; empty when it can be deployed. */
export function stackProblems(input: unknown): ErrorDetail[] {
  const p = new Problems();
  if (!p.check(isObj(input), '', 'must be an object')) return p.list;
  const spec = input as Obj;
  p.check(isStr(spec.project) && PROJECT_RE.test(spec.project), '/project', 'required: must match [a-z0-9][a-z0-9_-]*');
  checkStringMap(p, spec.labels, '/labels');
  if (spec.workingDir !== undefined) p.check(isStr(spec.workingDir), '/workingDir', 'must be a string');
  checkOptionalStrArray(p, spec.configFiles, '/configFiles');

  for (const kind of ['networks', 'volumes'] as const) {
    if (spec[kind] === undefined) continue;
    if (!p.check(isObj(spec[kind]), `/${kind}`, 'must be an object')) continue;
    for (const [key, v] of Object.entries(spec[kind] as Obj)) {
      const kp = `/${kind}/${key}`;
      p.check(KEY_RE.test(key), kp, 'key must match [a-zA-Z0-9][a-zA-Z0-9_.-]*');
      if (!p.check(isObj(v), kp, 'must be an object')) continue;
      const o = v as Obj;
      if (o.name !== undefined) p.check(isStr(o.name) && KEY_RE.test(o.name), `${kp}/name`, 'must match [a-zA-Z0-9][a-zA-Z0-9_.-]*');
      if (o.external !== undefined) p.check(typeof o.external === 'boolean', `${kp}/external`, 'must be a boolean');
      if (o.internal !== undefined) p.check(typeof o.internal === 'boolean', `${kp}/internal`, 'must be a boolean');
      checkStringMap(p, o.labels, `${kp}/labels`);
    }
  }

  if (p.check(isObj(spec.services) && Object.keys(spec.services).length > 0, '/services', 'required: at least one service')) {
    const services = spec.services as Obj;
    for (const [name, svc] of Object.entries(services)) checkService(p, spec, name, svc);
    const cycle = findCycle(services);
    if (cycle) p.add(`/services/${cycle[0]}/dependsOn`, `dependency cycle: ${cycle.join(' → ')}`);

    // Two services publishing the same host port would fail halfway through the deploy.
    const taken = new Map<string, string>();
    for (const [name, svc] of Object.entries(services)) {
      if (!isObj(svc) || !Array.isArray(svc.ports)) continue;
      (svc.ports as unknown[]).forEach((port, i) => {
        if (!isObj(port) || !isInt(port.published, 1, 65535)) return;
        const key = `${String(port.hostIp ?? '')}/${String(port.published)}/${String(port.protocol ?? 'tcp')}`;
        const path = `/services/${name}/ports/${i}/published`;
        const prev = taken.get(key);
        if (prev) p.add(path, `host port ${String(port.published)}/${String(port.protocol ?? 'tcp')} is already published at ${prev}`);
        else taken.set(key, path);
      });
    }
  }
  return p.list;
}

/** Throws WARREN_ERR_COMPOSE_INVALID listing every problem; returns the spec typed when it is valid. */
export function assertValidStack(input: unknown): StackSpec {
  const problems = stackProblems(input);
  if (problems.length > 0) {
    throw new WarrenError('WARREN_ERR_COMPOSE_INVALID', `the stack has ${problems.length} problem${problems.length > 1 ? 's' : ''}: ${problems.map((d) => `${d.path || '/'} ${d.message}`).join('; ')}`, {
      hint: 'fix the Compose file at the paths listed; nothing was created',
      details: problems,
    });
  }
  return input as StackSpec;
}
