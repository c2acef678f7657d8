import { hasPort } from './measure.js';
import type { Evaluated } from './rank.js';
import type { DeviceSnapshot, ReasonCode, Suggestion, SuggestionAction } from './types.js';
import { formatAge, formatBytes } from './units.js';

// Hardware and platform reasons cannot be fixed by anything Warren could suggest doing on the device.
const UNFIXABLE: ReadonlySet<ReasonCode> = new Set(['ARCH', 'CPU_CORES', 'DEVICE_PATH']);

type AppSize = { id: string; memoryBytes: number; storageBytes: number };

/** For each device whose every reason can be fixed, the smallest set of changes that makes it fit. */
export function suggestFixes(evaluated: readonly Evaluated[], placing: string | undefined, ports: readonly string[]): Suggestion[] {
  const out: Suggestion[] = [];
  for (const e of evaluated) {
    const reasons = e.candidate.reasons;
    if (reasons.length === 0 || reasons.some((r) => UNFIXABLE.has(r.code))) continue;
    const codes = new Set(reasons.map((r) => r.code));
    const d = e.device;
    const actions: SuggestionAction[] = [];
    if (codes.has('OFFLINE')) actions.push({ code: 'BRING_ONLINE', message: `bring ${d.name} back online` });
    else if (codes.has('METRICS_STALE')) {
      actions.push({
        code: 'REFRESH_METRICS',
        message: `check the metrics source of ${d.name} (${d.metricsAgeSeconds === null ? 'no sample yet' : `last sample ${formatAge(d.metricsAgeSeconds)} ago`})`,
      });
    }
    if (codes.has('CORDONED')) actions.push({ code: 'UNCORDON', message: `uncordon ${d.name}` });
    if (codes.has('PORT')) {
      for (const p of ports) {
        if (hasPort(d, p)) {
          actions.push({ code: 'FREE_PORT', message: `port ${p} is taken on ${d.name}: stop what listens there` });
        }
      }
    }
    const apps = codes.has('RAM') || codes.has('DATABASE') || codes.has('STORAGE') ? installedApps(d, placing) : [];
    if (codes.has('RAM') || codes.has('DATABASE')) {
      const stop = pickApps(apps, 'memoryBytes', e.memoryNeed - e.memoryAvailable);
      if (!stop) continue;
      for (const a of stop) {
        actions.push({ code: 'STOP_APP', app: a.id, freesBytes: a.memoryBytes, message: `stop ${a.id} on ${d.name}, freeing ${formatBytes(a.memoryBytes)}` });
      }
    }
    if (codes.has('STORAGE')) {
      const remove = pickApps(apps, 'storageBytes', e.storageNeed - e.storageAvailable);
      if (!remove) continue;
      for (const a of remove) {
        actions.push({
          code: 'REMOVE_APP',
          app: a.id,
          freesBytes: a.storageBytes,
          message: `remove ${a.id} from ${d.name}, freeing ${formatBytes(a.storageBytes)} of storage`,
        });
      }
    }
    out.push({ device: d.id, message: actions.map((a) => a.message).join('; '), actions });
  }
  return out.sort((a, b) => a.actions.length - b.actions.length || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
}

/**
 * Few and small: the smallest app that closes the gap, else the largest app and again for what is
 * left; null when stopping everything is still too little.
 */
function pickApps(apps: readonly AppSize[], key: 'memoryBytes' | 'storageBytes', shortfall: number): AppSize[] | null {
  const byId = (a: AppSize, b: AppSize): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const left = apps.filter((a) => a[key] > 0).sort((a, b) => a[key] - b[key] || byId(a, b));
  const picked: AppSize[] = [];
  let gap = shortfall;
  while (gap > 0) {
    if (left.length === 0) return null;
    const closing = left.findIndex((a) => a[key] >= gap);
    const [a] = left.splice(closing >= 0 ? closing : left.length - 1, 1);
    picked.push(a!);
    gap -= a![key];
  }
  return picked;
}

/** Apps on a device by id: running ones and pending reservations, summed (a pending install may already show some memory). */
export function installedApps(d: DeviceSnapshot, placing: string | undefined): AppSize[] {
  const byId = new Map<string, AppSize>();
  const add = (id: string, memoryBytes: number, storageBytes: number): void => {
    if (id === placing) return;
    const cur = byId.get(id);
    if (cur) {
      cur.memoryBytes += memoryBytes;
      cur.storageBytes += storageBytes;
    } else byId.set(id, { id, memoryBytes, storageBytes });
  };
  for (const a of d.apps ?? []) add(a.id, a.memoryBytes, a.storageBytes);
  for (const r of d.reservations) add(r.app, r.memoryBytes, r.storageBytes);
  return [...byId.values()];
}
