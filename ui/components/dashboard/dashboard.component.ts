import { LitElement, html, type TemplateResult } from 'lit';
import type { Coverage, SharedMachine, SummaryDeviceRow, SummaryView } from '../../data/fleet.js';
import { age, bytes, percent, sharedMachineText } from '../../data/format.js';
import { SubscriptionController } from '../../data/subscription-controller.js';
import { styles } from './dashboard.styles.js';

/** The fleet at a glance, live from the `summary` room; figures older than their device's freshness are greyed with their age. */
export class WnDashboard extends LitElement {
  static override styles = styles;
  private readonly live = new SubscriptionController<SummaryView>(this, 'summary');
  private ticker?: ReturnType<typeof setInterval>;

  override connectedCallback(): void {
    super.connectedCallback();
    // Ages grow between updates; a stale device sends none.
    this.ticker = setInterval(() => this.requestUpdate(), 1000);
  }

  override disconnectedCallback(): void {
    clearInterval(this.ticker);
    super.disconnectedCallback();
  }

  private since(seconds: number | null | undefined): number | null {
    return seconds === null || seconds === undefined ? null : seconds + (Date.now() - this.live.at) / 1000;
  }

  override render(): TemplateResult {
    const view = this.live.value;
    if (!view) {
      return html`<h1>Dashboard</h1>${this.live.error ? html`<p role="alert" class="error">${this.live.error}</p>` : html`<p aria-busy="true">Loading the fleet…</p>`}`;
    }
    const s = view.summary;
    const covers = (c: Coverage) => {
      const parts = [
        ...(c.devices < c.of ? [`covers ${c.devices} of ${c.of} devices`] : []),
        ...(c.machines !== undefined && c.machines < c.devices ? [`${c.devices} devices on ${c.machines} ${c.machines === 1 ? 'machine' : 'machines'}, each machine counted once`] : []),
      ];
      return parts.length ? html`<small class="muted covers">${parts.join('; ')}</small>` : '';
    };
    if (s.devices.total === 0) return this.welcome();
    return html`
      <h1>Dashboard</h1>
      ${this.live.error ? html`<p role="alert" class="error">${this.live.error}</p>` : ''}
      <section aria-label="Totals" class="grid totals">
        <div class="card" data-total="memory">
          <h2>RAM</h2>
          <p class="figure">${bytes(s.memory.usedBytes)} <span class="muted">of ${bytes(s.memory.totalBytes)} used</span></p>
          ${this.bar(s.memory.usedBytes, s.memory.totalBytes, 'RAM used')} ${covers(s.memory.covers)}
        </div>
        <div class="card" data-total="storage">
          <h2>Storage</h2>
          <p class="figure">${bytes(s.storage.usedBytes)} <span class="muted">of ${bytes(s.storage.totalBytes)} used</span></p>
          ${this.bar(s.storage.usedBytes, s.storage.totalBytes, 'Storage used')} ${covers(s.storage.covers)}
        </div>
        <div class="card" data-total="cpu">
          <h2>CPU</h2>
          <p class="figure">${percent(s.cpu.utilisation)} <span class="muted">of ${s.cpu.cores} cores (weighted by cores)</span></p>
          ${this.bar(s.cpu.utilisation ?? 0, 1, 'CPU busy')} ${covers(s.cpu.covers)}
        </div>
        <div class="card" data-total="devices">
          <h2>Devices</h2>
          <p class="figure">${s.devices.fresh + s.devices.stale} <span class="muted">of ${s.devices.total} online</span></p>
          <p><span class="state-fresh">${s.devices.fresh} fresh</span> · <span class="state-stale">${s.devices.stale} stale</span> · <span class="state-offline" data-count="offline">${s.devices.offline} offline</span></p>
        </div>
        <div class="card" data-total="apps">
          <h2>Apps</h2>
          <p class="figure">${s.apps.total} <span class="muted">installed</span></p>
          ${s.apps.total === 0
            ? html`<p>None yet: <a href="#/catalog">pick one in the catalog</a> and Warren recommends where it runs.</p>`
            : html`<p><span class="state-running">${s.apps.running} running</span> · ${s.apps.stopped} stopped · <span class="state-failed">${s.apps.failed} failed</span>${s.apps.other ? html` · ${s.apps.other} other` : ''}</p>`}
        </div>
        <div class="card" data-total="pooling">
          <h2>RAM saved by pooling</h2>
          ${s.pooling && s.pooling.bytes > 0
            ? html`<p class="figure">${bytes(s.pooling.bytes)} <span class="badge">${s.pooling.basis}</span></p>
                <small class="muted">${s.pooling.basis === 'measured' ? 'shared servers measured against a per-instance baseline' : 'estimated from typical per-instance memory'}</small>`
            : html`<p class="muted">Nothing yet. Apps on one device share one database server instead of one each; the RAM that saves shows here.</p>`}
        </div>
      </section>
      ${this.shared(s.sharedMachines ?? [], s.notes ?? [], view.devices)}
      <h2>Devices</h2>
      ${view.devices.length === 0
        ? html`<p>No devices yet. <a href="#/devices">Add a device</a> to see its figures here.</p>`
        : html`<ul class="grid devices" role="list">${view.devices.map((d) => this.device(d))}</ul>`}
    `;
  }

  /**
   * Devices that turned out to be one machine (the same kernel: network namespaces, or this host added
   * both by its socket and over SSH): said in plain words, by device name, since the totals above count
   * that machine once and would otherwise look smaller than the device cards added up.
   */
  private shared(groups: SharedMachine[], notes: string[], devices: SummaryDeviceRow[]): TemplateResult | string {
    if (groups.length === 0 && notes.length === 0) return '';
    const names = new Map(devices.map((d) => [d.id, d.name]));
    return html`<section class="card shared-machines" aria-labelledby="shared-heading" data-shared-machines=${groups.length}>
      <h2 id="shared-heading">Devices on one machine</h2>
      ${groups.length
        ? html`<ul>
            ${groups.map(
              (m) => {
                const { who, what } = sharedMachineText(m, names);
                return html`<li data-devices=${m.devices.join(' ')}><strong>${who}</strong> ${what}</li>`;
              },
            )}
          </ul>`
        : html`<ul>${notes.map((n) => html`<li>${n}</li>`)}</ul>`}
    </section>`;
  }

  /** A fresh hub: what to do first, instead of totals of nothing. */
  private welcome(): TemplateResult {
    return html`<h1>Dashboard</h1>
      ${this.live.error ? html`<p role="alert" class="error">${this.live.error}</p>` : ''}
      <section class="card getting-started" aria-labelledby="start-heading">
        <h2 id="start-heading" style="margin-top:0">Getting started</h2>
        <p>Warren shows your homelab as one system once it knows your machines. Three steps:</p>
        <ol>
          <li><a href="#/devices?add=1">Add a device</a>: this machine's Docker or Podman socket, or another machine over SSH or Docker's TLS port. Warren tests the connection before saving it.</li>
          <li>Pick an app in the <a href="#/catalog">catalog</a> and install it: Warren recommends the device with the most room and explains why.</li>
          <li>Optionally, connect <a href="#/settings">MQTT</a> to see devices and apps in Home Assistant.</li>
        </ol>
        <p class="muted">This page then shows the total RAM, storage and CPU of every device, live.</p>
      </section>`;
  }

  private bar(used: number, total: number, label: string): TemplateResult {
    const f = total > 0 ? Math.min(1, used / total) : 0;
    return html`<div class="bar" role="meter" aria-label=${label} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${Math.round(f * 100)}><span style="width:${(f * 100).toFixed(1)}%"></span></div>`;
  }

  private device(d: SummaryDeviceRow): TemplateResult {
    const old = d.state !== 'fresh';
    const ageLabel = html`<span class="age">(${age(this.since(d.ageSeconds))})</span>`;
    return html`<li class="card device ${old ? 'stale' : ''}" data-device=${d.id} data-state=${d.state}>
      <div class="row head">
        <h3><a href="#/devices/${encodeURIComponent(d.id)}">${d.name}</a></h3>
        <span class="badge state-${d.state}">${d.state}</span>
      </div>
      ${old ? html`<p class="muted message">${d.message}</p>` : ''}
      ${d.memory || d.storage || d.cpu
        ? html`<dl>
            ${d.memory ? html`<dt>RAM</dt><dd>${bytes(d.memory.usedBytes)} / ${bytes(d.memory.totalBytes)} ${this.figureAge(d.memory.ageSeconds, old)}</dd>` : ''}
            ${d.storage ? html`<dt>Storage</dt><dd>${bytes(d.storage.usedBytes)} / ${bytes(d.storage.totalBytes)} ${this.figureAge(d.storage.ageSeconds, old)}</dd>` : ''}
            ${d.cpu ? html`<dt>CPU</dt><dd>${percent(d.cpu.utilisation)} of ${d.cpu.cores} cores ${this.figureAge(d.cpu.ageSeconds, old)}</dd>` : ''}
            ${d.load1 !== undefined ? html`<dt>Load</dt><dd>${d.load1.toFixed(2)}</dd>` : ''}
          </dl>`
        : html`<p class="muted">No figures ${d.state === 'offline' ? 'while offline' : 'yet'} ${ageLabel}</p>`}
    </li>`;
  }

  private figureAge(seconds: number, old: boolean): TemplateResult {
    return html`<span class="age ${old ? '' : 'muted'}">(${age(this.since(seconds))})</span>`;
  }
}
customElements.define('wn-dashboard', WnDashboard);
