// One device's readings as one MetricsSource for the poller: the engine's metrics (always; also the
// liveness check, since a device Warren cannot reach its engine on cannot run anything) merged with
// the host figures (ssh-procfs, node-exporter or this machine's /proc). A host source that fails only
// leaves its figures to age; an engine that fails fails the reading.
import { WarrenError } from '../errors.js';
import type { InstanceInfo } from '../plugin/host.js';
import type { HostReading, MetricName, MetricsSource } from '../providers/metrics-source.js';

export interface SourceLookup {
  /** The ready provider behind an instance id, or undefined. */
  provider(instanceId: string): MetricsSource | undefined;
  info(instanceId: string): InstanceInfo | undefined;
}

export interface DeviceSourceParts {
  deviceId: string;
  engineInstance: string;
  /** A provider instance id, or a source object (this machine's /proc), or nothing. */
  host?: { instance: string } | { source: MetricsSource };
}

/**
 * Why an instance gives no provider, as the failure a poll reports. `previous` is the error of an
 * earlier attempt: a retry in progress ("starting") has none of its own yet, and "starting" alone
 * would hide why the device is down.
 */
export function notReadyError(what: string, info: InstanceInfo | undefined, previous?: string): WarrenError {
  if (!info) return new WarrenError('WARREN_ERR_DEVICE_UNREACHABLE', `${what}: no provider instance (the plugin may be missing)`);
  const why = info.error?.message ? `: ${info.error.message}` : previous ? ` (last attempt: ${previous})` : '';
  if (info.state === 'needs_reconfiguring') return new WarrenError('WARREN_ERR_AUTH_FAILED', `${what} refused the credentials${why}`);
  const retry = info.retryAt ? `; retrying in ${Math.max(0, Math.round((info.retryAt - Date.now()) / 1000))} s` : '';
  return new WarrenError('WARREN_ERR_DEVICE_UNREACHABLE', `${what} is ${info.state.replace('_', ' ')}${why}${retry}`);
}

export class DeviceSource implements MetricsSource {
  readonly provides: readonly MetricName[] = ['cpu', 'memory', 'swap', 'filesystems', 'load', 'boot', 'containers', 'cpuBenchmark'];
  /** The host source's newest failure while the engine still answered; cleared by a good host reading. */
  hostFailure?: { at: number; message: string };

  constructor(
    private readonly parts: DeviceSourceParts,
    private readonly lookup: SourceLookup,
    private readonly onDuration: (seconds: number, ok: boolean) => void = () => {},
  ) {}

  /** Per instance, the newest error its state carried, for the moments it carries none (retry in progress). */
  private readonly instanceErrors = new Map<string, string>();

  private whyNot(instance: string, what: string): WarrenError {
    const info = this.lookup.info(instance);
    if (info?.error?.message) this.instanceErrors.set(instance, info.error.message);
    return notReadyError(what, info, this.instanceErrors.get(instance));
  }

  private resolve(instance: string, what: string): MetricsSource {
    const p = this.lookup.provider(instance);
    if (!p) throw this.whyNot(instance, what);
    this.instanceErrors.delete(instance);
    return p;
  }

  async collect(signal?: AbortSignal): Promise<HostReading> {
    const t0 = process.hrtime.bigint();
    let ok = false;
    try {
      const engine = this.resolve(this.parts.engineInstance, 'the engine connection');
      const h = this.parts.host;
      const host = h === undefined ? undefined : 'source' in h ? h.source : this.lookup.provider(h.instance);
      if (h && 'instance' in h && host) this.instanceErrors.delete(h.instance);
      const [e, hr] = await Promise.allSettled([engine.collect(signal), host ? host.collect(signal) : Promise.resolve(undefined)]);
      if (e.status === 'rejected') throw e.reason;
      let reading: HostReading = e.value;
      if (hr.status === 'fulfilled' && hr.value) {
        this.hostFailure = undefined;
        // The host's time: CPU rates are computed between host readings.
        reading = { ...hr.value, arch: hr.value.arch ?? e.value.arch, containers: e.value.containers };
      } else if (hr.status === 'rejected') {
        this.hostFailure = { at: Date.now(), message: (hr.reason as Error)?.message ?? String(hr.reason) };
      } else if (h && !host) {
        this.hostFailure = { at: Date.now(), message: this.whyNot((h as { instance: string }).instance, 'the host metrics source').message };
      }
      ok = true;
      return reading;
    } finally {
      this.onDuration(Number(process.hrtime.bigint() - t0) / 1e9, ok);
    }
  }
}
