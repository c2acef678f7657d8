// Coolify service templates: a Compose file whose header comments carry the metadata
// (`# documentation:`, `# slogan:`, `# tags:`, `# category:`, `# logo:`, `# port:`), and whose "magic"
// variables Coolify fills in: SERVICE_FQDN_<NAME>[_<PORT>] / SERVICE_URL_* (the public address),
// SERVICE_USER_*, SERVICE_PASSWORD_[64_]*, SERVICE_BASE64_[64_|128_]*, SERVICE_REALBASE64_*, SERVICE_HEX_*.
import { parseDocument } from 'yaml';
import type { InputSpec, SecretSpec } from '../types.js';
import { nestingProblem } from '../yaml-guard.js';
import { emptyReport, finishImport, slugify, type ImportReport, type ImportResult } from './common.js';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function coolifyHeader(text: string): Record<string, string> {
  const header: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^#\s*([a-z_]+):\s*(.*)$/i.exec(line);
    if (!m) {
      if (line.startsWith('#')) continue;
      break;
    }
    header[m[1]!.toLowerCase()] = m[2]!.trim();
  }
  return header;
}

export function looksLikeCoolify(text: string): boolean {
  const h = coolifyHeader(text);
  return (('slogan' in h || 'documentation' in h) && /^services:/m.test(text)) || /\bSERVICE_(FQDN|URL|PASSWORD|USER)_[A-Z0-9_]+/.test(text);
}

function magicSecret(name: string): SecretSpec | undefined {
  let m: RegExpExecArray | null;
  if (/^SERVICE_USER_/.test(name)) return { length: 16, charset: 'alpha' };
  if ((m = /^SERVICE_PASSWORD_(64_)?/.exec(name))) return { length: m[1] ? 64 : 32, charset: 'alphanumeric' };
  if ((m = /^SERVICE_BASE64_(64_|128_)?/.exec(name))) return { length: m[1] ? Number(m[1].slice(0, -1)) : 32, charset: 'alphanumeric' };
  if (/^SERVICE_REALBASE64_(64_)?/.test(name)) return { length: /_64_/.test(name) ? 64 : 32, charset: 'base64' };
  if ((m = /^SERVICE_HEX_(\d+)_/.exec(name))) return { length: Math.min(512, Math.max(8, Number(m[1]) * 2)), charset: 'hex' };
  return undefined;
}

function titleFromName(name: string): string {
  return name.split(/[-_]/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');
}

/** Removes the bare `SERVICE_FQDN_X_3000` entries Coolify reads as declarations and returns the ports they name. */
function takeFqdnDeclarations(services: Record<string, Record<string, unknown>>, report: ImportReport): { service: string; name: string; port?: number }[] {
  const found: { service: string; name: string; port?: number }[] = [];
  for (const [svcName, svc] of Object.entries(services)) {
    const env = svc.environment;
    const entries: [string, string | undefined][] = Array.isArray(env)
      ? env.map((e) => {
          const s = String(e);
          const i = s.indexOf('=');
          return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
        })
      : isObject(env)
        ? Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? undefined : String(v)])
        : [];
    const kept: [string, string | undefined][] = [];
    for (const [key, value] of entries) {
      const m = /^SERVICE_(FQDN|URL)_([A-Z0-9]+(?:_[A-Z0-9]+)*?)(?:_(\d+))?$/.exec(key);
      if (m && (value === undefined || value === '' || value.startsWith('/'))) {
        found.push({ service: svcName, name: `SERVICE_${m[1]}_${m[2]}`, ...(m[3] ? { port: Number(m[3]) } : {}) });
        if (value) report.unmapped.push({ path: `/services/${svcName}/environment/${key}`, reason: `Coolify routes the path ${value} through its proxy; Warren publishes the port` });
        continue;
      }
      kept.push([key, value]);
    }
    if (Array.isArray(env)) svc.environment = kept.map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
    else if (isObject(env)) svc.environment = Object.fromEntries(kept.map(([k, v]) => [k, v ?? null]));
  }
  return found;
}

export function importCoolify(text: string, opts: { source: string; name: string }): ImportResult {
  const id = slugify(opts.name);
  const report = emptyReport(id, opts.source, 'coolify');
  const tooDeep = nestingProblem(text);
  if (tooDeep) {
    report.error = { message: `not readable: YAML ${tooDeep}` };
    return { manifests: [], reports: [report] };
  }
  const parsed = parseDocument(text, { merge: true });
  if (parsed.errors.length) {
    report.error = { message: `not valid YAML: ${parsed.errors[0]!.message.split('\n')[0]}` };
    return { manifests: [], reports: [report] };
  }
  let doc: unknown;
  try {
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (e) {
    report.error = { message: `YAML could not be read: ${e instanceof Error ? e.message : String(e)}` };
    return { manifests: [], reports: [report] };
  }
  if (!isObject(doc) || !isObject(doc.services)) {
    report.error = { message: 'a Coolify template must be a Compose file with services' };
    return { manifests: [], reports: [report] };
  }
  const header = coolifyHeader(text);
  const services = doc.services as Record<string, Record<string, unknown>>;
  for (const [name, svc] of Object.entries(services)) {
    if (isObject(svc) && 'exclude_from_hc' in svc) {
      delete svc.exclude_from_hc;
      report.changed.push({ path: `/services/${name}/exclude_from_hc`, reason: 'Coolify-only health flag dropped' });
    }
  }
  const declared = isObject(services) ? takeFqdnDeclarations(services, report) : [];
  const headerPort = Number(header.port);
  const main = declared.find((d) => d.port !== undefined) ?? declared[0];
  const mainPort = Number.isInteger(headerPort) && headerPort > 0 ? headerPort : main?.port;

  const secrets: Record<string, SecretSpec> = {};
  const inputs: Record<string, Partial<InputSpec> & { type: 'string' }> = {};
  for (const m of text.matchAll(/\$\{?(SERVICE_[A-Z0-9_]+)/g)) {
    const name = m[1]!;
    if (secrets[name] || inputs[name]) continue;
    const secret = magicSecret(name);
    if (secret) {
      secrets[name] = secret;
      continue;
    }
    const url = /^SERVICE_(FQDN|URL)_([A-Z0-9_]+?)(?:_(\d+))?$/.exec(name);
    if (url) {
      const port = Number(url[3] ?? declared.find((d) => d.name === `SERVICE_${url[1]}_${url[2]}`)?.port ?? mainPort ?? 80);
      inputs[name] = { type: 'string', title: `Public URL of ${url[2]!.toLowerCase()}`, default: `http://localhost:${port}`, pattern: '^https?://' };
      report.changed.push({ path: `/x-warren/inputs/${name}`, reason: 'Coolify fills this with the public address it assigns; here it is an input' });
    }
  }
  const categories = header.category ? header.category.split(',') : header.tags ? header.tags.split(',').slice(0, 3).map((t) => titleFromName(t.trim())) : [];
  const website = header.documentation?.replace(/\?utm_source=coolify\.io$/, '');
  const logo = header.logo;
  const manifest = finishImport(
    doc,
    {
      id,
      title: titleFromName(opts.name),
      ...(header.slogan ? { tagline: header.slogan } : {}),
      categories,
      ...(logo ? { icon: /^https?:\/\//.test(logo) ? logo : `https://raw.githubusercontent.com/coollabsio/coolify/main/public/${logo.replace(/^\//, '')}` } : {}),
      ...(website ? { website } : {}),
      ...(main ? { mainService: main.service } : {}),
      ...(mainPort !== undefined ? { mainPort } : {}),
      secrets,
      inputs,
      publishMainPort: true,
    },
    report,
    () => false,
  );
  return { manifests: manifest ? [manifest] : [], reports: [report] };
}

/**
 * Coolify also publishes every template in one file, `templates/service-templates.json`: a map from
 * name to the header fields plus the Compose file in base64.
 */
export function isCoolifyServiceTemplates(data: unknown): data is Record<string, Record<string, unknown>> {
  if (!isObject(data)) return false;
  const values = Object.values(data);
  return values.length > 0 && values.every((v) => isObject(v) && typeof v.compose === 'string');
}

export function importCoolifyServiceTemplates(data: Record<string, Record<string, unknown>>, opts: { source: string }): ImportResult {
  const result: ImportResult = { manifests: [], reports: [] };
  for (const [name, t] of Object.entries(data)) {
    const header = (['documentation', 'slogan', 'category', 'logo', 'port'] as const)
      .filter((k) => t[k] !== undefined && t[k] !== null && String(t[k]).trim() !== '')
      .map((k) => `# ${k}: ${String(t[k]).replace(/\n/g, ' ')}`);
    if (Array.isArray(t.tags)) header.push(`# tags: ${t.tags.map(String).join(',')}`);
    const compose = Buffer.from(String(t.compose), 'base64').toString('utf8');
    const part = importCoolify(`${header.join('\n')}\n\n${compose}`, { source: `${opts.source}#/${name}`, name });
    result.manifests.push(...part.manifests);
    result.reports.push(...part.reports);
  }
  return result;
}
