// Portainer app templates (format v2 and v3: `{ version, templates: [...] }`; a bare array is v1).
// Type 1 is one container described field by field; types 2 (swarm) and 3 (compose) point at a
// Compose file in a git repository, imported when its text was fetched beforehand.
import { parse as parseYaml } from 'yaml';
import { VARIABLE_NAME_PATTERN, type InputSpec } from '../types.js';
import { nestingProblem } from '../yaml-guard.js';
import { emptyReport, finishImport, literal, slugify, type AppMeta, type ImportReport, type ImportResult } from './common.js';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

interface PortainerEnv {
  name?: unknown;
  label?: unknown;
  description?: unknown;
  default?: unknown;
  preset?: unknown;
  select?: { text?: unknown; value?: unknown; default?: unknown }[];
}

export function portainerTemplates(data: unknown): unknown[] | undefined {
  if (isObject(data) && Array.isArray(data.templates)) return data.templates;
  if (Array.isArray(data) && data.length > 0 && data.every((t) => isObject(t) && typeof t.title === 'string' && ('image' in t || 'repository' in t))) return data;
  return undefined;
}

/** The raw URL of a stack template's Compose file, for the caller to fetch (GitHub and GitLab style hosts). */
export function stackFileUrl(template: unknown): string | undefined {
  if (!isObject(template) || !isObject(template.repository)) return undefined;
  const url = String(template.repository.url ?? '').replace(/\.git$/, '').replace(/\/$/, '');
  const file = String(template.repository.stackfile ?? '').replace(/^\//, '');
  if (!file) return undefined;
  const gh = /^https:\/\/github\.com\/([^/]+)\/([^/]+)$/.exec(url);
  if (gh) return `https://raw.githubusercontent.com/${gh[1]}/${gh[2]}/HEAD/${file}`;
  if (/^https:\/\/(gitlab\.com|codeberg\.org)\//.test(url)) return `${url}/-/raw/HEAD/${file}`;
  return undefined;
}

function envInputs(env: unknown, report: ImportReport, base: string): { environment: Record<string, string>; inputs: Record<string, Partial<InputSpec> & { type: 'string' }> } {
  const environment: Record<string, string> = {};
  const inputs: Record<string, Partial<InputSpec> & { type: 'string' }> = {};
  if (!Array.isArray(env)) return { environment, inputs };
  env.forEach((raw, i) => {
    const e = (isObject(raw) ? raw : {}) as PortainerEnv;
    const name = String(e.name ?? '');
    if (!VARIABLE_NAME_PATTERN.test(name) || name.startsWith('WARREN_')) {
      report.unmapped.push({ path: `${base}/env/${i}`, reason: `"${name}" cannot be an environment variable name here` });
      return;
    }
    if (e.preset === true || e.preset === 'true') {
      environment[name] = literal(e.default);
      return;
    }
    const title = typeof e.label === 'string' && e.label ? e.label : name;
    if (Array.isArray(e.select) && e.select.length) {
      const values = e.select.map((s) => String(s?.value ?? ''));
      const chosen = e.select.find((s) => s?.default === true);
      inputs[name] = { type: 'string', title, enum: values, default: chosen ? String(chosen.value ?? '') : values[0]! };
    } else {
      inputs[name] = { type: 'string', title, default: e.default === undefined || e.default === null ? '' : String(e.default) };
    }
    if (typeof e.description === 'string' && e.description) inputs[name]!.description = e.description;
    environment[name] = `\${${name}}`;
  });
  return { environment, inputs };
}

function firstTcpTarget(ports: unknown[]): number | undefined {
  for (const p of ports) {
    const m = /^(?:.*:)?(\d+)(?:\/(tcp|udp))?$/.exec(String(p));
    if (m && m[2] !== 'udp') return Number(m[1]);
  }
  return undefined;
}

function containerTemplate(t: Record<string, unknown>, id: string, report: ImportReport, base: string): { doc: Record<string, unknown>; inputs: AppMeta['inputs']; mainPort?: number } {
  const image = String(t.image ?? '');
  const svc: Record<string, unknown> = { image: typeof t.registry === 'string' && t.registry ? `${t.registry.replace(/\/$/, '')}/${image}` : image };
  const { environment, inputs } = envInputs(t.env, report, base);
  if (Object.keys(environment).length) svc.environment = environment;
  const ports: string[] = [];
  (Array.isArray(t.ports) ? t.ports : []).forEach((p, i) => {
    if (typeof p === 'string' || typeof p === 'number') ports.push(String(p));
    else report.unmapped.push({ path: `${base}/ports/${i}`, reason: 'a port must be written as "published:target/protocol"' });
  });
  if (ports.length) {
    svc.ports = ports.map((p, i) => {
      if (/^\d+(\/(tcp|udp))?$/.test(p)) {
        const [port, proto] = p.split('/');
        report.changed.push({ path: `${base}/ports/${i}`, reason: `container port ${port} published on the same host port` });
        return `${port}:${port}${proto ? `/${proto}` : ''}`;
      }
      return p;
    });
  }
  const volumes: string[] = [];
  const named: Record<string, null> = {};
  (Array.isArray(t.volumes) ? t.volumes : []).forEach((raw, i) => {
    // Portainer 1.x wrote volumes as strings: "/var/lib/registry", or "host-path:/container[:ro]".
    let v: unknown = raw;
    if (typeof raw === 'string') {
      const m = /^(?:([^:]+):)?(\/[^:]*)(?::(ro|rw))?$/.exec(raw.trim());
      v = m ? { container: m[2], ...(m[1] ? { bind: m[1] } : {}), ...(m[3] === 'ro' ? { readonly: true } : {}) } : raw;
      if (m) report.changed.push({ path: `${base}/volumes/${i}`, reason: `volume written as a string (Portainer 1.x) read as ${m[1] ? `${m[1]} on ` : 'a volume on '}${m[2]}` });
    }
    if (!isObject(v) || typeof v.container !== 'string') {
      report.unmapped.push({ path: `${base}/volumes/${i}`, reason: 'a volume needs a container path' });
      return;
    }
    const container = v.container.split(':')[0]!;
    const ro = v.readonly === true ? ':ro' : '';
    if (typeof v.bind === 'string' && v.bind) volumes.push(`${v.bind}:${container}${ro}`);
    else {
      let name = slugify(container).replace(/-/g, '_') || 'data';
      while (name in named) name += '_';
      named[name] = null;
      volumes.push(`${name}:${container}${ro}`);
    }
  });
  if (volumes.length) svc.volumes = volumes;
  if (typeof t.restart_policy === 'string') svc.restart = t.restart_policy;
  if (t.privileged === true) svc.privileged = true;
  if (typeof t.hostname === 'string' && t.hostname) svc.hostname = t.hostname;
  if (typeof t.command === 'string' && t.command) svc.command = literal(t.command);
  if (t.network === 'host') svc.network_mode = 'host';
  else if (typeof t.network === 'string' && t.network && t.network !== 'bridge') report.unmapped.push({ path: `${base}/network`, reason: `network "${t.network}" is not created by the app; it joins its own network` });
  if (Array.isArray(t.labels)) {
    svc.labels = Object.fromEntries(t.labels.filter(isObject).map((l) => [String(l.name), literal(l.value)]));
  }
  if (t.interactive === true) report.unmapped.push({ path: `${base}/interactive`, reason: 'interactive containers are not supported' });
  const doc: Record<string, unknown> = { services: { [id]: svc } };
  if (Object.keys(named).length) doc.volumes = named;
  const mainPort = firstTcpTarget(ports);
  return { doc, inputs, ...(mainPort !== undefined ? { mainPort } : {}) };
}

/**
 * `stackFiles` maps a template's index to the text of its Compose file (fetched by the caller from
 * {@link stackFileUrl}); stack templates without one are reported, not guessed.
 */
export function importPortainer(data: unknown, opts: { source: string; stackFiles?: Map<number, string> }): ImportResult {
  const templates = portainerTemplates(data) ?? [];
  const result: ImportResult = { manifests: [], reports: [] };
  const ids = new Set<string>();
  templates.forEach((raw, i) => {
    const base = `/templates/${i}`;
    const t = isObject(raw) ? raw : {};
    const title = String(t.title ?? t.name ?? `template ${i}`);
    let id = slugify(String(t.name ?? t.title ?? `template-${i}`));
    for (let n = 2; ids.has(id); n++) id = `${slugify(String(t.name ?? t.title ?? 'template')).slice(0, 58)}-${n}`;
    ids.add(id);
    const report = emptyReport(id, `${opts.source}#${base}`, 'portainer');
    result.reports.push(report);
    if (t.platform === 'windows') {
      report.error = { message: 'Windows container templates cannot run on Warren devices' };
      return;
    }
    // Portainer 1.x spelled the types out: "container", "stack" (a swarm stack).
    const type = typeof t.type === 'string' && !/^\d+$/.test(t.type) ? ({ container: 1, stack: 2, swarm: 2, compose: 3 } as Record<string, number>)[t.type.toLowerCase()] ?? Number.NaN : Number(t.type ?? 1);
    let doc: unknown;
    let inputs: AppMeta['inputs'];
    let mainPort: number | undefined;
    if (type === 1) {
      if (typeof t.image !== 'string' || !t.image) {
        report.error = { message: 'container template without an image' };
        return;
      }
      ({ doc, inputs, mainPort } = containerTemplate(t, id, report, base));
    } else if (type === 2 || type === 3) {
      const text = opts.stackFiles?.get(i);
      if (text === undefined) {
        const where = isObject(t.repository) ? `${String(t.repository.url)} (${String(t.repository.stackfile)})` : 'an unnamed repository';
        report.error = { message: `stack template: its Compose file lives in ${where} and was not fetched`, details: [{ path: `${base}/repository`, message: 'import the Compose file from a clone, or import the templates from a URL with network access' }] };
        return;
      }
      const tooDeep = nestingProblem(text);
      if (tooDeep) {
        report.error = { message: `stack file is not readable: YAML ${tooDeep}` };
        return;
      }
      try {
        doc = parseYaml(text, { maxAliasCount: 100 });
      } catch (e) {
        report.error = { message: `stack file is not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
        return;
      }
      ({ inputs } = envInputs(t.env, report, base));
      if (type === 2) report.changed.push({ path: `${base}/type`, reason: 'swarm stack deployed as a plain Compose project' });
    } else {
      report.error = { message: `unknown template type ${String(t.type)}` };
      return;
    }
    const description = [t.description, t.note].filter((s) => typeof s === 'string' && s).map(String).join('\n\n');
    const manifest = finishImport(
      doc,
      {
        id,
        title,
        ...(typeof t.description === 'string' ? { tagline: t.description.split(/(?<=\.)\s/)[0]! } : {}),
        ...(description ? { description } : {}),
        categories: Array.isArray(t.categories) ? t.categories.map(String) : [],
        ...(typeof t.logo === 'string' && t.logo ? { icon: t.logo } : {}),
        ...(mainPort !== undefined ? { mainPort } : {}),
        ...(inputs && Object.keys(inputs).length ? { inputs } : {}),
      },
      report,
      // Portainer's own data folder holds per-app files only on the Portainer host.
      (hostPath) => hostPath.startsWith('/portainer/'),
    );
    if (manifest) result.manifests.push(manifest);
  });
  return result;
}
