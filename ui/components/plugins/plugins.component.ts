import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import {
  createInstance,
  plugins,
  problem,
  removeInstance,
  restartInstance,
  testConfig,
  testInstance,
  updateInstance,
  type Instance,
  type Plugin,
  type Provider,
  type TestOutcome,
} from '../../data/admin.js';
import { time } from '../../data/format.js';
import { shared } from '../shared/shared.styles.js';
import type { WnSchemaForm } from '../schema-form/schema-form.component.js';
import '../schema-form/schema-form.component.js';

const KINDS: Record<string, string> = { 'container-host': 'runs containers', 'database-pool': 'database server', 'metrics-source': 'metrics' };
const NEW = '+new';

/**
 * Installed plugins, their provider instances with health, each instance's configuration form (from the
 * provider's JSON Schema; secrets write-only) with Test connection, and a form to add a new instance of
 * any provider.
 */
export class WnPlugins extends LitElement {
  static override properties = {
    list: { state: true },
    instances: { state: true },
    editing: { state: true },
    tests: { state: true },
    error: { state: true },
    adding: { state: true },
    choice: { state: true },
    saving: { state: true },
  };
  static override styles = shared;
  list?: Plugin[];
  instances: Instance[] = [];
  editing = '';
  tests: Record<string, TestOutcome | 'running'> = {};
  error = '';
  /** The add form is open. */
  adding = false;
  /** The provider chosen in the add form, as `plugin␀provider`. */
  choice = '';
  saving = false;

  private poll?: ReturnType<typeof setInterval>;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    // Instances start and retry in the background: their health is read again while the page is open.
    this.poll = setInterval(() => {
      if (this.instances.some((i) => i.state !== 'ready' && i.state !== 'stopped')) void this.load();
    }, 3000);
  }

  override disconnectedCallback(): void {
    clearInterval(this.poll);
    super.disconnectedCallback();
  }

  private async load(): Promise<void> {
    try {
      const r = await plugins();
      this.list = r.plugins;
      this.instances = r.instances;
    } catch (e) {
      this.error = explain(e);
    }
  }

  private form(id: string): WnSchemaForm | null {
    return this.renderRoot.querySelector<WnSchemaForm>(`wn-schema-form[data-instance="${id}"]`);
  }

  private chosen(): { plugin: Plugin; provider: Provider } | undefined {
    const [pn, pid] = this.choice.split('\u0000');
    const plugin = this.list?.find((p) => p.name === pn);
    const provider = plugin?.providers.find((x) => x.id === pid);
    return plugin && provider ? { plugin, provider } : undefined;
  }

  /** Secrets left empty keep their stored value: the hub fills them in from the saved configuration. */
  private async test(i: Instance): Promise<void> {
    this.tests = { ...this.tests, [i.id]: 'running' };
    const form = this.form(i.id);
    let outcome: TestOutcome;
    try {
      outcome = await testInstance(i.id, form ? form.collect() : undefined);
    } catch (e) {
      outcome = { ok: false, message: explain(e) };
    }
    this.tests = { ...this.tests, [i.id]: outcome };
  }

  private async testNew(): Promise<void> {
    const c = this.chosen();
    const form = this.form(NEW);
    if (!c || !form || !form.validate()) return;
    this.tests = { ...this.tests, [NEW]: 'running' };
    let outcome: TestOutcome;
    try {
      outcome = await testConfig(c.plugin.name, c.provider.id, form.collect());
    } catch (e) {
      outcome = { ok: false, message: explain(e) };
    }
    this.tests = { ...this.tests, [NEW]: outcome };
  }

  private async create(e: Event): Promise<void> {
    e.preventDefault();
    const c = this.chosen();
    const form = this.form(NEW);
    const idInput = this.renderRoot.querySelector<HTMLInputElement>('#new-id');
    if (!c || !form || !idInput?.reportValidity() || !form.validate()) return;
    this.saving = true;
    try {
      await createInstance({ id: idInput.value.trim(), plugin: c.plugin.name, provider: c.provider.id, config: form.collect() });
      this.adding = false;
      this.choice = '';
      const { [NEW]: _, ...rest } = this.tests;
      this.tests = rest;
      this.error = '';
      await this.load();
    } catch (err) {
      this.tests = { ...this.tests, [NEW]: { ok: false, message: explain(err) } };
    } finally {
      this.saving = false;
    }
  }

  private async save(i: Instance): Promise<void> {
    const form = this.form(i.id);
    if (!form || !form.validate()) return;
    try {
      await updateInstance(i.id, form.collect());
      this.editing = '';
      await this.load();
    } catch (e) {
      this.error = explain(e);
    }
  }

  private async restart(i: Instance): Promise<void> {
    try {
      await restartInstance(i.id);
      await this.load();
    } catch (e) {
      this.error = explain(e);
    }
  }

  private async removeOne(i: Instance): Promise<void> {
    if (!confirm(`Remove the provider instance "${i.id}"? Its stored configuration and secrets are deleted.`)) return;
    try {
      await removeInstance(i.id);
      await this.load();
    } catch (e) {
      this.error = explain(e);
    }
  }

  override render(): TemplateResult {
    return html`<div class="row"><h1 style="flex:1">Plugins</h1>
        ${this.list ? html`<button aria-expanded=${this.adding} @click=${() => { this.adding = !this.adding; }}>Add a provider instance</button>` : ''}</div>
      <p class="muted">Devices added on the Devices page get their instances automatically. Add one here for anything else a plugin can reach, such as a metrics source over SSH.</p>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${this.adding && this.list ? this.addForm(this.list) : ''}
      ${!this.list ? (this.error ? '' : html`<p aria-busy="true">Loading…</p>`) : this.list.map((p) => this.plugin(p))}`;
  }

  private result(t: TestOutcome | 'running' | undefined): TemplateResult | string {
    if (!t || t === 'running') return '';
    return html`<p role=${t.ok ? 'status' : 'alert'} class="test-result ${t.ok ? 'ok' : 'error'}">${t.ok ? '✓ ' : ''}${t.message ?? (t.ok ? 'works' : 'failed')}</p>`;
  }

  private addForm(list: Plugin[]): TemplateResult {
    const c = this.chosen();
    const t = this.tests[NEW];
    return html`<section class="card" style="margin-bottom:1rem">
      <form @submit=${this.create} aria-labelledby="add-heading">
        <h2 id="add-heading" style="margin:0">New provider instance</h2>
        <label for="new-provider">Provider
          <select id="new-provider" required @change=${(e: Event) => {
            this.choice = (e.target as HTMLSelectElement).value;
            const { [NEW]: _, ...rest } = this.tests;
            this.tests = rest;
          }}>
            <option value="" ?selected=${!c}>Choose what to connect…</option>
            ${list.filter((p) => p.state === 'loaded' && p.providers.length).map((p) => html`<optgroup label=${p.name}>
              ${p.providers.map((x) => html`<option value=${`${p.name}\u0000${x.id}`} ?selected=${c?.provider === x}>${x.title} (${KINDS[x.kind] ?? x.kind})</option>`)}
            </optgroup>`)}
          </select></label>
        ${c ? html`
          <label for="new-id">Instance id <small>lower-case letters, digits, dot, dash or underscore; it names this instance everywhere</small>
            <input id="new-id" required pattern="[a-z0-9][a-z0-9_.\\-]{0,62}" autocomplete="off" placeholder=${`${c.provider.id}-1`}></label>
          <wn-schema-form data-instance=${NEW} .schema=${c.provider.configSchema} .value=${{}} .secretsSet=${[]}></wn-schema-form>
          ${this.result(t)}
          <div class="row">
            ${c.provider.hasTest ? html`<button type="button" class="secondary" @click=${this.testNew} ?disabled=${t === 'running'}>${t === 'running' ? 'Testing…' : 'Test connection'}</button>` : ''}
            <button type="submit" ?disabled=${this.saving}>${this.saving ? 'Saving…' : 'Save instance'}</button>
            <button type="button" class="secondary" @click=${() => { this.adding = false; }}>Cancel</button>
          </div>` : ''}
      </form></section>`;
  }

  private plugin(p: Plugin): TemplateResult {
    const mine = this.instances.filter((i) => i.plugin === p.name);
    return html`<section class="card" style="margin-bottom:1rem" data-plugin=${p.name}>
      <h2 style="margin-top:0">${p.name} <small class="muted">${p.version}${p.builtIn ? ' · built in' : ''}${p.isolation === 'process' ? ' · own process' : ''}</small> <span class="badge state-${p.state === 'loaded' ? 'ready' : 'failed'}">${p.state}</span></h2>
      ${p.error ? html`<p class="error">${problem(p.error)}</p>` : ''}
      <p class="muted">Providers: ${p.providers.map((x) => `${x.title} (${KINDS[x.kind] ?? x.kind})`).join(', ')}</p>
      ${mine.length ? html`<table><thead><tr><th>Instance</th><th>Health</th><th><span class="sr-only">Actions</span></th></tr></thead><tbody>
        ${mine.map((i) => this.instance(p, i))}</tbody></table>` : html`<p class="muted">No instances.</p>`}
    </section>`;
  }

  private instance(p: Plugin, i: Instance): TemplateResult {
    const provider = p.providers.find((x) => x.id === i.provider && x.kind === i.kind) ?? p.providers.find((x) => x.id === i.provider);
    const t = this.tests[i.id];
    const why = i.error ? problem(i.error) : i.message;
    return html`<tr data-instance=${i.id}>
      <td>${i.id}<br><small class="muted">${provider?.title ?? i.provider}</small></td>
      <td><span class="badge state-${i.state}">${i.state}</span>${i.attempts ? html` <small class="muted">${i.attempts} attempts</small>` : ''}<br><small class="muted">since ${time(i.since)}</small>
        ${why ? html`<br><small class="error">${why}</small>` : ''}</td>
      <td><div class="row">
        ${provider?.hasTest ? html`<button class="secondary" @click=${() => this.test(i)} ?disabled=${t === 'running'}>${t === 'running' ? 'Testing…' : 'Test connection'}</button>` : ''}
        <button class="secondary" @click=${() => this.restart(i)}>Restart</button>
        <button class="secondary" aria-expanded=${this.editing === i.id} @click=${() => { this.editing = this.editing === i.id ? '' : i.id; }}>Configure</button>
        <button class="secondary" aria-label="Remove ${i.id}" @click=${() => this.removeOne(i)}>Remove</button></div>
        ${this.result(t)}
      </td></tr>
      ${this.editing === i.id && provider ? html`<tr><td colspan="3">
        <form @submit=${(e: Event) => { e.preventDefault(); void this.save(i); }} aria-label="Configure ${i.id}">
          <wn-schema-form data-instance=${i.id} .schema=${provider.configSchema} .value=${i.config} .secretsSet=${i.secretsSet}></wn-schema-form>
          <div class="row"><button type="submit">Save and restart</button><button type="button" class="secondary" @click=${() => { this.editing = ''; }}>Cancel</button></div>
        </form></td></tr>` : ''}`;
  }
}
customElements.define('wn-plugins', WnPlugins);
