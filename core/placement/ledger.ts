// Metrics lag behind placements: two installs a second apart would both see the same free RAM and land
// on the same "emptiest" device. The ledger holds each placement's need against its device until
// metrics show the app: a memory sample of the device taken after the app was up (its used memory now
// includes the app), or the app's containers in the engine's metrics. A reservation that metrics never
// settle (a device that stopped reporting, an install that hangs) expires after a timeout. The ledger
// is an immutable value: every change returns a new ledger; times are given by the caller.
import type { DeviceReservation, Snapshot } from './types.js';

export interface LedgerEntry {
  deviceId: string;
  app: string;
  memoryBytes: number;
  storageBytes: number;
  /** When the reservation was made (epoch ms, given by the caller so that the ledger stays pure). */
  at: number;
  /** When the app was up (its install finished); metrics sampled from then on show it. */
  runningSince?: number;
}

/** What a device's metrics show, for settling its reservations. */
export interface LedgerObservation {
  /** When the device's memory figure was sampled (epoch ms). */
  sampledAt?: number;
  /** Apps whose containers the engine's metrics list (by app id, with their memory). */
  apps?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
}

export class ReservationLedger {
  readonly entries: readonly LedgerEntry[];

  constructor(entries: readonly LedgerEntry[] = []) {
    this.entries = Object.freeze([...entries]);
  }

  /** Hold `need` on a device for an app; an app holds one reservation, so re-placing it moves it. */
  reserve(deviceId: string, app: string, need: { memoryBytes: number; storageBytes: number }, at: number): ReservationLedger {
    return new ReservationLedger([
      ...this.entries.filter((e) => e.app !== app),
      { deviceId, app, memoryBytes: need.memoryBytes, storageBytes: need.storageBytes, at },
    ]);
  }

  /**
   * The app is up (its install finished): keep holding its need until metrics show it (see observe).
   * Unknown apps are ignored.
   */
  running(app: string, at: number): ReservationLedger {
    if (!this.entries.some((e) => e.app === app && e.runningSince === undefined)) return this;
    return new ReservationLedger(this.entries.map((e) => (e.app === app && e.runningSince === undefined ? { ...e, runningSince: at } : e)));
  }

  /**
   * Settle the reservations of a device that its metrics now show: an app named in the engine's
   * metrics, or an app up before the device's memory was sampled (the sample's used memory counts it,
   * so holding its need as well would count it twice). An app still installing is never settled by a
   * memory sample: its containers may not exist yet.
   */
  observe(deviceId: string, seen: LedgerObservation): ReservationLedger {
    const apps = seen.apps;
    const listed = apps === undefined ? () => false : apps instanceof Map ? (app: string) => apps.has(app) : (app: string) => Object.hasOwn(apps, app);
    const kept = this.entries.filter(
      (e) => e.deviceId !== deviceId || !(listed(e.app) || (e.runningSince !== undefined && seen.sampledAt !== undefined && seen.sampledAt >= e.runningSince)),
    );
    return kept.length === this.entries.length ? this : new ReservationLedger(kept);
  }

  /** Drop reservations made more than `timeoutMs` before `now` that metrics never settled. */
  expire(now: number, timeoutMs: number): ReservationLedger {
    const kept = this.entries.filter((e) => now - e.at <= timeoutMs);
    return kept.length === this.entries.length ? this : new ReservationLedger(kept);
  }

  /** Drop an app's reservation (install failed or cancelled). */
  release(app: string): ReservationLedger {
    return this.entries.some((e) => e.app === app) ? new ReservationLedger(this.entries.filter((e) => e.app !== app)) : this;
  }

  /**
   * Metrics from a device name the apps seen running there with their memory; their reservations are
   * dropped because availableBytes now counts them.
   */
  settle(deviceId: string, observedAppMemory: ReadonlyMap<string, number> | Readonly<Record<string, number>>): ReservationLedger {
    return this.observe(deviceId, { apps: observedAppMemory });
  }

  forDevice(deviceId: string): LedgerEntry[] {
    return this.entries.filter((e) => e.deviceId === deviceId);
  }

  /**
   * The snapshot with the ledger's reservations added to each device's own; where both name the same
   * app the ledger wins, since it is the newer word. The input is not modified.
   */
  applyTo(snapshot: Snapshot): Snapshot {
    const byDevice = new Map<string, LedgerEntry[]>();
    for (const e of this.entries) {
      const list = byDevice.get(e.deviceId);
      if (list) list.push(e);
      else byDevice.set(e.deviceId, [e]);
    }
    const held = new Set(this.entries.map((e) => e.app));
    return {
      ...snapshot,
      devices: snapshot.devices.map((d) => {
        const own = byDevice.get(d.id) ?? [];
        const kept = d.reservations.filter((r) => !held.has(r.app));
        if (own.length === 0 && kept.length === d.reservations.length) return d;
        const reservations: DeviceReservation[] = [
          ...kept,
          ...own.map((e) => ({ app: e.app, memoryBytes: e.memoryBytes, storageBytes: e.storageBytes })),
        ];
        return { ...d, reservations };
      }),
    };
  }
}
