export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Human bytes with one decimal: `512.0 MiB`, `2.0 GiB`, `3276.8 GiB` (GiB is the largest unit, as messages promise). */
export function formatBytes(n: number): string {
  const a = Math.abs(n);
  // A figure that rounds up to 1024.0 of a unit is written in the next one (1 GiB − 1 B is `1.0 GiB`,
  // never `1024.0 MiB`).
  if (a >= GiB - MiB / 20) return oneDecimal(n / GiB) + ' GiB';
  if (a >= MiB - 1024 / 20) return oneDecimal(n / MiB) + ' MiB';
  if (a >= 1024) return oneDecimal(n / 1024) + ' KiB';
  return `${n} B`;
}

/** The shortfall, when `need` and `available` would print alike: `1.0 GiB, 1.0 GiB available` alone reads as a fit. */
export function shortfallText(need: number, available: number): string {
  return available < need && formatBytes(need) === formatBytes(Math.max(0, available)) ? `; ${need - Math.max(0, available)} B short` : '';
}

/** x.toFixed(1), without its cost for the common magnitudes (placement formats thousands of these). */
function oneDecimal(x: number): string {
  if (!(Math.abs(x) < 1e15)) return x.toFixed(1);
  const tenths = Math.round(Math.abs(x) * 10);
  // toFixed rounds the exact binary value; where x·10 lands on a half the two can differ, so ask it.
  if (Math.abs(Math.abs(x) * 10 - Math.trunc(Math.abs(x) * 10) - 0.5) < 1e-9) return x.toFixed(1);
  const whole = Math.trunc(tenths / 10);
  return (x < 0 && tenths > 0 ? '-' : '') + whole + '.' + (tenths - whole * 10);
}

/** `12 s`, `5 min`, `3.0 h`, `2.0 d`. */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}
