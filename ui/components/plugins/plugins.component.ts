import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { plugins, restartInstance, testInstance, updateInstance, type Instance, type Plugin, type TestOutcome } from '../../data/admin.js';
import { time } from '../../data/format.js';
import { shared } from '../shared/shared.styles.js';
import type { WnSchemaForm } from '../schema-form/schema-form.component.js';
import '../schema-form/schema-form.component.js';

/** Installed plugins, their provider instances with health, and each instance's configuration form (from the provider's JSON Schema; secrets write-only) with Test connection. */
export class WnPlugins extends LitElement {
  static override properties = { list: { state: true }, instances: { state: true }, editing: { state: true }, tests: { state: true }, error: { state: true } };
  static override styles = shared;
  list?: Plugin[];
  instances: Instance[] = [];
  editing = '';
  tests: Record<string, TestOutcome | 'running'> = {};
  error = '';

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
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

  /** Secrets left empty keep their stored value, so a test without them uses the saved configuration. */
  private async test(i: Instance): Promise<void> {
    this.tests = { ...this.tests, [i.id]: 'running' };
    const form = this.form(i.id);
    let outcome: TestOutcome;
    try {
      outcome = await testInstance(i.id, form && i.secretsSet.length === 0 ? form.collect() : undefined);
    } catch (e) {
      outcome = { ok: false, message: explain(e) };
    }
    this.tests = { ...this.tests, [i.id]: outcome };
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

  override render(): TemplateResult {
    return html`<h1>Plugins</h1>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${!this.list ? html`<p aria-busy="true">Loading…</p>` : this.list.map((p) => this.plugin(p))}`;
  }

  private plugin(p: Plugin): TemplateResult {
    const mine = this.instances.filter((i) => i.plugin === p.name);
    return html`<section class="card" style="margin-bottom:1rem">
      <h2 style="margin-top:0">${p.name} <small class="muted">${p.version}${p.builtIn ? ' · built in' : ''}${p.isolation === 'process' ? ' · own process' : ''}</small> <span class="badge state-${p.state === 'loaded' ? 'ready' : 'failed'}">${p.state}</span></h2>
      ${p.error ? html`<p class="error">${p.error}</p>` : ''}
      <p class="muted">Providers: ${p.providers.map((x) => `${x.title} (${x.kind})`).join(', ')}</p>
      ${mine.length ? html`<table><thead><tr><th>Instance</th><th>Health</th><th><span class="sr-only">Actions</span></th></tr></thead><tbody>
        ${mine.map((i) => this.instance(p, i))}</tbody></table>` : html`<p class="muted">No instances.</p>`}
    </section>`;
  }

  private instance(p: Plugin, i: Instance): TemplateResult {
    const provider = p.providers.find((x) => x.id === i.provider && x.kind === i.kind) ?? p.providers.find((x) => x.id === i.provider);
    const t = this.tests[i.id];
    return html`<tr data-instance=${i.id}>
      <td>${i.id}<br><small class="muted">${provider?.title ?? i.provider}</small></td>
      <td><span class="badge state-${i.state}">${i.state}</span>${i.attempts ? html` <small class="muted">${i.attempts} attempts</small>` : ''}<br><small class="muted">since ${time(i.since)}</small>
        ${i.error || i.message ? html`<br><small class="error">${i.error ?? i.message}</small>` : ''}</td>
      <td><div class="row">
        ${provider?.hasTest ? html`<button class="secondary" @click=${() => this.test(i)} ?disabled=${t === 'running'}>${t === 'running' ? 'Testing…' : 'Test connection'}</button>` : ''}
        <button class="secondary" @click=${() => this.restart(i)}>Restart</button>
        <button class="secondary" aria-expanded=${this.editing === i.id} @click=${() => { this.editing = this.editing === i.id ? '' : i.id; }}>Configure</button></div>
        ${t && t !== 'running' ? html`<p role=${t.ok ? 'status' : 'alert'} class=${t.ok ? 'ok' : 'error'}>${t.ok ? '✓ ' : ''}${t.message ?? (t.ok ? 'works' : 'failed')}</p>` : ''}
      </td></tr>
      ${this.editing === i.id && provider ? html`<tr><td colspan="3">
        <form @submit=${(e: Event) => { e.preventDefault(); void this.save(i); }} aria-label="Configure ${i.id}">
          <wn-schema-form data-instance=${i.id} .schema=${provider.configSchema} .value=${i.config} .secretsSet=${i.secretsSet}></wn-schema-form>
          <div class="row"><button type="submit">Save and restart</button><button type="button" class="secondary" @click=${() => { this.editing = ''; }}>Cancel</button></div>
        </form></td></tr>` : ''}`;
  }
}
customElements.define('wn-plugins', WnPlugins);
