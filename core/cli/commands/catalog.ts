// `warren catalog list|search|show|import`. Browsing reads the catalog folders directly, so it works
// without a running hub; import writes native manifests and prints what could not be mapped.
import type { Command } from 'commander';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { Catalog, summarise, type AppSummary, type CatalogEntry } from '../../catalog/catalog.js';
import { catalogSources } from '../../catalog/index.js';
import { loadManifest } from '../../catalog/loader.js';
import { importCatalog, type ImportReport } from '../../catalog/importers/index.js';
import { inputsJsonSchema, requirementsOf } from '../../catalog/resolve.js';
import { formatBytes } from '../../catalog/units.js';
import { WarrenError, describeError } from '../../errors.js';
import { table, type CliContext } from '../context.js';

interface BrowseOptions {
  catalog?: string[];
  category?: string;
}

/** Loads the catalog; a manifest that does not validate fails the command after the listing. */
async function loadCatalog(cli: CliContext, opts: BrowseOptions): Promise<{ catalog: Catalog; failure?: WarrenError }> {
  const catalog = new Catalog({ sources: catalogSources(cli.dataDir(), opts.catalog) });
  const all = (await catalog.refresh()).problems;
  for (const p of all.filter((x) => x.kind === 'fetch')) process.stderr.write(`warren: warning: ${p.message}${p.hint ? ` (${p.hint})` : ''}\n`);
  const problems = all.filter((p) => p.kind === 'invalid');
  if (!problems.length) return { catalog };
  const failure = new WarrenError('WARREN_ERR_MANIFEST_INVALID', `${problems.length} catalog problem${problems.length === 1 ? '' : 's'}`, {
    details: problems.flatMap((p) => (p.details?.length ? p.details.map((d) => ({ path: `${p.location}${d.path}`, message: d.message })) : [{ path: p.location, message: p.message }])),
  });
  return { catalog, failure };
}

function appTable(apps: AppSummary[]): string {
  if (!apps.length) return 'no apps match';
  return table(
    ['ID', 'TITLE', 'VERSION', 'CATEGORIES', 'DATABASES'],
    apps.map((a) => [a.id, a.title, a.version, a.categories.join(', '), a.databases.join(', ') || '-']),
  );
}

function details(entry: CatalogEntry) {
  const m = entry.manifest;
  const r = requirementsOf(m);
  return {
    ...summarise(entry),
    ...(m.description ? { description: m.description } : {}),
    ...(m.website ? { website: m.website } : {}),
    location: entry.location,
    main: m.main,
    requirements: r,
    services: Object.fromEntries(Object.entries(m.document.services).map(([name, s]) => [name, { image: s.image, ...(m.sidecars[name] ? { sidecarFor: m.sidecars[name] } : {}) }])),
    inputs: inputsJsonSchema(m),
    secrets: Object.keys(m.secrets),
    ...(entry.readme ? { readme: entry.readme } : {}),
  };
}

function showText(d: ReturnType<typeof details>): string {
  const r = d.requirements;
  const lines = [
    `${d.title} (${d.id} ${d.version})`,
    d.tagline,
    ...(d.description ? ['', d.description] : []),
    '',
    `categories:    ${d.categories.join(', ')}`,
    `web UI:        service ${d.main.service}${d.main.port ? `, port ${d.main.port}${d.main.path}` : ' (none)'}`,
    `memory:        ${formatBytes(r.memoryBytes)} (${r.memorySource})${Object.entries(r.sidecarMemoryBytes).map(([ref, b]) => `, +${formatBytes(b)} if database "${ref}" runs bundled`).join('')}`,
    `disk:          ${r.diskBytes !== undefined ? formatBytes(r.diskBytes) : 'not declared'}`,
    `architectures: ${r.architectures.join(', ') || 'not declared'}`,
    `ports:         ${r.ports.map((p) => `${p.port}/${p.protocol}`).join(', ') || '-'}`,
    `devices:       ${r.devices.map((x) => `${x.path}${x.optional ? ' (optional)' : ''}`).join(', ') || '-'}`,
    `databases:     ${r.databases.map((db) => `${db.ref}: ${db.engine}${db.versions ? ` ${db.versions}` : ''}${db.extensions.length ? ` with ${db.extensions.join(', ')}` : ''}${db.dedicated ? ' (dedicated server)' : ''}`).join('; ') || '-'}`,
    `services:      ${Object.entries(d.services).map(([n, s]) => `${n} (${s.image}${s.sidecarFor ? `, bundled database for "${s.sidecarFor}"` : ''})`).join(', ')}`,
  ];
  const props = (d.inputs as { properties: Record<string, { title?: string; default?: unknown }> }).properties;
  const required = (d.inputs as { required: string[] }).required;
  if (Object.keys(props).length) {
    lines.push('', 'inputs:');
    for (const [name, p] of Object.entries(props)) {
      lines.push(`  ${name}${required.includes(name) ? ' (required)' : ''}: ${p.title ?? ''}${p.default !== undefined && p.default !== '' ? ` [default ${JSON.stringify(p.default)}]` : ''}`);
    }
  }
  if (d.secrets.length) lines.push('', `generated secrets: ${d.secrets.join(', ')}`);
  return lines.join('\n');
}

function reportText(written: { app: string; file: string }[], reports: ImportReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const file = written.find((w) => w.app === r.app);
    lines.push(`${r.error ? 'FAILED' : 'ok    '} ${r.app} (${r.format}) ${r.error ? `- ${r.error.message}` : `-> ${file?.file ?? '(not written)'}`}`);
    for (const d of r.error?.details ?? []) lines.push(`         ${d.path}: ${d.message}`);
    for (const u of r.unmapped) lines.push(`         not mapped ${u.path}: ${u.reason}`);
    for (const c of r.changed) lines.push(`         changed    ${c.path}: ${c.reason}`);
  }
  const failed = reports.filter((r) => r.error).length;
  lines.push('', `${written.length} imported, ${failed} failed, ${reports.reduce((n, r) => n + r.unmapped.length, 0)} settings not mapped`);
  return lines.join('\n');
}

export function register(program: Command, cli: CliContext): void {
  const catalog = program.command('catalog').description('browse the app catalog and import foreign catalogs');
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const browse = (cmd: Command) => cmd.option('--catalog <dir|url>', 'an extra catalog source (repeatable)', collect);

  browse(catalog.command('list', { isDefault: true }).description('list the apps (curated, imported and extra sources)'))
    .option('--category <name>', 'only apps in this category')
    .action(async (opts: BrowseOptions) => {
      try {
        const { catalog: c, failure } = await loadCatalog(cli, opts);
        cli.print(c.list({ ...(opts.category ? { category: opts.category } : {}) }), appTable);
        if (failure) cli.fail(failure);
      } catch (e) {
        cli.fail(e);
      }
    });

  browse(catalog.command('search <query...>').description('search titles, taglines, categories and ids'))
    .option('--category <name>', 'only apps in this category')
    .action(async (query: string[], opts: BrowseOptions) => {
      try {
        const { catalog: c } = await loadCatalog(cli, opts);
        cli.print(c.list({ q: query.join(' '), ...(opts.category ? { category: opts.category } : {}) }), appTable);
      } catch (e) {
        cli.fail(e);
      }
    });

  browse(catalog.command('categories').description('the categories and how many apps each has')).action(async (opts: BrowseOptions) => {
    try {
      const { catalog: c } = await loadCatalog(cli, opts);
      cli.print(c.categories(), (cats) => table(['CATEGORY', 'APPS'], cats.map((x) => [x.name, x.count])));
    } catch (e) {
      cli.fail(e);
    }
  });

  browse(catalog.command('show <id>').description('everything about one app: requirements, inputs, services')).action(async (id: string, opts: BrowseOptions) => {
    try {
      const { catalog: c } = await loadCatalog(cli, opts);
      cli.print(details(c.get(id)), showText);
    } catch (e) {
      cli.fail(e);
    }
  });

  catalog
    .command('validate <file...>')
    .description('check manifests (compose.yaml with x-warren) and list every problem with its path')
    .action(async (files: string[]) => {
      try {
        const results = await Promise.all(
          files.map(async (file) => {
            try {
              const m = loadManifest(await readFile(file, 'utf8'), { source: file });
              return { file, ok: true, app: m.id };
            } catch (e) {
              return { file, ok: false, error: describeError(e) };
            }
          }),
        );
        cli.print(results, (rs) => rs.map((r) => (r.ok ? `ok      ${r.file} (${r.app})` : [`invalid ${r.file}: ${r.error!.message}`, ...(r.error!.details ?? []).map((d) => `        ${d.path || '/'}: ${d.message}`)].join('\n'))).join('\n'));
        const bad = results.filter((r) => !r.ok).length;
        if (bad) cli.fail(new WarrenError('WARREN_ERR_MANIFEST_INVALID', `${bad} of ${results.length} manifest${results.length === 1 ? '' : 's'} invalid`));
      } catch (e) {
        cli.fail(e);
      }
    });

  catalog
    .command('import <source>')
    .description('turn a CasaOS, Portainer or Coolify catalog (folder, file or URL) into Warren manifests')
    .option('--out <dir>', 'where to write the manifests (default <data dir>/catalog/imported)')
    .option('--dry-run', 'report only; write nothing')
    .action(async (source: string, opts: { out?: string; dryRun?: boolean }) => {
      try {
        const result = await importCatalog(source);
        const curated = new Catalog({ sources: catalogSources(cli.dataDir()).filter((s) => s.id === 'curated') });
        await curated.refresh();
        const curatedIds = new Set(curated.list().map((a) => a.id));
        for (const r of result.reports) {
          if (!r.error && curatedIds.has(r.app)) r.changed.push({ path: '/x-warren/id', reason: `the curated catalog also has "${r.app}"; the curated app is the one listed` });
        }
        const out = resolve(opts.out ?? join(cli.dataDir(), 'catalog', 'imported'));
        const written: { app: string; file: string }[] = [];
        if (!opts.dryRun) {
          for (const m of result.manifests) {
            const dir = join(out, m.id);
            await mkdir(dir, { recursive: true });
            const file = join(dir, 'compose.yaml');
            await writeFile(file, `# Imported by warren catalog import from ${m.source}\n${stringify(m.document, { lineWidth: 0 })}`);
            written.push({ app: m.id, file });
          }
        }
        cli.print({ out, written, reports: result.reports }, (d) => reportText(d.written, d.reports));
        if (result.manifests.length === 0) {
          cli.fail(new WarrenError('WARREN_ERR_INVALID_INPUT', `nothing could be imported from ${source}`, { hint: 'the report above says why for each app' }));
        }
      } catch (e) {
        cli.fail(e);
      }
    });
}
