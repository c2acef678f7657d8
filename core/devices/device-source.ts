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

/** Why an instance gives no provider, as the failure a poll reports. */
export function notReadyError(what: string, info: InstanceInfo | undefined): WarrenError {
  if (!info) return new WarrenError('WARREN_ERR_DEVICE_UNREACHABLE', `${what}: no provider instance (the plugin may be missing)`);
  const why = info.error?.message ? `: ${info.error.message}` : '';
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

  private resolve(instance: string, what: string): MetricsSource {
    const p = this.lookup.provider(instance);
    if (!p) throw notReadyError(what, this.lookup.info(instance));
    return p;
  }

  async collect(signal?: AbortSignal): Promise<HostReading> {
    const t0 = process.hrtime.bigint();
    let ok = false;
    try {
      const engine = this.resolve(this.parts.engineInstance, 'the engine connection');
      const h = this.parts.host;
      const host = h === undefined ? undefined : 'source' in h ? h.source : this.lookup.provider(h.instance);
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
        this.hostFailure = { at: Date.now(), message: notReadyError('the host metrics source', this.lookup.info((h as { instance: string }).instance)).message };
      }
      ok = true;
      return reading;
    } finally {
      this.onDuration(Number(process.hrtime.bigint() - t0) / 1e9, ok);
    }
  }
}
