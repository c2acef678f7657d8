import { LitElement, html, nothing, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { appAction, followLogs, getApp, openUrl, removeApp, type AppDetail, type AppView } from '../../data/apps.js';
import { catalogApp } from '../../data/catalog.js';
import { getDevice } from '../../data/fleet.js';
import { appStatus, time } from '../../data/format.js';
import { SubscriptionController } from '../../data/subscription-controller.js';
import { styles } from './apps.styles.js';

type Action = 'start' | 'stop' | 'restart' | 'update' | 'remove';

/** Installed apps, live from the `apps` room; `#/apps/<id>` shows one app with its actions, address and live logs. */
export class WnApps extends LitElement {
  static override properties = { param: {}, detail: { state: true }, url: { state: true }, error: { state: true }, notice: { state: true }, lines: { state: true }, following: { state: true } };
  static override styles = styles;
  param?: string;
  detail?: AppDetail;
  url?: string;
  error = '';
  notice = '';
  lines: string[] = [];
  following = false;
  private logs?: AbortController;
  private readonly live = new SubscriptionController<{ apps: AppView[] }>(this, 'apps', (_c, u) => {
    if (this.param) void this.loadDetail();
    return u;
  });

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('param') || !this.hasUpdated) {
      this.stopLogs();
      this.detail = undefined;
      this.url = undefined;
      this.lines = [];
      this.error = '';
      if (this.param) void this.loadDetail();
    }
  }

  override disconnectedCallback(): void {
    this.stopLogs();
    super.disconnectedCallback();
  }

  private async loadDetail(): Promise<void> {
    const id = this.param!;
    try {
      const detail = await getApp(id);
      if (id !== this.param) return;
      this.detail = detail;
      if (!this.url) {
        const [device, entry] = await Promise.all([detail.device ? getDevice(detail.device).catch(() => undefined) : undefined, catalogApp(detail.catalogId).catch(() => undefined)]);
        this.url = openUrl(detail, device?.connection.type === 'socket' ? undefined : device?.connection.host, entry?.main);
      }
    } catch (e) {
      this.error = explain(e);
    }
  }

  private async act(id: string, action: Action): Promise<void> {
    if (action === 'remove' && !confirm(`Remove ${id}? Its containers and database are deleted${'\n'}(its data volume too).`)) return;
    this.error = '';
    try {
      if (action === 'remove') {
        this.stopLogs();
        await removeApp(id, true);
      } else await appAction(id, action);
      this.notice = `${action} of ${id} started; the status below follows it.`;
      if (action === 'remove' && this.param) location.hash = '#/apps';
    } catch (e) {
      this.error = explain(e);
    }
  }

  private toggleLogs(): void {
    if (this.following) return this.stopLogs();
    const abort = new AbortController();
    this.logs = abort;
    this.following = true;
    this.lines = [];
    followLogs(this.param!, (l) => {
      this.lines = [...this.lines.slice(-999), l];
      void this.updateComplete.then(() => {
        const pre = this.renderRoot.querySelector('.logs');
        if (pre) pre.scrollTop = pre.scrollHeight;
      });
    }, abort.signal)
      .catch((e) => { this.error = explain(e); })
      .finally(() => { if (this.logs === abort) this.following = false; });
  }

  private stopLogs(): void {
    this.logs?.abort();
    this.logs = undefined;
    this.following = false;
  }

  private actions(a: AppView): TemplateResult {
    const busy = !!a.operation;
    const running = a.status === 'running';
    const b = (action: Action, label: string, cls = 'secondary') => html`<button class=${cls} ?disabled=${busy} @click=${() => this.act(a.id, action)} aria-label="${label} ${a.title ?? a.id}">${label}</button>`;
    return html`<div class="row">${running ? b('stop', 'Stop') : b('start', 'Start')}${b('restart', 'Restart')}${b('update', 'Update')}${b('remove', 'Remove', 'danger')}</div>`;
  }

  override render(): TemplateResult {
    const err = this.error ? html`<p role="alert" class="error">${this.error}</p>` : '';
    const note = this.notice ? html`<p role="status" class="muted">${this.notice}</p>` : '';
    if (this.param) return this.renderDetail(err, note);
    const apps = this.live.value?.apps;
    return html`<h1>Apps</h1>${err}${note}${this.live.error ? html`<p role="alert" class="error">${this.live.error}</p>` : ''}
      ${!apps ? html`<p aria-busy="true">Loading…</p>` : apps.length === 0 ? html`<p>Nothing installed yet. Pick an app in the <a href="#/catalog">catalog</a>.</p>` : html`
        <table><thead><tr><th>App</th><th>Status</th><th class="hide-narrow">Device</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${apps.map((a) => html`<tr data-app=${a.id}>
          <td><a href="#/apps/${encodeURIComponent(a.id)}">${a.title ?? a.id}</a><br><small class="muted">${a.catalogId} ${a.catalogVersion}</small></td>
          <td>${this.badge(a.status)}${a.operation ? html` <small class="muted">working…</small>` : ''}</td>
          <td class="hide-narrow">${a.device ?? '—'}</td>
          <td>${this.actions(a)}</td></tr>`)}</tbody></table>`}`;
  }

  /** The status badge: colour by the status, text in words (`rolling-back` reads "rolling back"). */
  private badge(status: string | undefined): TemplateResult {
    const { label, title } = appStatus(status);
    return html`<span class="badge state-${status}" data-status=${status ?? ''} title=${title ?? nothing}>${label}</span>`;
  }

  private renderDetail(err: unknown, note: unknown): TemplateResult {
    const d = this.detail;
    const live = this.live.value?.apps.find((a) => a.id === this.param);
    const status = live?.status ?? d?.status;
    return html`<p><a href="#/apps">← All apps</a></p>${err}${note}
      ${!d ? (this.error ? '' : html`<p aria-busy="true">Loading…</p>`) : html`
        <h1>${d.title ?? d.id} ${this.badge(status)}</h1>
        <div class="row">${this.url && status === 'running' ? html`<a class="button" href=${this.url} target="_blank" rel="noopener">Open ${d.title ?? d.id}</a>` : ''}${this.actions(live ?? d)}</div>
        ${d.statusError ? html`<p class="error">${d.statusError}</p>` : ''}
        <dl>
          <dt>Device</dt><dd>${d.device ? html`<a href="#/devices/${encodeURIComponent(d.device)}">${d.device}</a>` : '—'}</dd>
          <dt>Catalog</dt><dd><a href="#/catalog/${encodeURIComponent(d.catalogId)}">${d.catalogId}</a> ${d.catalogVersion}</dd>
          <dt>Address</dt><dd>${this.url ?? 'no published port'}</dd>
          <dt>Installed</dt><dd>${time(d.createdAt)}</dd>
          <dt>Services</dt><dd>${d.services.map((s) => html`<div>${s.service}: <span class="state-${s.state}">${s.state}</span>${s.health && s.health !== 'none' ? ` (${s.health})` : ''} <code>${s.image}</code> ${s.ports.filter((p) => p.published).map((p) => `${p.published}→${p.target}/${p.protocol}`).join(', ')}</div>`)}</dd>
        </dl>
        <h2>Logs</h2>
        <button class="secondary" @click=${this.toggleLogs} aria-pressed=${this.following}>${this.following ? 'Stop following logs' : 'Follow logs'}</button>
        ${this.following || this.lines.length ? html`<pre class="logs" role="log" aria-label="Logs of ${d.id}" tabindex="0">${this.lines.join('\n')}</pre>` : ''}`}`;
  }
}
customElements.define('wn-apps', WnApps);
