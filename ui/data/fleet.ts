// Devices, the fleet summary and metric history over REST.
import { request } from './api.js';

export type DeviceState = 'fresh' | 'stale' | 'offline';

export interface Capacity { totalBytes: number; usedBytes: number; availableBytes: number; ageSeconds: number }

export interface SummaryDeviceRow {
  id: string;
  name: string;
  state: DeviceState;
  reason: string;
  message: string;
  ageSeconds: number | null;
  memory?: Capacity;
  storage?: Capacity;
  cpu?: { utilisation: number; cores: number; ageSeconds: number };
  load1?: number;
}

/** Devices whose figures a total includes, of how many, and on how many distinct machines (a machine shared by several devices counts once). */
export interface Coverage { devices: number; of: number; machines?: number }

export interface CapacityTotal { totalBytes: number; usedBytes: number; availableBytes: number; covers: Coverage; ageMs?: number }

/** Devices found to run on one kernel (network namespaces, or the hub's own host added twice); counted once in the totals. */
export interface SharedMachine { devices: string[]; by: 'boot-id' | 'hostname-and-boot-time'; key: string }

export interface SummaryView {
  revision: number;
  summary: {
    at: number;
    devices: Record<DeviceState, number> & { total: number };
    memory: CapacityTotal;
    storage: CapacityTotal;
    cpu: { utilisation: number | null; cores: number; covers: Coverage; ageMs?: number };
    apps: { running: number; stopped: number; failed: number; other: number; total: number };
    pooling: { bytes: number; basis: 'measured' | 'estimated'; ageMs: number } | null;
    sharedMachines?: SharedMachine[];
    /** Plain-language remarks on how the totals were made (device ids, not names). */
    notes?: string[];
  };
  devices: SummaryDeviceRow[];
}

export interface Device {
  id: string;
  name: string;
  engine: string;
  connection: { type: 'socket' | 'tcp' | 'ssh'; host?: string; port?: number; socketPath?: string; username?: string };
  labels: Record<string, string>;
  cordoned: boolean;
  arch?: string;
  state: DeviceState;
  online: boolean;
  message: string;
  ageSeconds: number | null;
  figures?: { memory?: Capacity; storage?: Capacity; cpu?: { utilisation: number; cores: number; ageSeconds: number }; load1?: number };
  availability7d: number | null;
  engineInfo?: { engine: string; version: string; arch: string; cpus: number; memoryBytes: number; hostname?: string };
  instances?: { role: string; id: string; state: string }[];
}

export interface DeviceInput {
  name: string;
  engine?: 'docker' | 'podman';
  connection: Record<string, unknown>;
  nodeExporterUrl?: string;
  helperImage?: string;
}

export interface TestResult { ok: boolean; message?: string; error?: { code: string; message: string; hint?: string }; [k: string]: unknown }

export type Range = '1h' | '24h' | '7d';
export interface History { from: number; to: number; series: Record<string, [number, number][]> }

export const summary = () => request<SummaryView>('GET', '/summary');
export const listDevices = () => request<{ devices: Device[] }>('GET', '/devices').then((r) => r.devices);
export const getDevice = (id: string) => request<{ device: Device }>('GET', `/devices/${encodeURIComponent(id)}`).then((r) => r.device);
export const addDevice = (input: DeviceInput) => request<{ device: Device }>('POST', '/devices', input).then((r) => r.device);
export const testDevice = (input: DeviceInput) => request<TestResult>('POST', '/devices/test', input);
export const removeDevice = (id: string) => request<{ ok: true }>('DELETE', `/devices/${encodeURIComponent(id)}`);
export const setCordoned = (id: string, cordoned: boolean) => request<{ device: Device }>('POST', `/devices/${encodeURIComponent(id)}/${cordoned ? 'cordon' : 'uncordon'}`).then((r) => r.device);
export const deviceHistory = (id: string, range: Range) => request<History>('GET', `/devices/${encodeURIComponent(id)}/metrics?range=${range}`);
