// Chart axes: readable time ticks for an hour, a day or a week, and value ticks in the unit of the
// figure (%, GiB, …), plus readings grouped into intervals for a table a screen reader can read.
export interface Tick { at: number; label: string }

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const TIME_STEPS = [5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY];

const clock = (ms: number) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const weekday = (ms: number) => new Date(ms).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' });

/** The step between time ticks: the smallest that gives at most `most` ticks over the window. */
export function timeStep(span: number, most = 7): number {
  return TIME_STEPS.find((s) => span / s <= most) ?? TIME_STEPS.at(-1)!;
}

/** Ticks on local-time boundaries (every 10 min, 3 h, a day, …) within [from, to]; labelled HH:MM, or weekday and date for whole days. */
export function timeTicks(from: number, to: number, most = 7): Tick[] {
  if (!(to > from)) return [];
  const step = timeStep(to - from, most);
  const out: Tick[] = [];
  // Align to local time: a tick every 3 hours is at 00:00, 03:00, … where the user is.
  const offset = -new Date(from).getTimezoneOffset() * MIN;
  for (let at = Math.ceil((from + offset) / step) * step - offset; at <= to; at += step) {
    const midnight = new Date(at).getHours() === 0 && new Date(at).getMinutes() === 0;
    out.push({ at, label: step >= DAY || (midnight && to - from > DAY) ? weekday(at) : clock(at) });
  }
  return out;
}

export type ValueKind = 'bytes' | 'percent' | 'updown';

export interface ValueAxis { top: number; unit: string; ticks: { value: number; label: string }[]; format(v: number): string }

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1, 2, 2.5 or 5 times a power of ten, at least `x`. */
export function niceStep(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= x - 1e-12) ?? 10) * p;
}

/** At most three significant digits, no trailing zeros: 252, 23.5, 7.7, 1.98. */
const trim = (v: number) => String(Number(v.toPrecision(3)));

/**
 * The value axis of a chart: `max` is the top of the scale when the figure has one (a total, 100 %);
 * otherwise the highest reading rounded up to a tick. Bytes are shown in the one unit that suits the top.
 */
export function valueAxis(kind: ValueKind, highest: number, max?: number): ValueAxis {
  if (kind === 'percent') {
    const top = max ?? 1;
    return { top, unit: '%', ticks: [0, 0.25, 0.5, 0.75, 1].map((f) => ({ value: f * top, label: `${Math.round(f * top * 100)} %` })), format: (v) => `${Math.round(v * 100)} %` };
  }
  if (kind === 'updown') {
    return { top: 1, unit: '', ticks: [{ value: 0, label: 'down' }, { value: 1, label: 'up' }], format: (v) => (v >= 0.5 ? 'up' : 'down') };
  }
  const ceiling = Math.max(max ?? highest, 1);
  const i = Math.min(UNITS.length - 1, Math.max(0, Math.floor(Math.log(ceiling) / Math.log(1024))));
  const size = 1024 ** i;
  const unit = UNITS[i]!;
  const step = niceStep(ceiling / size / 4);
  const top = max ?? Math.ceil(ceiling / size / step) * step * size;
  const ticks: ValueAxis['ticks'] = [];
  for (let v = 0; v * size <= top * (1 + 1e-9); v += step) ticks.push({ value: v * size, label: `${trim(v)} ${unit}` });
  // A total that falls between round ticks is labelled too: the capacity is what the reader compares with.
  if (max !== undefined && top - ticks.at(-1)!.value > step * size * 0.6) ticks.push({ value: top, label: `${trim(top / size)} ${unit}` });
  return { top, unit, ticks, format: (v) => `${trim(v / size)} ${unit}` };
}

/** Readings averaged over equal intervals (about `rows` of them), for the table beside a chart. */
export function intervals(points: [number, number][], from: number, to: number, rows = 12): { from: number; to: number; mean: number; low: number; high: number }[] {
  if (!points.length || !(to > from)) return [];
  const width = Math.max(MIN, timeStep(to - from, rows));
  const start = Math.floor(from / width) * width;
  const buckets = new Map<number, number[]>();
  for (const [at, v] of points) {
    if (at < from || at > to) continue;
    const k = start + Math.floor((at - start) / width) * width;
    (buckets.get(k) ?? buckets.set(k, []).get(k)!).push(v);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([k, vs]) => ({
    from: k,
    to: k + width,
    mean: vs.reduce((a, b) => a + b, 0) / vs.length,
    low: Math.min(...vs),
    high: Math.max(...vs),
  }));
}
