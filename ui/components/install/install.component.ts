import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { install, place, type Candidate, type OperationView, type PlacementResult } from '../../data/apps.js';
import { catalogApp, type CatalogApp } from '../../data/catalog.js';
import { bytes, percent } from '../../data/format.js';
import { SubscriptionController } from '../../data/subscription-controller.js';
import type { WnSchemaForm } from '../schema-form/schema-form.component.js';
import { styles } from './install.styles.js';
import '../schema-form/schema-form.component.js';

type OperationRoom = { operation?: OperationView; progress?: OperationView['progress'] };

const CRITERIA: Record<string, string> = { ram: 'RAM', storage: 'Storage', cpu: 'CPU capability', load: 'Current load', reliability: 'Reliability' };
const DONE = ['done', 'failed', 'rolled_back'];

/** The install wizard: the app's inputs, the placement with every device's explanation, then the operation's live progress. */
export class WnInstall extends LitElement {
  static override properties = { param: {}, app: { state: true }, placement: { state: true }, chosen: { state: true }, error: { state: true }, step: { state: true }, operationId: { state: true }, installedApp: { state: true }, busy: { state: true } };
  static override styles = styles;
  param = '';
  app?: CatalogApp;
  placement?: PlacementResult;
  chosen = '';
  error = '';
  step: 'inputs' | 'placement' | 'progress' = 'inputs';
  operationId = '';
  installedApp = '';
  busy = false;
  private inputs: Record<string, unknown> = {};
  private readonly op = new SubscriptionController<OperationRoom, OperationRoom>(this, '', (c, u) => ({
    operation: u.operation ?? c?.operation,
    progress: u.progress ?? (u.operation ? undefined : c?.progress),
  }));

  override willUpdate(changed: Map<string, unknown>): void {
    if ((changed.has('param') || !this.hasUpdated) && this.param) void this.load();
  }

  private async load(): Promise<void> {
    this.step = 'inputs';
    this.error = '';
    try {
      this.app = await catalogApp(this.param);
    } catch (e) {
      this.error = explain(e);
    }
  }

  private async toPlacement(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    const form = this.renderRoot.querySelector<WnSchemaForm>('wn-schema-form');
    if (form && !form.validate()) return;
    this.inputs = form?.collect() ?? {};
    await this.rank();
  }

  private async rank(): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      this.placement = await place(this.param);
      this.chosen = this.placement.recommended ?? '';
      this.step = 'placement';
    } catch (e) {
      this.error = explain(e);
    } finally {
      this.busy = false;
    }
  }

  private async confirm(): Promise<void> {
    this.busy = true;
    this.error = '';
    try {
      const r = await install({ app: this.param, device: this.chosen, inputs: this.inputs });
      this.operationId = r.operation;
      this.installedApp = r.app;
      this.op.setRoom(`operation:${r.operation}`);
      this.step = 'progress';
    } catch (e) {
      this.error = explain(e);
    } finally {
      this.busy = false;
    }
  }

  override render(): TemplateResult {
    const a = this.app;
    const steps = [['inputs', 'Settings'], ['placement', 'Where it runs'], ['progress', 'Install']] as const;
    return html`
      <p><a href="#/catalog/${encodeURIComponent(this.param)}">← ${a?.title ?? 'App'}</a></p>
      <h1>Install ${a?.title ?? this.param}</h1>
      <ol class="steps" aria-label="Steps">${steps.map(([id, label], i) => html`<li aria-current=${this.step === id ? 'step' : 'false'}>${i + 1}. ${label}</li>`)}</ol>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${!a ? (this.error ? '' : html`<p aria-busy="true">Loading…</p>`) : this.step === 'inputs' ? this.renderInputs(a) : this.step === 'placement' ? this.renderPlacement(this.placement!) : this.renderProgress()}
    `;
  }

  private renderInputs(a: CatalogApp): TemplateResult {
    const hasInputs = Object.keys(a.inputs.properties ?? {}).length > 0;
    return html`<form @submit=${this.toPlacement} aria-label="Settings">
      ${hasInputs ? html`<wn-schema-form .schema=${a.inputs} .value=${this.inputs}></wn-schema-form>` : html`<p>${a.title} needs no settings.</p>`}
      ${a.secrets.length ? html`<p class="muted">Generated for you and kept across updates: ${a.secrets.join(', ')}.</p>` : ''}
      <div><button type="submit" ?disabled=${this.busy}>${this.busy ? 'Ranking devices…' : 'Next: choose a device'}</button></div>
    </form>`;
  }

  private renderPlacement(p: PlacementResult): TemplateResult {
    const eligible = p.candidates.filter((c) => c.eligible);
    const out = p.candidates.filter((c) => !c.eligible);
    return html`
      ${p.recommended
        ? html`<p role="status">Recommended: <strong>${p.candidates.find((c) => c.device === p.recommended)?.name}</strong>. ${p.tieBreak ? html`<span class="muted">${p.tieBreak}</span>` : ''}</p>`
        : html`<p role="alert" class="error">No device can run ${this.app?.title} now.${p.suggestions.length ? '' : ' Add a device or free resources, then rank again.'}</p>`}
      ${p.suggestions.length ? html`<h2>What would make it fit</h2><ul>${p.suggestions.map((s) => html`<li>${s.message}${s.actions.length ? html`: ${s.actions.map((x) => x.message).join('; ')}` : ''}</li>`)}</ul>` : ''}
      ${p.warnings.map((w) => html`<p class="muted">${w.message}</p>`)}
      <p class="muted">Weights: ${Object.entries(p.weights).map(([k, w]) => `${CRITERIA[k] ?? k} ${w} %`).join(', ')}.</p>
      <fieldset class="candidates" style="border:0;padding:0">
        <legend class="sr-only">Device</legend>
        ${eligible.map((c) => this.candidate(c, c.device === p.recommended))}
        ${out.length ? html`<h2>Not possible</h2>${out.map((c) => this.candidate(c, false))}` : ''}
      </fieldset>
      <div class="row">
        <button class="secondary" @click=${() => { this.step = 'inputs'; }}>Back</button>
        <button class="secondary" @click=${this.rank} ?disabled=${this.busy}>Rank again</button>
        <button @click=${this.confirm} ?disabled=${!this.chosen || this.busy}>Install on ${p.candidates.find((c) => c.device === this.chosen)?.name ?? '…'}</button>
      </div>`;
  }

  private candidate(c: Candidate, recommended: boolean): TemplateResult {
    return html`<div class="card candidate ${recommended ? 'recommended' : ''} ${c.eligible ? '' : 'disqualified'}" data-device=${c.device}>
      <label class="pick">
        <input type="radio" name="device" value=${c.device} ?disabled=${!c.eligible} .checked=${this.chosen === c.device} @change=${() => { this.chosen = c.device; }}>
        <strong>${c.name}</strong> ${c.eligible ? html`<span>${c.total?.toFixed(1)} / 100</span>` : html`<span class="badge state-failed">disqualified</span>`}
        ${recommended ? html`<span class="badge state-fresh">recommended</span>` : ''}
      </label>
      ${c.eligible
        ? html`<div class="criteria" role="table" aria-label="Scores for ${c.name}">
            ${Object.entries(c.criteria).map(([k, r]) => html`
              <span role="cell">${CRITERIA[k] ?? k} <small class="muted">× ${r.weight} %</small></span>
              <div class="bar" role="meter" aria-label="${CRITERIA[k] ?? k} score" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${r.score}><span style="width:${r.score}%"></span></div>
              <span role="cell">${r.score.toFixed(0)} → ${r.contribution.toFixed(1)} ${r.note ? html`<small class="muted">(${r.note})</small>` : ''}</span>`)}
          </div>`
        : html`<ul class="reasons">${c.reasons.map((r) => html`<li><strong>${r.code}</strong>: ${r.message}</li>`)}</ul>`}
      ${c.databases?.map((d) => html`<small class="muted">Database ${d.ref}: ${d.detail}</small>`)}
      ${c.notes?.map((n) => html`<small class="muted">${n}</small>`)}
    </div>`;
  }

  private renderProgress(): TemplateResult {
    const v = this.op.value;
    const op = v?.operation;
    const done = op && DONE.includes(op.state);
    const fraction = v?.progress?.fraction;
    return html`
      <div aria-live="polite">
        <p role="status" data-state=${op?.state ?? 'pending'}>${!op ? 'Starting…' : op.state === 'done' ? `${this.app?.title} is installed.` : done ? `The install ${op.state === 'rolled_back' ? 'failed and was rolled back' : 'failed'}.` : `Installing… ${v?.progress ? `${v.progress.step}: ${v.progress.message}` : ''}`}</p>
      </div>
      ${!done && fraction !== undefined ? html`<div class="bar progress" role="progressbar" aria-label="Progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${Math.round(fraction * 100)}><span style="width:${percent(fraction).replace(' ', '')}"></span></div>` : ''}
      ${op ? html`<ol class="opsteps">${op.steps.map((s) => html`<li><span class="badge state-${s.state}">${s.state}</span> ${s.name}${s.error ? html` — <span class="error">${s.error}</span>` : ''}</li>`)}</ol>` : ''}
      ${op?.error ? html`<p role="alert" class="error">${op.error} — see the steps above; nothing was left half-installed.</p>` : ''}
      ${done ? html`<p><a class="button" href="#/apps/${encodeURIComponent(this.installedApp)}">Go to the app</a></p>` : ''}
      <p class="muted">Memory needed: ${bytes(this.app?.requirements.memoryBytes)}.</p>`;
  }
}
customElements.define('wn-install', WnInstall);
