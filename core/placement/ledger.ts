// Metrics lag behind placements: two installs a second apart would both see the same free RAM and land
// on the same "emptiest" device. The ledger holds each placement's need against its device until
// metrics show the app running. It is an immutable value: every change returns a new ledger.
import type { DeviceReservation, Snapshot } from './types.js';

export interface LedgerEntry {
  deviceId: string;
  app: string;
  memoryBytes: number;
  storageBytes: number;
  /** When the reservation was made (epoch ms, given by the caller so that the ledger stays pure). */
  at: number;
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

  /** Drop an app's reservation (install failed or cancelled). */
  release(app: string): ReservationLedger {
    return this.entries.some((e) => e.app === app) ? new ReservationLedger(this.entries.filter((e) => e.app !== app)) : this;
  }

  /**
   * Metrics from a device name the apps seen running there with their memory; their reservations are
   * dropped because availableBytes now counts them.
   */
  settle(deviceId: string, observedAppMemory: ReadonlyMap<string, number> | Readonly<Record<string, number>>): ReservationLedger {
    const seen = observedAppMemory instanceof Map ? (app: string) => observedAppMemory.has(app) : (app: string) => Object.hasOwn(observedAppMemory, app);
    const kept = this.entries.filter((e) => e.deviceId !== deviceId || !seen(e.app));
    return kept.length === this.entries.length ? this : new ReservationLedger(kept);
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
