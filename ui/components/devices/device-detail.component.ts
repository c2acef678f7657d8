import { LitElement, html, type TemplateResult } from 'lit';
import { explain } from '../../data/api.js';
import { deviceHistory, getDevice, setCordoned, type Device, type History, type Range } from '../../data/fleet.js';
import { age, bytes, percent } from '../../data/format.js';
import { SubscriptionController } from '../../data/subscription-controller.js';
import { styles } from './devices.styles.js';
import '../chart/chart.component.js';

const RANGES: { id: Range; label: string }[] = [
  { id: '1h', label: 'Hour' },
  { id: '24h', label: 'Day' },
  { id: '7d', label: 'Week' },
];

/** One device: its live figures (the `device:<id>` room, polled faster while watched) and history charts. */
export class WnDeviceDetail extends LitElement {
  static override properties = { deviceId: {}, device: { state: true }, history: { state: true }, range: { state: true }, error: { state: true } };
  static override styles = styles;
  deviceId = '';
  device?: Device;
  history?: History;
  range: Range = '1h';
  error = '';
  // Any update (a reading or a state change) means the device view changed: read it again.
  // The charts follow too, at most every 10 s: a page opened before the first sample fills in, and an
  // hour's chart keeps moving while someone watches it.
  private readonly live = new SubscriptionController<unknown>(this, '', (_c, u) => {
    void this.loadDevice();
    if (Date.now() - this.historyAt >= 10_000) void this.loadHistory();
    return u;
  });
  private historyAt = 0;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('deviceId') && this.deviceId) {
      this.live.setRoom(`device:${this.deviceId}`);
      void this.loadDevice();
      void this.loadHistory();
    }
  }

  private async loadDevice(): Promise<void> {
    try {
      this.device = await getDevice(this.deviceId);
    } catch (e) {
      this.error = explain(e);
    }
  }

  private async loadHistory(): Promise<void> {
    this.historyAt = Date.now();
    try {
      this.history = await deviceHistory(this.deviceId, this.range);
    } catch (e) {
      this.error = explain(e);
    }
  }

  private async cordon(): Promise<void> {
    try {
      this.device = await setCordoned(this.deviceId, !this.device!.cordoned);
    } catch (e) {
      this.error = explain(e);
    }
  }

  override render(): TemplateResult {
    const d = this.device;
    return html`
      <p><a href="#/devices">← All devices</a></p>
      ${this.error ? html`<p role="alert" class="error">${this.error}</p>` : ''}
      ${!d ? html`<p aria-busy="true">Loading…</p>` : html`
        <div class="row"><h1 style="flex:1">${d.name} <span class="badge state-${d.state}">${d.state}</span></h1>
          <button class="secondary" @click=${this.cordon}>${d.cordoned ? 'Uncordon' : 'Cordon'}</button></div>
        <p class="muted">${d.message}${d.cordoned ? ' · cordoned: no new apps are placed here' : ''}</p>
        <dl class=${d.state === 'fresh' ? '' : 'stale'}>
          <dt>Engine</dt><dd>${d.engineInfo ? `${d.engineInfo.engine} ${d.engineInfo.version} on ${d.engineInfo.hostname ?? d.name}` : d.engine}</dd>
          <dt>Architecture</dt><dd>${d.arch ?? 'unknown'}</dd>
          <dt>RAM</dt><dd>${d.figures?.memory ? html`${bytes(d.figures.memory.usedBytes)} used of ${bytes(d.figures.memory.totalBytes)} (${age(d.figures.memory.ageSeconds)})` : '—'}</dd>
          <dt>Storage</dt><dd>${d.figures?.storage ? html`${bytes(d.figures.storage.availableBytes)} free of ${bytes(d.figures.storage.totalBytes)} (${age(d.figures.storage.ageSeconds)})` : '—'}</dd>
          <dt>CPU</dt><dd>${d.figures?.cpu ? html`${percent(d.figures.cpu.utilisation)} of ${d.figures.cpu.cores} cores (${age(d.figures.cpu.ageSeconds)})` : '—'}</dd>
          <dt>Load</dt><dd>${d.figures?.load1?.toFixed(2) ?? '—'}</dd>
          <dt>Availability (7 days)</dt><dd>${d.availability7d === null ? 'under an hour of history' : percent(d.availability7d)}</dd>
          <dt>Providers</dt><dd>${(d.instances ?? []).map((i) => html`<span class="badge state-${i.state}">${i.role}: ${i.state}</span> `)}</dd>
        </dl>`}
      <h2 id="history">History</h2>
      <div class="row" role="group" aria-labelledby="history">
        ${RANGES.map((r) => html`<button class=${this.range === r.id ? '' : 'secondary'} aria-pressed=${this.range === r.id} @click=${() => { this.range = r.id; void this.loadHistory(); }}>${r.label}</button>`)}
      </div>
      ${this.history ? this.renderCharts(this.history) : ''}
    `;
  }

  private renderCharts(h: History): TemplateResult {
    const s = h.series;
    const fsUsed = this.fsUsed(s);
    const total = s['memory.total_bytes']?.at(-1)?.[1];
    return html`<div class="charts">
      <section><h3>RAM used</h3><wn-chart label="RAM used" kind="bytes" .points=${s['memory.used_bytes'] ?? []} .from=${h.from} .to=${h.to} .max=${total}></wn-chart></section>
      <section><h3>CPU busy</h3><wn-chart label="CPU busy" kind="percent" .points=${s['cpu.utilisation'] ?? []} .from=${h.from} .to=${h.to} .max=${1}></wn-chart></section>
      <section><h3>Storage used</h3><wn-chart label="Storage used" kind="bytes" .points=${fsUsed.points} .from=${h.from} .to=${h.to} .max=${fsUsed.max}></wn-chart></section>
      <section><h3>Availability</h3><wn-chart label="Reachable" kind="updown" .points=${s['up'] ?? []} .from=${h.from} .to=${h.to} .max=${1}></wn-chart></section>
    </div>`;
  }

  /** Used storage over time, summed over the filesystems recorded as `fs.total_bytes:<path>` and `fs.available_bytes:<path>`. */
  private fsUsed(s: History['series']): { points: [number, number][]; max?: number } {
    const used = new Map<number, number>();
    const totals = new Map<number, number>();
    for (const [k, pts] of Object.entries(s)) {
      if (!k.startsWith('fs.total_bytes:')) continue;
      const avail = new Map(s[`fs.available_bytes:${k.slice('fs.total_bytes:'.length)}`] ?? []);
      for (const [at, total] of pts) {
        const a = avail.get(at);
        if (a === undefined) continue;
        used.set(at, (used.get(at) ?? 0) + total - a);
        totals.set(at, (totals.get(at) ?? 0) + total);
      }
    }
    // The scale's top is the summed size of the filesystems (the largest sum seen in the window).
    const max = Math.max(0, ...totals.values());
    return { points: [...used].sort((a, b) => a[0] - b[0]), ...(max ? { max } : {}) };
  }
}
customElements.define('wn-device-detail', WnDeviceDetail);
