// Placement inputs and outputs. The JSON field names of DeviceSnapshot and PlacementResult are read by
// other programs (`warren place --json`, `POST /api/placement`, snapshot files): keep them stable.

export type DatabaseEngine = 'postgres' | 'mariadb';

export interface DatabaseNeed {
  /** The name the manifest uses for this database (`db`, `cache`, ...). */
  ref: string;
  engine: DatabaseEngine;
  /** A semver range the server version must satisfy; absent means any version. */
  versions?: string;
  extensions?: string[];
  /** Always a dedicated server, never a shared pool. */
  dedicated?: boolean;
  /** Memory of this app's own fallback server (its bundled sidecar); default: the per-engine figure. */
  dedicatedMemoryBytes?: number;
}

export interface DevicePathNeed {
  path: string;
  /** Missing optional paths only produce a note (e.g. no hardware transcoding). */
  optional?: boolean;
}

/**
 * What an app needs from a device. `architectures` lists the platforms offered by every image of the
 * app (`linux/amd64`, `linux/arm/v7`, ...; see intersectPlatforms); an empty list means "any".
 */
export interface PlacementRequirements {
  /** The app's id: its own reservations do not count against it, and it is not "another app". */
  app?: string;
  memoryBytes: number;
  /** Observed memory of a running instance; the need is max(declared, observed). */
  observedMemoryBytes?: number;
  diskBytes: number;
  architectures?: string[];
  devicePaths?: DevicePathNeed[];
  /** `53/udp`, `8080/tcp`; a bare `8080` means tcp. */
  ports?: string[];
  databases?: DatabaseNeed[];
  /** Image refs, for the "image already present" tie-break. */
  images?: string[];
  /** A CPU limit (Compose `cpus`): engines refuse to start it on a device with fewer cores. */
  cpus?: number;
  /** Per-app overrides of the global weights and curves. */
  weights?: Partial<Weights>;
  curves?: CurveOverrides;
}

export interface DeviceReservation {
  app: string;
  memoryBytes: number;
  storageBytes: number;
}

export interface InstalledApp {
  id: string;
  memoryBytes: number;
  storageBytes: number;
}

/** One device as a snapshot file (`warren devices snapshot`) and the hub describe it. */
export interface DeviceSnapshot {
  id: string;
  name: string;
  online: boolean;
  /** Age of the newest metrics sample; null when there is none. Ignored when sampledAtMs is given. */
  metricsAgeSeconds: number | null;
  /**
   * When the newest metrics sample was taken (ms since the epoch), for a caller that keeps snapshots
   * (the hub's kept table): the age is then worked out when ranking, max(0, round((now − sampledAtMs) /
   * 1000)) seconds with `now` the ranking's PlacementOptions.now, and metricsAgeSeconds is not read
   * (keep it constant, e.g. null, so that an unchanged device stays an unchanged snapshot). Snapshot
   * files give metricsAgeSeconds instead.
   */
  sampledAtMs?: number;
  cordoned: boolean;
  /** `amd64`, `arm64`, `arm/v7`, ... (aliases such as `x86_64` and `aarch64` are accepted). */
  arch: string;
  /** Extra platforms the device runs besides `arch` (an arm64 board with 32-bit support lists `arm/v7`). */
  platforms?: string[];
  cores: number;
  /** 1.0 = the reference core; null or 0 when unknown. */
  cpuScorePerCore: number | null;
  memory: { totalBytes?: number; availableBytes: number; reserveBytes: number };
  storage: { availableBytes: number; reserveBytes?: number };
  /** null when unknown. */
  load1: number | null;
  /** 0–1, or null when unknown (under an hour of history). */
  availability7d: number | null;
  devicePaths: string[];
  listeningPorts: string[];
  images: string[];
  reservations: DeviceReservation[];
  databases: { engine: string; version: string; extensions?: string[] }[];
  apps?: InstalledApp[];
}

export interface Snapshot {
  devices: DeviceSnapshot[];
  takenAt?: string;
}

export const CRITERIA = ['ram', 'storage', 'cpu', 'load', 'reliability'] as const;
export type Criterion = (typeof CRITERIA)[number];
export type Weights = Record<Criterion, number>;

/** Parameters of the scoring curves; every one is echoed in the result with its formula. */
export interface Curves {
  /** score = 100·min(1, (avail − need)/(headroomFactor·need)) */
  ram: { headroomFactor: number };
  /** score = 100·min(1, (avail − need)/(headroomFactor·max(need, minNeedBytes))) */
  storage: { headroomFactor: number; minNeedBytes: number };
  /** score = 100·min(1, cores·perCore/reference); perCore unknown counts as unknownPerCoreScore. */
  cpu: { reference: number; unknownPerCoreScore: number };
  /** score = 100·(1 − min(1, load1/(cores·perCoreCapacity))); unknown load scores unknownScore. */
  load: { perCoreCapacity: number; unknownScore: number };
  /** score = 100·availability7d; unknown scores unknownScore. */
  reliability: { unknownScore: number };
}

export type CurveOverrides = { [K in Criterion]?: Partial<Curves[K]> };

export interface PlacementOptions {
  weights?: Partial<Weights>;
  curves?: CurveOverrides;
  /** Metrics older than this disqualify a device. Default 90. */
  freshnessLimitSeconds?: number;
  /**
   * The ranking's time (ms since the epoch; default Date.now()): the ages of devices that give their
   * sample time (DeviceSnapshot.sampledAtMs) are counted to it. Devices that give metricsAgeSeconds do
   * not depend on it.
   */
  now?: number;
  /** Memory a dedicated database server needs, per engine. Defaults: postgres 256 MiB, mariadb 384 MiB. */
  dedicatedMemoryBytes?: Partial<Record<DatabaseEngine, number>>;
  /**
   * The shared server an install creates on a device that has no server of the engine yet: its memory
   * (default: the dedicatedMemoryBytes figure) and, when known in advance, the version and extensions
   * it will run (a need they do not meet then gets a dedicated server besides, as install does).
   */
  newPoolServer?: Partial<Record<DatabaseEngine, { memoryBytes?: number; version?: string; extensions?: string[] }>>;
}

export type ReasonCode =
  | 'OFFLINE'
  | 'METRICS_STALE'
  | 'CORDONED'
  | 'ARCH'
  | 'CPU_CORES'
  | 'DEVICE_PATH'
  | 'PORT'
  | 'RAM'
  | 'STORAGE'
  | 'DATABASE';

export interface Reason {
  code: ReasonCode;
  message: string;
}

export interface CriterionResult {
  /** The measured input: bytes available (ram, storage), cores·perCore (cpu), load1, availability (0–1). */
  value: number | null;
  score: number;
  weight: number;
  contribution: number;
  /** What the device needs to give, for ram and storage (bytes). */
  need?: number;
  /** Why a neutral or assumed figure was used. */
  note?: string;
}

export interface DatabasePlan {
  ref: string;
  engine: DatabaseEngine;
  via: 'pool' | 'dedicated';
  /** The device has no shared server of the engine yet: installing creates it. */
  newServer?: boolean;
  /** The pool used (`postgres 16.2 pool`), the shared server to be created, or why a dedicated server is needed. */
  detail: string;
  /** Memory of the servers this need brings onto the device (0 for an existing pool); counted in the RAM need. */
  memoryBytes: number;
}

export interface Candidate {
  device: string;
  name: string;
  eligible: boolean;
  /** 0–100, the sum of the contributions; null when disqualified. */
  total: number | null;
  /** Always computed, so a disqualified device still shows how it would have scored. */
  criteria: Record<Criterion, CriterionResult>;
  reasons: Reason[];
  /** RAM left after this app (and any dedicated database servers): the first tie-break. */
  headroomBytes: number;
  /** How many of the app's images the device already has: the second tie-break. */
  imagesPresent: number;
  databases: DatabasePlan[];
  notes: string[];
}

export interface SuggestionAction {
  code: 'STOP_APP' | 'REMOVE_APP' | 'UNCORDON' | 'FREE_PORT' | 'BRING_ONLINE' | 'REFRESH_METRICS';
  message: string;
  app?: string;
  freesBytes?: number;
}

export interface Suggestion {
  device: string;
  message: string;
  actions: SuggestionAction[];
}

export interface PlacementWarning {
  code: 'LARGEST_APP_HOMELESS' | 'NO_FIX' | 'NO_DEVICES';
  message: string;
}

export interface PlacementResult {
  recommended: string | null;
  weights: Weights;
  /** The curves used, with their parameters and formulas, so that every score can be recomputed. */
  curves: { [K in Criterion]: Curves[K] & { formula: string } };
  freshnessLimitSeconds: number;
  /** Which tie-break chose the recommendation over an equal total; null when there was no tie. */
  tieBreak: string | null;
  /** Best first; disqualified last (fewest reasons first, then by id). */
  candidates: Candidate[];
  /** Filled only when nothing qualifies: what would make a device fit. */
  suggestions: Suggestion[];
  warnings: PlacementWarning[];
}

/** Body of `POST /api/placement`: an app by catalog id or inline requirements, plus optional overrides. */
export interface PlacementApiRequest {
  app?: string;
  requirements?: PlacementRequirements;
  weights?: Partial<Weights>;
  freshnessLimitSeconds?: number;
}
