// The container engine as a metrics source: per-container memory (without inactive file cache) and
// cumulative CPU time, plus the device's architecture. Host-wide CPU and memory counters are not in
// the engine API; the procfs and node_exporter sources give those.
import type { Closable } from '../../core/plugin/types.js';
import type { HostReading, MetricName, MetricsSource } from '../../core/providers/metrics-source.js';
import type { EngineHost } from './engine-host.js';

export class EngineMetrics implements MetricsSource, Closable {
  readonly provides: readonly MetricName[] = ['containers'];

  constructor(private readonly host: EngineHost) {}

  async collect(signal?: AbortSignal): Promise<HostReading> {
    const [info, stats] = await Promise.all([this.host.info(signal), this.host.containerStats(signal)]);
    return {
      at: Date.now(),
      arch: info.variant ? `${info.arch}/${info.variant}` : info.arch,
      containers: stats.map((s) => ({
        name: s.name,
        ...(s.project ? { project: s.project } : {}),
        ...(s.service ? { service: s.service } : {}),
        memoryBytes: s.memoryBytes,
        ...(s.memoryIncludesFileCache ? { memoryIncludesFileCache: true as const } : {}),
        cpuTotalNs: s.cpuTotalNs,
      })),
    };
  }

  close(): Promise<void> {
    return this.host.close();
  }
}
