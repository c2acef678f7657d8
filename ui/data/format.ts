// Human figures: sizes in binary units, percentages, ages.
export function bytes(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 || v >= 100 ? 0 : 1)} ${units[i]}`;
}

export const percent = (fraction: number | null | undefined): string =>
  fraction === null || fraction === undefined || !Number.isFinite(fraction) ? '—' : `${Math.round(fraction * 100)} %`;

export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'never read';
  if (seconds < 90) return `${Math.round(seconds)} s old`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min old`;
  return `${Math.round(seconds / 3600)} h old`;
}

export const time = (ms: number): string => new Date(ms).toLocaleString();
