import { LitElement, css, html, type TemplateResult } from 'lit';
import { explain, HubError } from '../../data/api.js';
import { dumpDatabase, moveDatabase, pools, poolSavings, restoreDatabase, type PoolView, type Savings } from '../../data/admin.js';
import { appAction, listApps, waitOperation, type AppView } from '../../data/apps.js';
import { bytes } from '../../data/format.js';
import { shared } from '../shared/shared.styles.js';

type Db = PoolView['databases'][number];
interface Work { busy: boolean; text: string; ok?: boolean }

/**
 * Database servers (shared pools and dedicated ones), their databases per app with sizes and
 * connections and the isolation self-test results; per app database: download a dump, restore one
 * from a file, move it into the shared server or onto a dedicated one. Long work shows what it is
 * doing; failures say what went wrong and what to do.
 */
export class WnDatabases extends LitElement {
  static override properties = { servers: { state: true }, savings: { state: true }, apps: { state: true }, error: { state: true }, work: { state: true } };
  static override styles = [shared, css`
    .scroll { overflow-x: auto; }
    label.file { display: inline-block; font-weight: 400; }
    label.file.disabled { opacity: .55; pointer-events: none; }
    input[type=file]:focus-visible + label.file { outline: 3px solid var(--wn-focus); outline-offset: 2px; }
  `];
  servers?: PoolView[];
  savings?: Savings;
  apps: AppView[] = [];
  error = '';
  /** What is going on per database, by `app/ref`. */
  work: Record<string, Work> = {};

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const [p, s, a] = await Promise.all([pools(), poolSavings(), listApps().catch(() => [] as AppView[])]);
      this.servers = p;
      this.savings = s;
      this.apps = a;
      this.error = '';
    } catch (e) {
      this.error = explain(e);
    }
  }

  private set(key: string, w: Work): void {
    this.work = { ...this.work, [key]: w };
  }

  private async download(app: string, ref: string): Promise<void> {
    const key = `${app}/${ref}`;
    this.set(key, { busy: true, text: 'Dumping the database…' });
    try {
      const { blob, filename } = await dumpDatabase(app, ref, (n) => this.set(key, { busy: true, text: `Dumping the database… ${bytes(n)} received` }));
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.set(key, { busy: false, ok: true, text: `Downloaded ${filename} (${bytes(blob.size)}).` });
    } catch (e) {
      this.set(key, { busy: false, ok: false, text: `The dump failed: ${explain(e)}` });
    }
  }

  private async restore(app: string, ref: string, input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const key = `${app}/${ref}`;
    if (!confirm(`Replace everything in ${app}'s database "${ref}" with ${file.name} (${bytes(file.size)})? If the restore fails, what is in it now is put back. Stop ${app} before restoring so it does not write meanwhile.`)) return;
    this.set(key, { busy: true, text: `Uploading ${file.name}…` });
    try {
      await restoreDatabase(app, ref, file, (sent, total) =>
        this.set(key, { busy: true, text: sent < total ? `Uploading ${file.name}… ${bytes(sent)} of ${bytes(total)}` : `Uploaded ${bytes(total)}; the server is loading it…` }));
      this.set(key, { busy: false, ok: true, text: `Restored from ${file.name}.` });
      await this.load();
    } catch (e) {
      // The server's own words say what was wrong with the file; the generic "look at the log" hint does not help here.
      const why = e instanceof HubError ? e.error.message : explain(e);
      this.set(key, { busy: false, ok: false, text: `The restore failed: ${why}. Is the file a plain SQL dump of this database, as Download dump makes?` });
    }
  }

  /** Stops the app if it runs, moves its database, then redeploys the app so that it uses the new server. */
  private async move(app: string, ref: string, to: 'pool' | 'dedicated'): Promise<void> {
    const key = `${app}/${ref}`;
    const a = this.apps.find((x) => x.id === app);
    const running = a?.status === 'running';
    const where = to === 'pool' ? 'the shared database server' : 'a dedicated database server of its own';
    if (!confirm(`Move ${app}'s database "${ref}" to ${where}?${running ? ` ${app} is stopped while its data is copied and checked, then redeployed to use it.` : ''}`)) return;
    const step = (text: string) => this.set(key, { busy: true, text });
    try {
      if (running) {
        step(`Stopping ${app}…`);
        const op = await waitOperation((await appAction(app, 'stop')).operation, (m) => step(`Stopping ${app}: ${m}`));
        if (op.state !== 'done') throw new Error(`${app} did not stop (${op.error ?? op.state}); nothing was moved`);
      }
      step(to === 'pool' ? 'Copying the data into the shared server and comparing row counts…' : 'Starting a dedicated server, copying the data and comparing row counts… (a minute or more)');
      const r = await moveDatabase(app, ref, to);
      let text = `Moved: the database is now ${r.mode === 'pooled' ? 'in the shared server' : 'on a dedicated server'} (${r.server}).`;
      if (a) {
        step(`${text} Redeploying ${app} with it…`);
        const op = await waitOperation((await appAction(app, 'update')).operation, (m) => step(`Redeploying ${app}: ${m}`));
        text += op.state === 'done' ? ` ${app} was redeployed and uses it.` : ` ${app} could not be redeployed (${op.error ?? op.state}): use Update on the Apps page.`;
        this.set(key, { busy: false, ok: op.state === 'done', text });
      } else this.set(key, { busy: false, ok: true, text });
    } catch (e) {
      this.set(key, { busy: false, ok: false, text: `The move failed: ${explain(e)}${running ? ` ${app} is stopped; start it from the Apps page.` : ''}` });
    }
    await this.load();
  }

  override render(): TemplateResult {
    return html`<h1>Databases</h1>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${this.savings && this.servers?.length ? html`<p>RAM saved by sharing servers: <strong>${bytes(this.savings.bytes)}</strong> <span class="badge">${this.savings.basis}</span></p>` : ''}
      ${!this.servers ? (this.error ? '' : html`<p aria-busy="true">Loading…</p>`) : this.servers.length === 0
        ? html`<div class="card"><p style="margin-top:0"><strong>No database servers yet.</strong></p>
            <p>Warren starts a shared Postgres or MariaDB server on a device the first time an app installed there needs a database, and gives each app its own database and user in it. Install an app that uses a database from the <a href="#/catalog">catalog</a>.</p></div>`
        : this.servers.map((s) => this.server(s))}`;
  }

  private server(s: PoolView): TemplateResult {
    return html`<section class="card" style="margin-bottom:1rem" data-server=${s.id}>
      <h2 style="margin-top:0">${s.engine} ${s.version ?? ''} on ${s.device} <span class="badge">${s.mode === 'pooled' ? 'shared' : `dedicated to ${s.app}`}</span> <span class="badge state-${s.state}">${s.state}</span></h2>
      <p class="muted">${s.memoryBytes !== undefined ? `${bytes(s.memoryBytes)} RAM · ` : ''}${s.connections ? `${s.connections.used} of ${s.connections.max} connections` : ''}</p>
      ${s.error ? html`<p role="alert" class="error">${s.error}</p>` : ''}
      ${s.databases.length === 0 ? html`<p>No databases.</p>` : html`<div class="scroll"><table>
        <thead><tr><th>Database</th><th>App</th><th>Size</th><th>Connections</th><th>Isolation self-test</th><th><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${s.databases.map((d) => this.database(s, d))}</tbody></table></div>`}
    </section>`;
  }

  private database(s: PoolView, d: Db): TemplateResult {
    const key = d.app ? `${d.app}/${d.ref ?? 'main'}` : '';
    const w = this.work[key];
    return html`<tr data-database=${d.database}>
      <td>${d.database}<br><small class="muted">owner ${d.owner}</small></td>
      <td>${d.app ? html`<a href="#/apps/${encodeURIComponent(d.app)}">${d.app}</a>${d.ref ? ` (${d.ref})` : ''}` : '—'}</td>
      <td>${bytes(d.sizeBytes)}</td>
      <td>${d.connections}${d.connectionLimit ? ` / ${d.connectionLimit}` : ''}</td>
      <td>${d.isolation ? html`<span class=${d.isolation.ok ? 'ok' : 'error'}>${d.isolation.ok ? '✓ passed' : '✗ failed'}</span>
        ${d.isolation.checks?.length ? html`<details><summary>${d.isolation.checks.length} checks</summary><ul>${d.isolation.checks.map((c) => html`<li class=${c.ok ? 'ok' : 'error'}>${c.name}: ${c.message}</li>`)}</ul></details>` : ''}` : html`<span class="muted">not run</span>`}</td>
      <td>${d.app ? this.actions(s, d.app, d.ref ?? 'main', w) : ''}</td>
    </tr>
    ${w ? html`<tr><td colspan="6"><p role=${w.busy ? 'status' : w.ok ? 'status' : 'alert'} aria-live="polite" class="db-work ${w.busy ? '' : w.ok ? 'ok' : 'error'}" data-for=${key} ?aria-busy=${w.busy}>${w.text}</p></td></tr>` : ''}`;
  }

  private actions(s: PoolView, app: string, ref: string, w: Work | undefined): TemplateResult {
    const busy = w?.busy ?? false;
    const fileId = `restore-${s.id}-${app}-${ref}`.replace(/[^a-zA-Z0-9_-]/g, '_');
    return html`<div class="row">
      <button class="secondary" ?disabled=${busy} aria-label="Download a dump of ${app}'s database" @click=${() => this.download(app, ref)}>Download dump</button>
      <input type="file" id=${fileId} class="sr-only" accept=".sql,.dump,.gz,application/sql,text/plain" ?disabled=${busy}
        aria-label="Restore ${app}'s database from a file" @change=${(e: Event) => this.restore(app, ref, e.target as HTMLInputElement)}>
      <label for=${fileId} class="button secondary file ${busy ? 'disabled' : ''}" aria-hidden="true">Restore from file…</label>
      ${s.mode === 'pooled'
        ? html`<button class="secondary" ?disabled=${busy} aria-label="Move ${app}'s database to a dedicated server" @click=${() => this.move(app, ref, 'dedicated')}>Move to a dedicated server</button>`
        : html`<button class="secondary" ?disabled=${busy} aria-label="Move ${app}'s database into the shared server" @click=${() => this.move(app, ref, 'pool')}>Move into the shared server</button>`}
    </div>`;
  }
}
customElements.define('wn-databases', WnDatabases);
