// CasaOS app-store apps: a Compose file with a top-level `x-casaos` block (title/tagline/description as
// `{ en_us: ... }` maps, `main` service, `port_map` = the published web port, `index` path, architectures)
// and host folders under /DATA/AppData/$AppID that only exist on a CasaOS machine.
import { emptyReport, finishImport, slugify, type ImportReport, type ImportResult } from './common.js';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** CasaOS localises text as `{ en_us: "...", de_de: "..." }`; older apps use plain strings. */
function localised(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (!isObject(v)) return undefined;
  const text = v.en_us ?? v.en_US ?? v.en ?? v.custom ?? Object.values(v)[0];
  return typeof text === 'string' ? text : undefined;
}

export function isCasaOsDocument(doc: unknown): boolean {
  return isObject(doc) && isObject(doc['x-casaos']) && isObject(doc.services);
}

/** Replaces the variables CasaOS sets itself; the rest stay as Compose variables and become inputs. */
function replaceCasaOsVariables(node: unknown, appId: string): unknown {
  if (typeof node === 'string') return node.replace(/\$\{AppID\}|\$AppID\b/g, appId);
  if (Array.isArray(node)) return node.map((v) => replaceCasaOsVariables(v, appId));
  if (isObject(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replaceCasaOsVariables(v, appId)]));
  return node;
}

function targetForPublished(svc: Record<string, unknown> | undefined, published: number): number | undefined {
  for (const p of (svc?.ports as unknown[] | undefined) ?? []) {
    if (isObject(p) && Number(p.published) === published) return Number(p.target);
    if (typeof p === 'string' || typeof p === 'number') {
      const m = /^(?:[\d.]+:)?(\d+):(\d+)(?:\/\w+)?$/.exec(String(p));
      if (m && Number(m[1]) === published) return Number(m[2]);
      if (String(p).replace(/\/\w+$/, '') === String(published)) return published;
    }
  }
  return undefined;
}

export function importCasaOs(doc: unknown, opts: { source: string; name?: string }): ImportResult {
  const x = isObject(doc) ? (doc['x-casaos'] as Record<string, unknown>) : {};
  const d = doc as Record<string, unknown>;
  const title = localised(x?.title) ?? (typeof d?.name === 'string' ? d.name : undefined) ?? opts.name ?? 'app';
  const id = slugify(typeof d?.name === 'string' ? d.name : opts.name ?? title);
  const report: ImportReport = emptyReport(id, opts.source, 'casaos');
  if (!isCasaOsDocument(doc)) {
    report.error = { message: 'not a CasaOS app: no x-casaos block or no services' };
    return { manifests: [], reports: [report] };
  }
  const replaced = replaceCasaOsVariables(doc, id) as Record<string, unknown>;
  const services = replaced.services as Record<string, Record<string, unknown>>;
  let mainService = typeof x.main === 'string' ? x.main : Object.keys(services)[0];
  const portMap = Number(localised(x.port_map) ?? x.port_map);
  let mainPort: number | undefined;
  const hostNetwork = services[mainService ?? '']?.network_mode === 'host';
  if (Number.isInteger(portMap) && portMap > 0 && hostNetwork) {
    mainPort = portMap;
  } else if (Number.isInteger(portMap) && portMap > 0) {
    mainPort = targetForPublished(services[mainService ?? ''], portMap);
    // Dify names its web service as main, but the page is served by the nginx in front of it.
    const publisher = mainPort === undefined ? Object.keys(services).find((n) => targetForPublished(services[n], portMap) !== undefined) : undefined;
    if (publisher) {
      report.changed.push({ path: '/x-casaos/main', reason: `"${mainService}" publishes no port ${portMap}; "${publisher}" does, so it is the main service` });
      mainService = publisher;
      mainPort = targetForPublished(services[publisher], portMap);
    } else if (mainPort === undefined) report.changed.push({ path: '/x-casaos/port_map', reason: `no port of "${mainService}" is published as ${portMap}; the web port is unknown` });
  }
  if (typeof x.scheme === 'string' && x.scheme !== 'http') {
    report.unmapped.push({ path: '/x-casaos/scheme', reason: `the app is served over ${x.scheme}; Warren links to it over http` });
  }
  const inputs: Record<string, { type: 'string' | 'integer'; title: string; default: string | number }> = {};
  const text = JSON.stringify(replaced.services);
  if (/\$\{?PUID\b/.test(text)) inputs.PUID = { type: 'integer', title: 'User id the app runs as', default: 1000 };
  if (/\$\{?PGID\b/.test(text)) inputs.PGID = { type: 'integer', title: 'Group id the app runs as', default: 1000 };
  if (/\$\{?TZ\b/.test(text)) inputs.TZ = { type: 'string', title: 'Time zone', default: 'Etc/UTC' };

  const manifest = finishImport(
    replaced,
    {
      id,
      title,
      ...(localised(x.tagline) ? { tagline: localised(x.tagline)! } : {}),
      ...(localised(x.description) ? { description: localised(x.description)! } : {}),
      categories: typeof x.category === 'string' ? [x.category] : Array.isArray(x.category) ? x.category.map(String) : [],
      ...(typeof x.icon === 'string' ? { icon: x.icon } : {}),
      ...(typeof (x.website ?? x.project_url) === 'string' ? { website: String(x.website ?? x.project_url) } : {}),
      ...(typeof x.version === 'string' && x.version !== 'latest' ? { version: x.version } : {}),
      ...(hostNetwork && mainPort !== undefined ? { hostPorts: [mainPort] } : {}),
      ...(mainService ? { mainService } : {}),
      ...(mainPort !== undefined ? { mainPort } : {}),
      ...(typeof x.index === 'string' ? { mainPath: x.index } : {}),
      ...(Array.isArray(x.architectures) ? { architectures: x.architectures.map(String) } : {}),
      inputs,
    },
    report,
    // App data lives under /DATA/AppData on CasaOS; on any other device it is just the app's volume.
    (hostPath) => hostPath.startsWith('/DATA/AppData/') || hostPath.startsWith('/var/lib/casaos'),
  );
  return { manifests: manifest ? [manifest] : [], reports: [report] };
}
