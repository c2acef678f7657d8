import { LitElement, html, svg, css, type TemplateResult } from 'lit';
import { intervals, timeTicks, valueAxis, type ValueKind } from '../../data/axis.js';

const when = (ms: number, span: number) =>
  new Date(ms).toLocaleString(undefined, span > 86_400_000 ? { weekday: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/**
 * A line chart in SVG: one series of [time, value] points over a time window, with a value axis in the
 * figure's unit and a time axis with readable ticks. For screen readers: a text summary and the
 * readings averaged per interval as a table.
 */
export class WnChart extends LitElement {
  static override properties = { points: { attribute: false }, from: { type: Number }, to: { type: Number }, max: { type: Number }, label: {}, kind: {} };
  points: [number, number][] = [];
  from = 0;
  to = 0;
  max?: number;
  label = '';
  kind: ValueKind = 'bytes';

  static override styles = css`
    :host { display: block; font-size: .8rem; }
    .plot { display: grid; grid-template-columns: 4.5rem 1fr; grid-template-rows: 8rem 1.4rem; }
    .y, .x { position: relative; color: var(--wn-muted); }
    .y span { position: absolute; right: .4rem; transform: translateY(-50%); white-space: nowrap; }
    .x { grid-column: 2; }
    .x span { position: absolute; top: .3rem; transform: translateX(-50%); white-space: nowrap; }
    svg { width: 100%; height: 100%; display: block; background: var(--wn-card); border: 1px solid var(--wn-border); border-radius: .375rem; box-sizing: border-box; overflow: hidden; }
    .line { fill: none; stroke: var(--wn-accent); stroke-width: 2; vector-effect: non-scaling-stroke; }
    .area { fill: var(--wn-accent); opacity: .15; }
    .grid { stroke: var(--wn-border); stroke-width: 1; vector-effect: non-scaling-stroke; }
    .tick { stroke: var(--wn-border); stroke-width: 1; stroke-dasharray: 2 3; vector-effect: non-scaling-stroke; }
    p { margin: .25rem 0 0; color: var(--wn-muted); }
    details { margin-top: .25rem; color: var(--wn-muted); }
    table { border-collapse: collapse; margin-top: .25rem; }
    th, td { text-align: left; padding: .15rem .6rem .15rem 0; border-bottom: 1px solid var(--wn-border); font-weight: 400; }
    th[scope=col] { font-weight: 600; }
    .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    summary:focus-visible { outline: 3px solid var(--wn-focus); outline-offset: 2px; }
  `;

  override render(): TemplateResult {
    const pts = this.points;
    const W = 600;
    const H = 120;
    const span = Math.max(1, this.to - this.from);
    const values = pts.map((p) => p[1]);
    const axis = valueAxis(this.kind, values.length ? Math.max(...values) : 0, this.max);
    const top = axis.top || 1;
    const x = (t: number) => ((t - this.from) / span) * W;
    const y = (v: number) => H - (Math.min(v, top) / top) * H;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    const last = pts.at(-1);
    const ticks = timeTicks(this.from, this.to);
    const upCount = values.filter((v) => v >= 0.5).length;
    const summary = !pts.length
      ? 'no readings in this range'
      : this.kind === 'updown'
        ? `${last![1] >= 0.5 ? 'up now' : 'down now'}; up in ${upCount} of ${pts.length} readings (${Math.round((upCount / pts.length) * 100)} %)`
        : `latest ${axis.format(last![1])}, lowest ${axis.format(Math.min(...values))}, highest ${axis.format(Math.max(...values))} (${pts.length} readings)`;
    const rows = intervals(pts, this.from, this.to);
    const pct = (v: number) => `${Math.max(0, Math.min(100, v * 100)).toFixed(2)}%`;
    return html`<figure style="margin:0">
      <div class="plot" role="img" aria-label="${this.label}: ${summary}">
        <div class="y" aria-hidden="true">${axis.ticks.map((t) => {
          // The lowest and highest labels stay inside the plot's height, clear of the time labels.
          const f = t.value / top;
          return html`<span style="top:${pct(1 - f)};transform:translateY(${f < 0.05 ? -90 : f > 0.95 ? -10 : -50}%)">${t.label}</span>`;
        })}</div>
        <svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" aria-hidden="true">
          ${axis.ticks.map((t) => svg`<line class="grid" x1="0" x2=${W} y1=${y(t.value)} y2=${y(t.value)}></line>`)}
          ${ticks.map((t) => svg`<line class="tick" y1="0" y2=${H} x1=${x(t.at)} x2=${x(t.at)}></line>`)}
          ${pts.length ? svg`<path class="area" d="${d}L${x(last![0]).toFixed(1)},${H}L${x(pts[0]![0]).toFixed(1)},${H}Z"></path><path class="line" d=${d}></path>` : ''}
        </svg>
        <div class="x" aria-hidden="true">${ticks.map((t) => {
          // Centred under their line; one too close to the right edge would stick out of the chart.
          const f = (t.at - this.from) / span;
          return f > 0.96 ? '' : html`<span style="left:${pct(f)}">${t.label}</span>`;
        })}</div>
      </div>
      <p aria-hidden="true">${summary}</p>
      ${rows.length ? html`<details><summary>${this.label} as a table</summary>
        <table><caption class="sr-only">${this.label}, averaged per interval</caption>
          <thead><tr><th scope="col">From</th><th scope="col">Average</th><th scope="col">Lowest</th><th scope="col">Highest</th></tr></thead>
          <tbody>${rows.map((r) => html`<tr><th scope="row">${when(r.from, span)}</th><td>${this.kind === 'updown' ? `${Math.round(r.mean * 100)} % up` : axis.format(r.mean)}</td><td>${axis.format(r.low)}</td><td>${axis.format(r.high)}</td></tr>`)}</tbody>
        </table></details>` : ''}
    </figure>`;
  }
}
customElements.define('wn-chart', WnChart);
