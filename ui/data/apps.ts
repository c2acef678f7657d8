// Installed apps, their operations, placement and logs over REST; the `apps` and `operation:<id>` rooms carry live changes.
import { HubError, request } from './api.js';

// The hub's own view types (type-only: nothing of core reaches the bundle).
export type { AppDetail, AppView, OperationView } from '../../core/apps/service.js';
import type { AppDetail, AppView, OperationView } from '../../core/apps/service.js';

export interface CriterionResult { value: number | null; score: number; weight: number; contribution: number; need?: number; note?: string }

export interface Candidate {
  device: string;
  name: string;
  eligible: boolean;
  total: number | null;
  criteria: Record<string, CriterionResult>;
  reasons: { code: string; message: string }[];
  databases?: { ref: string; engine: string; via: string; detail: string }[];
  notes?: string[];
}

export interface PlacementResult {
  recommended: string | null;
  weights: Record<string, number>;
  curves: Record<string, { formula: string }>;
  tieBreak: string | null;
  candidates: Candidate[];
  suggestions: { device: string; message: string; actions: { message: string }[] }[];
  warnings: { code: string; message: string }[];
}

export const listApps = () => request<{ apps: AppView[] }>('GET', '/apps').then((r) => r.apps);
export const getApp = (id: string) => request<{ app: AppDetail }>('GET', `/apps/${encodeURIComponent(id)}`).then((r) => r.app);
export const place = (catalogId: string) => request<PlacementResult>('POST', '/placement', { app: catalogId });
export const install = (req: { app: string; device?: string; inputs?: Record<string, unknown>; name?: string }) =>
  request<{ app: string; operation: string }>('POST', '/apps', req);
export const appAction = (id: string, action: 'start' | 'stop' | 'restart' | 'update') => request<{ operation: string }>('POST', `/apps/${encodeURIComponent(id)}/${action}`);
export const removeApp = (id: string, removeData: boolean) => request<{ operation: string }>('DELETE', `/apps/${encodeURIComponent(id)}?removeData=${removeData}`);
export const getOperation = (id: string) => request<{ operation: OperationView }>('GET', `/operations/${encodeURIComponent(id)}`).then((r) => r.operation);

/** Follows an app's logs; each line as it comes. Ends when the signal aborts. */
export async function followLogs(id: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(`/api/apps/${encodeURIComponent(id)}/logs?follow=true&tail=200`, { credentials: 'same-origin', signal });
  if (!res.ok || !res.body) {
    const data = (await res.json().catch(() => ({}))) as { error?: HubError['error'] };
    throw new HubError(data.error ?? { code: 'WARREN_ERR_INTERNAL', message: `logs: HTTP ${res.status}` }, res.status);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const parts = (rest + value).split('\n');
      rest = parts.pop() ?? '';
      for (const l of parts) onLine(l);
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
  if (rest) onLine(rest);
}

/** Where a running app answers: the device's address and the main service's published port. */
export function openUrl(app: AppDetail, deviceHost: string | undefined, main?: { service: string; port: number; path?: string }): string | undefined {
  const svc = app.services.find((s) => s.service === main?.service) ?? app.services.find((s) => s.ports.some((p) => p.published));
  const port = svc?.ports.find((p) => p.published && (!main || p.target === main.port)) ?? svc?.ports.find((p) => p.published);
  if (!port?.published) return undefined;
  return `http://${deviceHost || location.hostname}:${port.published}${main?.path ?? '/'}`;
}

/** Polls an operation until it ends; each progress message as it changes. Resolves with the final view. */
export async function waitOperation(id: string, onMessage?: (message: string) => void, everyMs = 1000): Promise<OperationView> {
  let last = '';
  for (;;) {
    const op = await getOperation(id);
    const message = op.progress?.message ?? (op.currentStep !== null ? op.steps[op.currentStep]?.name : undefined) ?? '';
    if (message && message !== last) onMessage?.((last = message));
    if (op.state !== 'pending' && op.state !== 'running') return op;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
