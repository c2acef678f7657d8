// The metrics core as the rest of the hub uses it.
export * from './types.js';
export { deriveCpu, deriveSample, isDropped, toMetricPoints, type DeriveOptions, type MetricPoint } from './derive.js';
export {
  classifyDevice,
  figureAges,
  countsAsOnline,
  DEFAULT_STALE_AFTER_INTERVALS,
  DEFAULT_OFFLINE_AFTER_INTERVALS,
  type DeviceObservation,
  type StateOptions,
} from './device-state.js';
export { availability, availabilityOf, availabilityWindows, type Availability, type AvailabilityObservation, type AvailabilityResult } from './availability.js';
export { summarize, type FleetSummary, type SummaryDevice, type SummaryApp, type PoolingSavings, type CapacityTotal, type Coverage } from './aggregate.js';
export { thin, thinningPlan, DEFAULT_THINNING, type ThinningPolicy, type ThinningPlan, type PlanTier, type SeriesPoint } from './thinning.js';
export { Poller, type PollTarget, type PollerCallbacks, type PollerOptions, type PollFailure, type Clock, type DeviceSnapshot } from './poller.js';
