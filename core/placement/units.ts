export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** Human bytes with one decimal: `512.0 MiB`, `2.0 GiB`, `3276.8 GiB` (GiB is the largest unit, as messages promise). */
export function formatBytes(n: number): string {
  const a = Math.abs(n);
  if (a >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (a >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (a >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** `12 s`, `5 min`, `3.0 h`, `2.0 d`. */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}
