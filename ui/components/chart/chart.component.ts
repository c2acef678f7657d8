import { LitElement, html, svg, css, type TemplateResult } from 'lit';

/** A small line chart in SVG: one series of [time, value] points over a time window, with a text summary for screen readers. */
export class WnChart extends LitElement {
  static override properties = { points: { attribute: false }, from: { type: Number }, to: { type: Number }, max: { type: Number }, label: {}, format: { attribute: false } };
  points: [number, number][] = [];
  from = 0;
  to = 0;
  max?: number;
  label = '';
  format: (v: number) => string = (v) => String(v);

  static override styles = css`
    :host { display: block; }
    svg { width: 100%; height: 8rem; display: block; background: var(--wn-card); border: 1px solid var(--wn-border); border-radius: .375rem; }
    .line { fill: none; stroke: var(--wn-accent); stroke-width: 2; vector-effect: non-scaling-stroke; }
    .area { fill: var(--wn-accent); opacity: .15; }
    .grid { stroke: var(--wn-border); stroke-width: 1; vector-effect: non-scaling-stroke; }
    p { margin: .25rem 0 0; font-size: .85rem; color: var(--wn-muted); }
  `;

  override render(): TemplateResult {
    const pts = this.points;
    const W = 600;
    const H = 120;
    const span = Math.max(1, this.to - this.from);
    const top = this.max ?? Math.max(1e-9, ...pts.map((p) => p[1]));
    const x = (t: number) => ((t - this.from) / span) * W;
    const y = (v: number) => H - (Math.min(v, top) / top) * (H - 4);
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    const last = pts.at(-1);
    const values = pts.map((p) => p[1]);
    const summary = pts.length
      ? `latest ${this.format(last![1])}, lowest ${this.format(Math.min(...values))}, highest ${this.format(Math.max(...values))} (${pts.length} readings)`
      : 'no readings in this range';
    return html`<figure role="img" aria-label="${this.label}: ${summary}" style="margin:0">
      <svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" aria-hidden="true">
        ${[0.25, 0.5, 0.75].map((f) => svg`<line class="grid" x1="0" x2=${W} y1=${H * f} y2=${H * f}></line>`)}
        ${pts.length ? svg`<path class="area" d="${d}L${x(last![0]).toFixed(1)},${H}L${x(pts[0]![0]).toFixed(1)},${H}Z"></path><path class="line" d=${d}></path>` : ''}
      </svg>
      <p aria-hidden="true">${summary}</p>
    </figure>`;
  }
}
customElements.define('wn-chart', WnChart);
