import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { catalogApp, catalogApps, categories, iconUrl, type CatalogApp, type CatalogSummary } from '../../data/catalog.js';
import { bytes } from '../../data/format.js';
import { styles } from './catalog.styles.js';
import './app-icon.component.js';

/** The catalog: search and categories; `#/catalog/<id>` shows one app with what it needs. */
export class WnCatalog extends LitElement {
  static override properties = { param: {}, query: { attribute: false }, apps: { state: true }, cats: { state: true }, app: { state: true }, error: { state: true } };
  static override styles = styles;
  param?: string;
  query = new URLSearchParams();
  apps?: CatalogSummary[];
  cats: { name: string; count: number }[] = [];
  app?: CatalogApp;
  error = '';
  private q = '';
  private category = '';
  private debounce?: ReturnType<typeof setTimeout>;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('param') || !this.hasUpdated) {
      this.error = '';
      if (this.param) void this.loadApp(this.param);
      else {
        this.category = this.query.get('category') ?? '';
        void this.search();
        if (!this.cats.length) categories().then((c) => { this.cats = c; }, (e) => { this.error = explain(e); });
      }
    }
  }

  private async loadApp(id: string): Promise<void> {
    this.app = undefined;
    try {
      this.app = await catalogApp(id);
    } catch (e) {
      this.error = explain(e);
    }
  }

  private async search(): Promise<void> {
    try {
      this.apps = await catalogApps({ q: this.q, category: this.category });
    } catch (e) {
      this.error = explain(e);
    }
  }

  override render(): TemplateResult {
    const err = this.error ? html`<p role="alert" class="error">${this.error}</p>` : '';
    if (this.param) return html`<p><a href="#/catalog">← Catalog</a></p>${err}${this.app ? this.renderApp(this.app) : this.error ? '' : html`<p aria-busy="true">Loading…</p>`}`;
    return html`
      <h1>Catalog</h1>${err}
      <div class="filters" role="search">
        <label>Search apps <input type="search" .value=${this.q} placeholder="name, purpose…"
          @input=${(e: Event) => { this.q = (e.target as HTMLInputElement).value; clearTimeout(this.debounce); this.debounce = setTimeout(() => void this.search(), 200); }}></label>
        <label>Category <select @change=${(e: Event) => { this.category = (e.target as HTMLSelectElement).value; void this.search(); }}>
          <option value="">All categories</option>
          ${this.cats.map((c) => html`<option value=${c.name} ?selected=${c.name === this.category}>${c.name} (${c.count})</option>`)}
        </select></label>
      </div>
      <p class="sr-only" aria-live="polite">${this.apps ? `${this.apps.length} apps` : ''}</p>
      ${!this.apps ? html`<p aria-busy="true">Loading…</p>` : this.apps.length === 0 ? html`<p>No app matches. Try another word or all categories.</p>` : html`
        <ul class="grid apps" role="list">${this.apps.map((a) => html`<li class="card app" data-app=${a.id}>
          <wn-app-icon .src=${iconUrl(a)} .name=${a.title}></wn-app-icon>
          <div><h2><a href="#/catalog/${encodeURIComponent(a.id)}">${a.title}</a></h2>
            <p>${a.tagline ?? ''}</p><p class="muted">${a.categories.join(' · ')}${a.databases?.length ? ` · needs ${a.databases.join(', ')}` : ''}</p></div>
        </li>`)}</ul>`}
    `;
  }

  private renderApp(a: CatalogApp): TemplateResult {
    const r = a.requirements;
    return html`
      <div class="head"><wn-app-icon .src=${iconUrl(a)} .name=${a.title}></wn-app-icon><h1 style="margin:0">${a.title} <small class="muted">${a.version}</small></h1></div>
      <p>${a.description ?? a.tagline ?? ''}</p>
      <p><a class="button" href="#/install/${encodeURIComponent(a.id)}">Install…</a> ${a.website ? html`<a href=${a.website} rel="noopener" target="_blank">Website</a>` : ''}</p>
      <h2>Requirements</h2>
      <dl>
        <dt>Memory</dt><dd>${bytes(r.memoryBytes)}</dd>
        <dt>Disk</dt><dd>${bytes(r.diskBytes)}</dd>
        <dt>Architectures</dt><dd>${r.architectures?.length ? r.architectures.join(', ') : 'any'}</dd>
        <dt>Databases</dt><dd>${r.databases?.length ? r.databases.map((d) => html`<div>${d.ref}: ${d.engine} ${d.versions ?? ''}${d.extensions?.length ? ` with ${d.extensions.join(', ')}` : ''}${d.dedicated ? ' (dedicated server)' : ' (shared pool when possible)'}</div>`) : 'none'}</dd>
        <dt>Ports</dt><dd>${r.ports?.length ? r.ports.map((p) => `${p.port}/${p.protocol}`).join(', ') : 'none'}</dd>
        ${r.devices?.length ? html`<dt>Devices</dt><dd>${r.devices.map((d) => `${d.path}${d.optional ? ' (optional)' : ''}`).join(', ')}</dd>` : ''}
        <dt>Images</dt><dd>${Object.entries(a.services).map(([name, s]) => html`<div><code>${s.image}</code> <span class="muted">(${name}${s.sidecarFor ? `, dropped when a pool provides ${s.sidecarFor}` : ''})</span></div>`)}</dd>
        <dt>Categories</dt><dd>${a.categories.join(', ')}</dd>
        <dt>Source</dt><dd>${a.source}</dd>
      </dl>
      ${a.readme ? html`<h2>About</h2><pre>${a.readme}</pre>` : ''}
    `;
  }
}
customElements.define('wn-catalog', WnCatalog);
