import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { addDevice, listDevices, removeDevice, setCordoned, testDevice, type Device, type DeviceInput, type TestResult } from '../../data/fleet.js';
import { age, bytes, percent } from '../../data/format.js';
import { styles } from './devices.styles.js';
import './device-detail.component.js';

/** Devices: the list with cordon and remove, and the add form that tests the connection before saving. Routed `#/devices/<id>` shows one device. */
export class WnDevices extends LitElement {
  static override properties = { param: {}, devices: { state: true }, error: { state: true }, adding: { state: true }, kind: { state: true }, test: { state: true }, testing: { state: true }, busy: { state: true } };
  static override styles = styles;
  param?: string;
  /** `#/devices?add=1` opens the add form (the dashboard's first step links there). */
  query?: URLSearchParams;
  devices?: Device[];
  error = '';
  adding = false;
  kind: 'socket' | 'tcp' | 'ssh' = 'socket';
  test?: TestResult;
  testing = false;
  busy = '';
  private ticker?: ReturnType<typeof setInterval>;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.query?.get('add')) this.adding = true;
    void this.load();
    this.ticker = setInterval(() => void this.load(), 5000);
  }

  override disconnectedCallback(): void {
    clearInterval(this.ticker);
    super.disconnectedCallback();
  }

  private async load(): Promise<void> {
    if (this.param) return;
    try {
      this.devices = await listDevices();
      this.error = '';
    } catch (e) {
      this.error = explain(e);
    }
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('param') && !this.param) void this.load();
  }

  private input(form: HTMLFormElement): DeviceInput {
    const f = new FormData(form);
    const s = (k: string) => String(f.get(k) ?? '').trim();
    const connection: Record<string, unknown> =
      this.kind === 'socket'
        ? { type: 'socket', socketPath: s('socketPath') }
        : this.kind === 'tcp'
          ? { type: 'tcp', host: s('host'), port: Number(s('port') || 2376), tls: { ca: s('ca'), cert: s('cert'), key: s('key') } }
          : { type: 'ssh', host: s('host'), port: Number(s('port') || 22), username: s('username'), privateKey: s('privateKey') };
    return {
      name: s('name'),
      engine: s('engine') as 'docker' | 'podman',
      connection,
      ...(s('nodeExporterUrl') ? { nodeExporterUrl: s('nodeExporterUrl') } : {}),
      ...(s('helperImage') ? { helperImage: s('helperImage') } : {}),
    };
  }

  private async runTest(): Promise<void> {
    const form = this.renderRoot.querySelector('form')!;
    if (!form.reportValidity()) return;
    this.testing = true;
    this.test = undefined;
    try {
      this.test = await testDevice(this.input(form));
    } catch (e) {
      this.test = { ok: false, message: explain(e) };
    } finally {
      this.testing = false;
    }
  }

  private async save(ev: SubmitEvent): Promise<void> {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    this.busy = 'adding';
    try {
      const d = await addDevice(this.input(form));
      this.adding = false;
      this.test = undefined;
      location.hash = `#/devices/${encodeURIComponent(d.id)}`;
    } catch (e) {
      this.error = explain(e);
    } finally {
      this.busy = '';
    }
  }

  private async act(d: Device, what: 'cordon' | 'uncordon' | 'remove'): Promise<void> {
    if (what === 'remove' && !confirm(`Remove ${d.name} from Warren? Its apps keep running on it, unmanaged.`)) return;
    this.busy = d.id;
    try {
      if (what === 'remove') await removeDevice(d.id);
      else await setCordoned(d.id, what === 'cordon');
      await this.load();
    } catch (e) {
      this.error = explain(e);
    } finally {
      this.busy = '';
    }
  }

  override render(): TemplateResult {
    if (this.param) return html`<wn-device-detail .deviceId=${this.param}></wn-device-detail>`;
    return html`
      <div class="row"><h1 style="flex:1">Devices</h1><button @click=${() => { this.adding = !this.adding; this.test = undefined; }} aria-expanded=${this.adding}>Add a device</button></div>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${this.adding ? this.renderForm() : ''}
      ${!this.devices
        ? html`<p aria-busy="true">Loading devices…</p>`
        : this.devices.length === 0
          ? html`<p>No devices yet. Add the machines Warren should run apps on with <strong>Add a device</strong>: for the machine the hub runs on, the local socket (<code>/var/run/docker.sock</code>, or Podman's <code>/run/podman/podman.sock</code>) is enough.</p>`
          : html`<table>
              <thead><tr><th>Device</th><th>State</th><th class="hide-narrow">Connection</th><th class="hide-narrow">RAM</th><th class="hide-narrow">CPU</th><th><span class="sr-only">Actions</span></th></tr></thead>
              <tbody>${this.devices.map((d) => html`<tr data-device=${d.id} data-state=${d.state}>
                <td><a href="#/devices/${encodeURIComponent(d.id)}">${d.name}</a>${d.cordoned ? html` <span class="badge state-stale">cordoned</span>` : ''}<br><small class="muted">${d.engine}${d.arch ? ` · ${d.arch}` : ''}</small></td>
                <td><span class="badge state-${d.state}">${d.state}</span><br><small class="muted">${d.message}</small></td>
                <td class="hide-narrow">${d.connection.type}${d.connection.host ? ` ${d.connection.host}:${d.connection.port}` : d.connection.socketPath ? ` ${d.connection.socketPath}` : ''}</td>
                <td class="hide-narrow ${d.state === 'fresh' ? '' : 'stale'}">${d.figures?.memory ? html`${bytes(d.figures.memory.usedBytes)} / ${bytes(d.figures.memory.totalBytes)}` : '—'}</td>
                <td class="hide-narrow ${d.state === 'fresh' ? '' : 'stale'}">${d.figures?.cpu ? html`${percent(d.figures.cpu.utilisation)} <small class="muted">(${age(d.figures.cpu.ageSeconds)})</small>` : '—'}</td>
                <td><div class="row">
                  <button class="secondary" ?disabled=${this.busy === d.id} @click=${() => this.act(d, d.cordoned ? 'uncordon' : 'cordon')} aria-label="${d.cordoned ? 'Uncordon' : 'Cordon'} ${d.name}">${d.cordoned ? 'Uncordon' : 'Cordon'}</button>
                  <button class="danger" ?disabled=${this.busy === d.id} @click=${() => this.act(d, 'remove')} aria-label="Remove ${d.name}">Remove</button>
                </div></td></tr>`)}</tbody>
            </table>
            <p class="muted">A cordoned device keeps its apps but gets no new ones.</p>`}
    `;
  }

  private renderForm(): TemplateResult {
    const t = this.test;
    return html`<form class="card" @submit=${this.save} @input=${() => { this.test = undefined; }} aria-label="Add a device">
      <h2 style="margin-top:0">Add a device</h2>
      <label>Name <input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9 ._-]*" autocomplete="off"></label>
      <label>Engine <select name="engine"><option value="docker">Docker</option><option value="podman">Podman</option></select></label>
      <fieldset>
        <legend>Connection</legend>
        <label>How Warren reaches the engine
          <select name="kind" @change=${(e: Event) => { this.kind = (e.target as HTMLSelectElement).value as typeof this.kind; }}>
            <option value="socket" ?selected=${this.kind === 'socket'}>Local socket</option>
            <option value="tcp" ?selected=${this.kind === 'tcp'}>TCP with TLS client certificate</option>
            <option value="ssh" ?selected=${this.kind === 'ssh'}>SSH</option>
          </select></label>
        ${this.kind === 'socket' ? html`<label>Socket path <input name="socketPath" required pattern="/.*" value="/var/run/docker.sock"></label>` : ''}
        ${this.kind !== 'socket' ? html`<label>Host <input name="host" required autocomplete="off"></label><label>Port <input name="port" type="number" min="1" max="65535" value=${this.kind === 'tcp' ? 2376 : 22}></label>` : ''}
        ${this.kind === 'tcp' ? html`
          <label>CA certificate (PEM) <textarea name="ca" required></textarea></label>
          <label>Client certificate (PEM) <textarea name="cert" required></textarea></label>
          <label>Client key (PEM) <small>stored encrypted, never shown again</small><textarea name="key" required></textarea></label>` : ''}
        ${this.kind === 'ssh' ? html`
          <label>User <input name="username" required value="root" autocomplete="off"></label>
          <label>Private key <small>stored encrypted, never shown again</small><textarea name="privateKey" required></textarea></label>` : ''}
      </fieldset>
      <details><summary>More</summary>
        <label>Prometheus node_exporter URL <small>optional: host figures from node_exporter</small><input name="nodeExporterUrl" type="url" placeholder="http://nas:9100/metrics"></label>
        <label>Helper image <small>optional: a small local image for probes</small><input name="helperImage"></label>
      </details>
      <div class="row">
        <button type="button" class="secondary" @click=${this.runTest} ?disabled=${this.testing}>${this.testing ? 'Testing…' : 'Test connection'}</button>
        <button type="submit" ?disabled=${!t?.ok || this.busy === 'adding'} title=${t?.ok ? '' : 'Test the connection first'}>Save device</button>
      </div>
      <div aria-live="polite">${t ? html`<p class=${t.ok ? 'ok test-result' : 'error test-result'} role=${t.ok ? 'status' : 'alert'}>${t.ok ? '✓ ' : ''}${t.message}${t.ok ? '' : ' — check the address and credentials, then test again.'}</p>` : ''}</div>
    </form>`;
  }
}
customElements.define('wn-devices', WnDevices);
