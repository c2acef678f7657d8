// The hub's own Prometheus metrics (text exposition format 0.0.4), so a Grafana user can watch Warren.
// A tiny registry: counters, gauges and histograms with labels; nothing else of Prometheus is needed.

type Labels = Record<string, string>;
const key = (labels: Labels) => Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');

interface Family {
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  values: Map<string, number>;
  buckets?: number[];
  hist?: Map<string, { counts: number[]; sum: number; count: number }>;
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly collectors: (() => void)[] = [];

  private family(name: string, type: Family['type'], help: string, buckets?: number[]): Family {
    let f = this.families.get(name);
    if (!f) {
      f = { type, help, values: new Map(), ...(buckets ? { buckets, hist: new Map() } : {}) };
      this.families.set(name, f);
    }
    return f;
  }

  inc(name: string, help: string, labels: Labels = {}, by = 1): void {
    const f = this.family(name, 'counter', help);
    const k = key(labels);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    this.family(name, 'gauge', help).values.set(key(labels), value);
  }

  /** Drops every series of a gauge (before a collector sets the current ones). */
  reset(name: string): void {
    this.families.get(name)?.values.clear();
  }

  observe(name: string, help: string, labels: Labels, value: number, buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]): void {
    const f = this.family(name, 'histogram', help, buckets);
    const k = key(labels);
    let h = f.hist!.get(k);
    if (!h) f.hist!.set(k, (h = { counts: f.buckets!.map(() => 0), sum: 0, count: 0 }));
    f.buckets!.forEach((b, i) => { if (value <= b) h!.counts[i]++; });
    h.sum += value;
    h.count++;
  }

  /** Runs before each scrape, to set gauges from current state. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  text(): string {
    for (const c of this.collectors) c();
    const lines: string[] = [];
    for (const [name, f] of [...this.families].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      if (f.type === 'histogram') {
        for (const [k, h] of f.hist!) {
          const sep = k ? `${k},` : '';
          f.buckets!.forEach((b, i) => lines.push(`${name}_bucket{${sep}le="${b}"} ${h.counts[i]}`));
          lines.push(`${name}_bucket{${sep}le="+Inf"} ${h.count}`, `${name}_sum${k ? `{${k}}` : ''} ${h.sum}`, `${name}_count${k ? `{${k}}` : ''} ${h.count}`);
        }
      } else {
        for (const [k, v] of f.values) lines.push(`${name}${k ? `{${k}}` : ''} ${v}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}
