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

/** App statuses in words, with what a user would want to know about the ones that are passing states. */
const APP_STATUS: Record<string, { label: string; title?: string }> = {
  'rolling-back': { label: 'rolling back', title: 'The update failed; the previous version is being put back.' },
  updating: { label: 'updating', title: 'The new version is being deployed.' },
  installing: { label: 'installing' },
  removing: { label: 'removing' },
};

/** How an app status reads in a badge: words instead of identifiers (`rolling-back` → "rolling back"). */
export function appStatus(status: string | undefined): { label: string; title?: string } {
  if (!status) return { label: '' };
  return APP_STATUS[status] ?? { label: status.replace(/[-_]/g, ' ') };
}

/** "a", "a and b", "a, b and c". */
export function namesList(names: readonly string[]): string {
  return names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * One group of devices found to be one machine, in plain words by device name (ids where a name is
 * unknown): `who` in bold, then `what` (how they were matched, and that the totals count it once).
 */
export function sharedMachineText(
  m: { devices: string[]; by: 'boot-id' | 'hostname-and-boot-time'; key: string },
  names: ReadonlyMap<string, string>,
): { who: string; what: string } {
  const how = m.by === 'boot-id' ? 'they report the same boot id' : `they report the same host name and boot time (${m.key})`;
  return {
    who: namesList(m.devices.map((id) => names.get(id) ?? id)),
    what: `are one machine: ${how}. Its RAM, CPU and storage are counted once in the totals above, not once per device.`,
  };
}
