export { placementOrder, rankDevices, rankTable, type PlacementOrder } from './rank.js';
export { DeviceTable } from './table.js';
export { ReservationLedger, type LedgerEntry, type LedgerObservation } from './ledger.js';
export { parseRequirements, parseSnapshot } from './validate.js';
export { describeDeviceArch, intersectPlatforms, normalizeDeviceArch, normalizeImageRef, normalizePlatform, normalizePort, runsImagePlatform } from './platform.js';
export { DEFAULT_CURVES, DEFAULT_DEDICATED_MEMORY, DEFAULT_FRESHNESS_LIMIT_SECONDS, DEFAULT_WEIGHTS } from './settings.js';
export { formatAge, formatBytes } from './units.js';
export * from './types.js';
export { requirementsFromCatalog } from './from-catalog.js';
