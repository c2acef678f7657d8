import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { events, type HubEvent } from '../../data/admin.js';
import { time } from '../../data/format.js';
import { onEvent } from '../../data/socket.js';
import { shared } from '../shared/shared.styles.js';

const DOMAINS = ['', 'device', 'app', 'operation', 'plugin', 'provider', 'auth', 'hub'];

/** Recent hub events, newest first, filterable by domain and text; new ones arrive live. */
export class WnEvents extends LitElement {
  static override properties = { query: { attribute: false }, list: { state: true }, domain: { state: true }, text: { state: true }, error: { state: true } };
  static override styles = shared;
  query = new URLSearchParams();
  list?: HubEvent[];
  domain = '';
  text = '';
  error = '';
  private stop?: () => void;
  private reload?: ReturnType<typeof setTimeout>;

  override connectedCallback(): void {
    super.connectedCallback();
    this.domain = this.query.get('domain') ?? '';
    void this.load();
    // A live event has no id yet; the list is read again (at most once a second, events come in bursts)
    // so that ids and filters stay right.
    this.stop = onEvent(() => {
      this.reload ??= setTimeout(() => {
        this.reload = undefined;
        void this.load();
      }, 1000);
    });
  }

  override disconnectedCallback(): void {
    this.stop?.();
    clearTimeout(this.reload);
    this.reload = undefined;
    super.disconnectedCallback();
  }

  private async load(): Promise<void> {
    try {
      this.list = (await events({ domain: this.domain || undefined, limit: 200 })).reverse();
      this.error = '';
    } catch (e) {
      this.error = explain(e);
    }
  }

  override render(): TemplateResult {
    const t = this.text.toLowerCase();
    const shown = (this.list ?? []).filter((e) => !t || `${e.type} ${JSON.stringify(e.payload)}`.toLowerCase().includes(t));
    return html`<h1>Events</h1>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      <div class="row" role="search" style="margin-bottom:1rem">
        <label>Domain <select @change=${(e: Event) => { this.domain = (e.target as HTMLSelectElement).value; void this.load(); }}>
          ${DOMAINS.map((d) => html`<option value=${d} ?selected=${d === this.domain}>${d || 'All'}</option>`)}</select></label>
        <label>Contains <input type="search" .value=${this.text} @input=${(e: Event) => { this.text = (e.target as HTMLInputElement).value; }}></label>
      </div>
      ${!this.list ? html`<p aria-busy="true">Loading…</p>` : shown.length === 0 ? html`<p>No events match.</p>` : html`
        <table><thead><tr><th>When</th><th>Event</th><th>Details</th></tr></thead>
        <tbody>${shown.map((e) => html`<tr><td><time datetime=${new Date(e.at).toISOString()}>${time(e.at)}</time></td><td>${e.type}</td>
          <td>${Object.entries(e.payload ?? {}).map(([k, v]) => html`<span>${k}: <strong>${typeof v === 'object' ? JSON.stringify(v) : String(v)}</strong></span> `)}</td></tr>`)}</tbody></table>`}`;
  }
}
customElements.define('wn-events', WnEvents);
