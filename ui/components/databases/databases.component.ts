import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { pools, poolSavings, type PoolView, type Savings } from '../../data/admin.js';
import { bytes } from '../../data/format.js';
import { shared } from '../shared/shared.styles.js';

/** Database servers (shared pools and dedicated ones), their databases per app with sizes and connections, and the isolation self-test results. */
export class WnDatabases extends LitElement {
  static override properties = { servers: { state: true }, savings: { state: true }, error: { state: true } };
  static override styles = shared;
  servers?: PoolView[];
  savings?: Savings;
  error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void Promise.all([pools(), poolSavings()]).then(
      ([p, s]) => { this.servers = p; this.savings = s; },
      (e) => { this.error = explain(e); },
    );
  }

  override render(): TemplateResult {
    return html`<h1>Databases</h1>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${this.savings ? html`<p>RAM saved by sharing servers: <strong>${bytes(this.savings.bytes)}</strong> <span class="badge">${this.savings.basis}</span></p>` : ''}
      ${!this.servers ? (this.error ? '' : html`<p aria-busy="true">Loading…</p>`) : this.servers.length === 0
        ? html`<p>No database servers yet. One is created on a device the first time an app there needs a database.</p>`
        : this.servers.map((s) => this.server(s))}`;
  }

  private server(s: PoolView): TemplateResult {
    return html`<section class="card" style="margin-bottom:1rem" data-server=${s.id}>
      <h2 style="margin-top:0">${s.engine} ${s.version ?? ''} on ${s.device} <span class="badge">${s.mode === 'pooled' ? 'shared' : `dedicated to ${s.app}`}</span> <span class="badge state-${s.state}">${s.state}</span></h2>
      <p class="muted">${s.memoryBytes !== undefined ? `${bytes(s.memoryBytes)} RAM · ` : ''}${s.connections ? `${s.connections.used} of ${s.connections.max} connections` : ''}</p>
      ${s.error ? html`<p role="alert" class="error">${s.error}</p>` : ''}
      ${s.databases.length === 0 ? html`<p>No databases.</p>` : html`<table>
        <thead><tr><th>Database</th><th>App</th><th>Size</th><th>Connections</th><th>Isolation self-test</th></tr></thead>
        <tbody>${s.databases.map((d) => html`<tr>
          <td>${d.database}<br><small class="muted">owner ${d.owner}</small></td>
          <td>${d.app ? html`<a href="#/apps/${encodeURIComponent(d.app)}">${d.app}</a>${d.ref ? ` (${d.ref})` : ''}` : '—'}</td>
          <td>${bytes(d.sizeBytes)}</td>
          <td>${d.connections}${d.connectionLimit ? ` / ${d.connectionLimit}` : ''}</td>
          <td>${d.isolation ? html`<span class=${d.isolation.ok ? 'ok' : 'error'}>${d.isolation.ok ? '✓ passed' : '✗ failed'}</span>
            ${d.isolation.checks?.length ? html`<details><summary>${d.isolation.checks.length} checks</summary><ul>${d.isolation.checks.map((c) => html`<li class=${c.ok ? 'ok' : 'error'}>${c.name}: ${c.message}</li>`)}</ul></details>` : ''}` : html`<span class="muted">not run</span>`}</td>
        </tr>`)}</tbody></table>`}
    </section>`;
  }
}
customElements.define('wn-databases', WnDatabases);
