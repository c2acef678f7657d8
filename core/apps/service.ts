// Installed apps: install, start, stop, restart, update and remove as journaled operations that run in
// the background (the caller gets the operation id at once), recovery of what a previous hub left
// unfinished, and a reconcile loop that keeps each app's status in step with its engine.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Catalog, type CatalogEntry } from '../catalog/catalog.js';
import { loadManifest } from '../catalog/loader.js';
import { generateSecrets, requirementsOf, resolveStack, validateInputs, type PooledDatabase } from '../catalog/resolve.js';
import { APP_ID_PATTERN, type AppManifest } from '../catalog/types.js';
import { describeError, WarrenError } from '../errors.js';
import type { Hub } from '../hub.js';
import { rankDevices, requirementsFromCatalog, ReservationLedger, type LedgerObservation, type PlacementOptions, type PlacementRequirements, type PlacementResult, type Snapshot } from '../placement/index.js';
import type { ContainerHost, LogLine, StackStatus } from '../providers/container-host.js';
import type { AppRecord, Operation } from '../store/index.js';
import { Journal, type OperationKind, type StepData } from './journal.js';
import { INSTALL, KINDS, kindOf, REMOVE, RESTART, START, STOP, UPDATE } from './steps.js';

export interface AppsOptions {
  reconcileIntervalMs: number;
  healthTimeoutMs: number;
  imageRewrites?: Record<string, string>;
  /** Test hook: `<kind>:<step>:<before|after>` kills the process at that step boundary (see core/apps/index.ts). */
  crashAt?: string;
  /** The ContainerHost of a device; by default the device's engine instance. */
  hostFor?: (device: string) => ContainerHost | undefined;
}

export interface InstallRequest {
  catalogId: string;
  device?: string;
  force?: boolean;
  inputs?: Record<string, unknown>;
  /** The app id; the catalog id (then `-2`, `-3`...) by default. */
  name?: string;
}

export interface AppView {
  id: string;
  catalogId: string;
  catalogVersion: string;
  title?: string;
  device: string | null;
  status: string;
  inputs: Record<string, unknown>;
  project: string;
  /** The operation running on the app, if any. */
  operation?: string;
  createdAt: number;
  updatedAt: number;
}

export interface AppDetail extends AppView {
  services: { service: string; state: string; health: string; image: string; ports: { target: number; published?: number; protocol: string }[] }[];
  statusError?: string;
}

export interface OperationView {
  id: string;
  kind: string;
  target: string;
  state: Operation['state'];
  steps: { name: string; state: string; error?: string }[];
  currentStep: number | null;
  error: string | null;
  progress?: { step: string; message: string; fraction: number };
  createdAt: number;
  updatedAt: number;
}

const ACTIVE: Operation['state'][] = ['pending', 'running'];
/** A reservation that metrics never settle (a device that stopped reporting) is dropped after this. */
const RESERVATION_TIMEOUT_MS = 10 * 60_000;
const SECRET_INPUT_PREFIX = 'input:';

/** A manifest as the text kept in the journal and beside the app: its Compose document with `x-warren`. */
export function manifestText(m: AppManifest): string {
  return stringify(m.document);
}

/** The manifest back from `manifestText`; a journal entry that no longer loads is an operation error. */
export function manifestFrom(text: unknown, what: string): AppManifest {
  if (typeof text !== 'string') throw new WarrenError('WARREN_ERR_OPERATION', `the journal holds no ${what} manifest`);
  return loadManifest(text, { source: `journal:${what}` });
}

export function operationView(op: Operation, progress?: OperationView['progress']): OperationView {
  return {
    id: op.id,
    kind: op.kind,
    target: op.target,
    state: op.state,
    steps: op.steps.map((s) => ({ name: s.name, state: s.state, ...(s.error ? { error: s.error } : {}) })),
    currentStep: op.currentStep,
    error: op.error,
    ...(progress ? { progress } : {}),
    createdAt: op.createdAt,
    updatedAt: op.updatedAt,
  };
}

/** Engine state → app status: what the reconcile loop writes. */
export function statusFrom(st: StackStatus): string {
  if (st.state === 'missing') return 'missing';
  if (st.services.some((s) => s.health === 'unhealthy' || s.state === 'dead')) return 'failed';
  if (st.state === 'stopped' && st.services.some((s) => s.state === 'exited' && s.exitCode !== undefined && ![0, 137, 143].includes(s.exitCode))) return 'failed';
  return st.state;
}

export class AppService {
  private ledger = new ReservationLedger();
  private readonly journal: Journal<AppService>;
  /** App id → id of the operation running on it in this process. */
  private readonly busy = new Map<string, string>();
  /** Ids taken by installs that have not recorded their app row yet. */
  private readonly claimed = new Set<string>();
  /** Secret inputs of installs in flight, by operation id, until their `secrets` step stores them. */
  private readonly secretInputs = new Map<string, Record<string, string>>();
  private readonly progress = new Map<string, NonNullable<OperationView['progress']>>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly hub: Hub, readonly opts: AppsOptions) {
    this.journal = new Journal<AppService>(hub.store, this, {
      boundary: (kind, step, when) => {
        // Test hook, documented in core/apps/index.ts: die at a step boundary as a power cut would.
        if (opts.crashAt === `${kind}:${step}:${when}`) {
          hub.logger.warn(`WARREN_TEST_CRASH_AT=${opts.crashAt}: killing the hub`);
          hub.logger.flush?.();
          process.kill(process.pid, 'SIGKILL');
        }
      },
      progress: (op, step, message, fraction) => this.onProgress(op, step, message, fraction),
      finished: (op) => this.onFinished(op),
    });
  }

  get store() {
    return this.hub.store;
  }

  // ---- lookups -------------------------------------------------------------------------------------

  catalog(): Catalog {
    const c = this.hub.services.catalog;
    if (!(c instanceof Catalog)) throw new WarrenError('WARREN_ERR_NOT_READY', 'the catalog is still loading', { hint: 'try again in a moment' });
    return c;
  }

  manifest(catalogId: string): AppManifest {
    return this.catalog().get(catalogId).manifest;
  }

  hostFor(device: string): ContainerHost {
    const host = this.opts.hostFor ? this.opts.hostFor(device) : this.hub.plugins.provider(`device-${device}`, 'container-host');
    if (!host) throw new WarrenError('WARREN_ERR_DEVICE_UNREACHABLE', `the container engine of device ${device} is not connected`, { hint: '`warren devices list` shows its state.' });
    return host;
  }

  private pooling() {
    const p = this.hub.services.pooling;
    if (!p) throw new WarrenError('WARREN_ERR_NOT_READY', 'the pooling feature is not running');
    return p;
  }

  private async record(id: string): Promise<AppRecord> {
    if (typeof id !== 'string' || !APP_ID_PATTERN.test(id)) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `"${String(id).slice(0, 80)}" is not an app id`, { details: [{ path: '/id', message: 'app ids are 1-63 lowercase letters, digits and dashes' }] });
    }
    const app = await this.store.apps.get(id);
    if (!app) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no installed app "${id}"`, { hint: '`warren apps list` shows the installed apps.' });
    return app;
  }

  private view(a: AppRecord): AppView {
    let title: string | undefined;
    try {
      title = this.manifest(a.catalogId).title;
    } catch {
      // An app whose catalog entry went away is still listed, without a title.
    }
    const op = this.busy.get(a.id);
    return {
      id: a.id, catalogId: a.catalogId, catalogVersion: a.catalogVersion, ...(title ? { title } : {}), device: a.device, status: a.status,
      inputs: a.inputs, project: a.project, ...(op ? { operation: op } : {}), createdAt: a.createdAt, updatedAt: a.updatedAt,
    };
  }

  async list(): Promise<AppView[]> {
    return (await this.store.apps.list()).map((a) => this.view(a));
  }

  async get(id: string): Promise<AppDetail> {
    const a = await this.record(id);
    const detail: AppDetail = { ...this.view(a), services: [] };
    try {
      const st = await this.hostFor(a.device!).stackStatus(a.project);
      detail.services = st.services.map((s) => ({ service: s.service, state: s.state, health: s.health, image: s.image, ports: s.ports }));
    } catch (e) {
      detail.statusError = describeError(e).message;
    }
    return detail;
  }

  async logs(id: string, opts: { tail?: number; follow?: boolean; service?: string; signal?: AbortSignal } = {}): Promise<AsyncIterable<LogLine>> {
    const a = await this.record(id);
    return this.hostFor(a.device!).logs(a.project, opts);
  }

  async operations(filter: { limit?: number; target?: string } = {}): Promise<OperationView[]> {
    const ops = await this.store.operations.list({ ...filter });
    return ops.filter((o) => KINDS[o.kind]).map((o) => operationView(o, this.progress.get(o.id)));
  }

  async operation(id: string): Promise<OperationView> {
    const op = await this.store.operations.get(id);
    if (!op || !KINDS[op.kind]) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no app operation "${String(id).slice(0, 80)}"`);
    return operationView(op, this.progress.get(op.id));
  }

  // ---- placement -----------------------------------------------------------------------------------

  requirements(manifest: AppManifest, appId = manifest.id): PlacementRequirements {
    return { ...requirementsFromCatalog(requirementsOf(manifest, { imageRewrites: this.opts.imageRewrites })), app: appId };
  }

  async place(requirements: PlacementRequirements, options: PlacementOptions = {}): Promise<PlacementResult> {
    const devices = this.hub.services.devices;
    if (!devices) throw new WarrenError('WARREN_ERR_NOT_READY', 'the devices feature is not running');
    // Each device's known images (this app's checked now), its figures and lists, from the devices
    // service's caches; the service keeps them as a DeviceTable and rewrites only rows that changed.
    const snapshot = await devices.placementSnapshot({ images: requirements.images ?? [] });
    this.settleReservations(snapshot);
    // A device without a shared server gets the one install would create: its memory and version.
    const plans = this.hub.services.pooling?.newServerPlans();
    const withPlans: PlacementOptions = plans ? { ...options, newPoolServer: { ...plans, ...options.newPoolServer } } : options;
    // Synchronously from here: the kept table is current only until the next placement updates it.
    return rankDevices(requirements, devices.keptTable(this.ledger.applyTo(snapshot).devices), withPlans);
  }

  /**
   * A placement's reservation lasts until its device's metrics show the app: a memory sample taken
   * after the app came up (the sample's used memory then counts it), the app's containers running
   * with memory figures in the engine's metrics, or RESERVATION_TIMEOUT_MS.
   */
  private settleReservations(snapshot: Snapshot): void {
    const now = Date.now();
    let ledger = this.ledger.expire(now, RESERVATION_TIMEOUT_MS);
    const metrics = this.hub.services.metrics as { containers?(device: string): { at: number; list: { project?: string; memoryBytes: number }[] } | undefined } | undefined;
    for (const d of snapshot.devices) {
      // The age is rounded to seconds: take the sample to be up to a second older than it says.
      const seen: LedgerObservation = d.metricsAgeSeconds !== null ? { sampledAt: now - (d.metricsAgeSeconds + 1) * 1000 } : {};
      const held = ledger.forDevice(d.id);
      const engine = held.length > 0 ? metrics?.containers?.(d.id) : undefined;
      if (engine) {
        // Apps by their compose project; only a sample taken after the reservation was made counts.
        const apps = new Map<string, number>();
        for (const c of engine.list) {
          if (!c.project?.startsWith('warren-') || !(c.memoryBytes > 0)) continue;
          const app = c.project.slice('warren-'.length);
          if (held.some((e) => e.app === app && e.at <= engine.at)) apps.set(app, (apps.get(app) ?? 0) + c.memoryBytes);
        }
        if (apps.size > 0) seen.apps = apps;
      }
      if (seen.sampledAt !== undefined || seen.apps) ledger = ledger.observe(d.id, seen);
    }
    this.ledger = ledger;
  }

  releaseReservation(app: string): void {
    this.ledger = this.ledger.release(app);
  }

  /** The app is up: its reservation stays until metrics show it (see settleReservations). */
  reservationRunning(app: string): void {
    this.ledger = this.ledger.running(app, Date.now());
  }

  /** The reservations held now, for tests and diagnostics. */
  reservations(): readonly { deviceId: string; app: string; memoryBytes: number; storageBytes: number; at: number; runningSince?: number }[] {
    return this.ledger.entries;
  }

  // ---- operations ----------------------------------------------------------------------------------

  private async freeId(base: string, explicit: boolean): Promise<string> {
    const taken = async (id: string) => this.claimed.has(id) || !!(await this.store.apps.get(id));
    if (explicit) {
      if (await taken(base)) throw new WarrenError('WARREN_ERR_CONFLICT', `an app named "${base}" is already installed`, { details: [{ path: '/name', message: 'already taken' }], hint: 'Choose another name, or leave it out.' });
      return base;
    }
    for (let n = 1; ; n++) {
      const id = n === 1 ? base : `${base.slice(0, 63 - String(n).length - 1)}-${n}`;
      if (!(await taken(id))) return id;
    }
  }

  /** Validates everything, picks the device and starts the install; answers before any of it is deployed. */
  async install(req: InstallRequest): Promise<{ operation: string; app: string; device: string; placement: PlacementResult }> {
    if (typeof req.catalogId !== 'string' || !req.catalogId) throw new WarrenError('WARREN_ERR_INVALID_INPUT', '"app" (the catalog id) is required', { details: [{ path: '/app', message: 'must be a catalog id' }] });
    if (req.name !== undefined && (typeof req.name !== 'string' || !APP_ID_PATTERN.test(req.name))) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', `"${String(req.name).slice(0, 80)}" cannot be an app id`, { details: [{ path: '/name', message: 'app ids are 1-63 lowercase letters, digits and dashes, starting with a letter or digit' }] });
    }
    if (req.inputs !== undefined && (typeof req.inputs !== 'object' || req.inputs === null || Array.isArray(req.inputs))) {
      throw new WarrenError('WARREN_ERR_INVALID_INPUT', '"inputs" must be an object of input names to values', { details: [{ path: '/inputs', message: 'must be an object' }] });
    }
    const entry: CatalogEntry = this.catalog().get(req.catalogId);
    const manifest = entry.manifest;
    const values = validateInputs(manifest, req.inputs ?? {});
    const plain: Record<string, unknown> = {};
    const secret: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) {
      if (manifest.inputs[k]?.secret) secret[k] = String(v);
      else plain[k] = v;
    }
    const app = await this.freeId(req.name ?? manifest.id, req.name !== undefined);
    const requirements = this.requirements(manifest, app);
    const placement = await this.place(requirements);
    const device = this.chooseDevice(placement, req.device, req.force === true);
    if (this.claimed.has(app) || (await this.store.apps.get(app))) return this.install(req);
    this.claimed.add(app);
    try {
      this.ledger = this.ledger.reserve(device, app, { memoryBytes: requirements.memoryBytes, storageBytes: requirements.diskBytes }, Date.now());
      const project = `warren-${app}`;
      const op = await this.journal.create(INSTALL, `app:${app}`, {
        app, catalogId: manifest.id, catalogVersion: manifest.version, device, project, inputs: plain,
      });
      await this.store.operations.update(op.id, { steps: op.steps.map((s, i) => (i === 0 ? { ...s, data: { ...s.data, operation: op.id } } : s)) });
      this.secretInputs.set(op.id, secret);
      this.launch(app, INSTALL, (await this.store.operations.get(op.id))!, () => {
        this.claimed.delete(app);
        this.secretInputs.delete(op.id);
      });
      return { operation: op.id, app, device, placement };
    } catch (e) {
      this.claimed.delete(app);
      this.releaseReservation(app);
      throw e;
    }
  }

  private chooseDevice(placement: PlacementResult, wanted: string | undefined, force: boolean): string {
    if (wanted !== undefined) {
      const c = placement.candidates.find((x) => x.device === wanted || x.name === wanted);
      if (!c) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no device "${String(wanted).slice(0, 80)}"`, { details: [{ path: '/device', message: 'not a known device' }], hint: '`warren devices list` shows the devices.' });
      if (!c.eligible && !force) {
        throw new WarrenError('WARREN_ERR_PLACEMENT', `${c.name} cannot take this app: ${c.reasons.map((r) => r.message).join('; ')}`, {
          details: c.reasons.map((r) => ({ path: `/device/${r.code}`, message: r.message })),
          hint: placement.recommended ? `The recommended device is ${placement.recommended}; or pass force to install anyway.` : 'Pass force to install anyway.',
        });
      }
      return c.device;
    }
    if (!placement.recommended) {
      const details = placement.candidates.flatMap((c) => c.reasons.map((r) => ({ path: `/devices/${c.device}/${r.code}`, message: r.message })));
      throw new WarrenError('WARREN_ERR_PLACEMENT', placement.candidates.length ? 'no device can take this app' : 'there are no devices to install on', {
        details,
        hint: placement.suggestions.length ? placement.suggestions.map((s) => s.message).join(' ') : 'Add a device with `warren devices add`, or name one with force.',
      });
    }
    return placement.recommended;
  }

  private async begin(id: string, def: OperationKind<AppService>, extra: StepData = {}): Promise<{ operation: string; app: string }> {
    const a = await this.record(id);
    if (this.busy.has(id)) throw new WarrenError('WARREN_ERR_CONFLICT', `${id} is busy with operation ${this.busy.get(id)}`, { hint: `Wait for it: GET /api/operations/${this.busy.get(id)}` });
    if (!a.device) throw new WarrenError('WARREN_ERR_CONFLICT', `${id} has no device`);
    const op = await this.journal.create(def, `app:${id}`, { app: id, catalogId: a.catalogId, device: a.device, project: a.project, ...extra });
    await this.store.operations.update(op.id, { steps: op.steps.map((s, i) => (i === 0 ? { ...s, data: { ...s.data, operation: op.id } } : s)) });
    this.launch(id, def, (await this.store.operations.get(op.id))!);
    return { operation: op.id, app: id };
  }

  start(id: string) { return this.begin(id, START); }
  stop(id: string) { return this.begin(id, STOP); }
  restart(id: string) { return this.begin(id, RESTART); }

  /**
   * Deploys the catalog's current version of the app. Both manifests go into the journal: the new one so
   * that a recovered update deploys what was asked for whatever the catalog says by then, the deployed one
   * so that a failed update can put it back (its data volumes and secrets are never touched).
   */
  async update(id: string): Promise<{ operation: string; app: string; from: string; to: string }> {
    const a = await this.record(id);
    const m = this.manifest(a.catalogId);
    let from = await this.deployedManifest(a.id);
    if (from === undefined && m.version === a.catalogVersion) from = manifestText(m);
    const r = await this.begin(id, UPDATE, {
      fromVersion: a.catalogVersion, toVersion: m.version, toManifest: manifestText(m), ...(from !== undefined ? { fromManifest: from } : {}),
    });
    return { ...r, from: a.catalogVersion, to: m.version };
  }

  // ---- the deployed manifest -----------------------------------------------------------------------

  private deployedPath(app: string): string {
    return join(this.hub.config.dataDir, 'apps', app, 'deployed.yaml');
  }

  /** The manifest the app's running stack was deployed from (written once an install or update ends). */
  async deployedManifest(app: string): Promise<string | undefined> {
    const file = this.deployedPath(app);
    return existsSync(file) ? readFile(file, 'utf8') : undefined;
  }

  async forgetDeployed(app: string): Promise<void> {
    await rm(join(this.deployedPath(app), '..'), { recursive: true, force: true });
  }

  async saveDeployed(app: string, text: string): Promise<void> {
    const file = this.deployedPath(app);
    await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
    await writeFile(`${file}.tmp`, text, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  remove(id: string, opts: { removeData?: boolean } = {}) {
    return this.begin(id, REMOVE, { removeData: opts.removeData === true });
  }

  private launch(app: string, def: OperationKind<AppService>, op: Operation, after?: () => void, recover = false): void {
    this.busy.set(app, op.id);
    const p = (recover ? this.journal.recover(def, op) : this.journal.run(def, op))
      .catch((e) => this.hub.logger.error({ err: e, operation: op.id }, `the ${def.kind} of ${app} stopped with an error`))
      .finally(() => {
        if (this.busy.get(app) === op.id) this.busy.delete(app);
        after?.();
        this.running.delete(p);
      });
    this.running.add(p);
  }

  /** Resolves when the operations started so far have ended (tests, stop). */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  // ---- step helpers --------------------------------------------------------------------------------

  /** Generated secrets (and secret inputs) as one JSON value in `store.secrets`, written with the app row's reference in one transaction. */
  async storeSecrets(app: string, catalogId: string, operation: string, manifest: AppManifest = this.manifest(catalogId)): Promise<void> {
    const row = await this.record(app);
    const existing = row.secretsRef ? (JSON.parse(await this.store.secrets.get(row.secretsRef)) as Record<string, string>) : {};
    const generated = generateSecrets(manifest, Object.fromEntries(Object.entries(existing).filter(([k]) => !k.startsWith(SECRET_INPUT_PREFIX))));
    const inputs = Object.fromEntries(Object.entries(this.secretInputs.get(operation) ?? {}).map(([k, v]) => [`${SECRET_INPUT_PREFIX}${k}`, v]));
    const all = { ...existing, ...generated, ...inputs };
    if (row.secretsRef && JSON.stringify(all) === JSON.stringify(existing)) return;
    await this.store.transaction(async (tx) => {
      if (row.secretsRef) await tx.secrets.replace(row.secretsRef, JSON.stringify(all));
      else await tx.apps.update(app, { secretsRef: await tx.secrets.put(JSON.stringify(all)) });
    });
  }

  async forgetSecrets(app: string): Promise<void> {
    const row = await this.store.apps.get(app);
    if (!row?.secretsRef) return;
    const ref = row.secretsRef;
    await this.store.transaction(async (tx) => {
      await tx.apps.update(app, { secretsRef: null });
      await tx.secrets.delete(ref);
    });
  }

  private async secretsOf(app: AppRecord): Promise<{ secrets: Record<string, string>; inputs: Record<string, string> }> {
    const all = app.secretsRef ? (JSON.parse(await this.store.secrets.get(app.secretsRef)) as Record<string, string>) : {};
    const secrets: Record<string, string> = {};
    const inputs: Record<string, string> = {};
    for (const [k, v] of Object.entries(all)) {
      if (k.startsWith(SECRET_INPUT_PREFIX)) inputs[k.slice(SECRET_INPUT_PREFIX.length)] = v;
      else secrets[k] = v;
    }
    return { secrets, inputs };
  }

  /** Credentials per database ref (pooled or dedicated); idempotent, so deploy asks again rather than journal a password. */
  async ensureDatabases(app: string, device: string, catalogId: string, progress?: (message: string) => void, manifest: AppManifest = this.manifest(catalogId)): Promise<Record<string, PooledDatabase>> {
    const out: Record<string, PooledDatabase> = {};
    for (const need of manifest.requires.databases) {
      const r = await this.pooling().ensureDatabase({ device, app, need }, progress ? (e) => progress(e.message) : undefined);
      out[need.ref] = r.database;
    }
    return out;
  }

  /** Releases every database of the app; with `dump`, each is dumped first. Returns the dump files. */
  async releaseDatabases(app: string, dump: boolean): Promise<string[]> {
    const files: string[] = [];
    for (const g of await this.store.dbGrants.list({ app })) {
      const r = await this.pooling().releaseDatabase({ app, ref: g.ref, dump });
      if (r.dumpFile) files.push(r.dumpFile);
    }
    return files;
  }

  /** Deploys `manifest` (the catalog's version of `catalogId` by default); returns the manifest text deployed. */
  async deploy(appId: string, catalogId: string, progress: (message: string, fraction?: number) => void, manifest: AppManifest = this.manifest(catalogId)): Promise<string> {
    const app = await this.record(appId);
    const { secrets, inputs } = await this.secretsOf(app);
    const databases = await this.ensureDatabases(appId, app.device!, catalogId, undefined, manifest);
    const spec = resolveStack(manifest, { inputs: { ...app.inputs, ...inputs }, secrets, databases, project: app.project, imageRewrites: this.opts.imageRewrites });
    spec.labels = { ...spec.labels, 'warren.app': appId };
    try {
      await this.hostFor(app.device!).deployStack(spec, (e) => progress(e.message, e.fraction));
    } finally {
      // The deploy pulled images (also when it failed later): placement's next look at the device sees them.
      await this.hub.services.devices?.refreshImages(app.device!).catch(() => {});
    }
    return manifestText(manifest);
  }

  async waitHealthy(device: string, project: string): Promise<void> {
    const host = this.hostFor(device);
    const deadline = Date.now() + this.opts.healthTimeoutMs;
    for (;;) {
      const st = await host.stackStatus(project);
      if (st.state === 'running' && st.services.every((s) => s.health === 'healthy' || s.health === 'none')) return;
      const bad = st.services.find((s) => s.state === 'dead' || s.state === 'exited' || s.health === 'unhealthy');
      if (st.state === 'missing' || bad) {
        const tail: string[] = [];
        if (bad) for await (const l of host.logs(project, { service: bad.service, tail: 5 })) tail.push(l.line);
        throw new WarrenError('WARREN_ERR_OPERATION', st.state === 'missing' ? `${project} has no containers` : `${bad!.service} ${bad!.health === 'unhealthy' ? 'is unhealthy' : `stopped (exit ${bad!.exitCode ?? '?'})`}${tail.length ? `: ${tail.join(' | ').slice(0, 400)}` : ''}`, {
          hint: '`warren apps logs <app>` shows what it said.',
        });
      }
      if (Date.now() > deadline) {
        throw new WarrenError('WARREN_ERR_TIMEOUT', `${project} did not become healthy within ${Math.round(this.opts.healthTimeoutMs / 1000)} s`, { hint: 'A slow device may need a longer WARREN_APPS_HEALTH_TIMEOUT_SECONDS.' });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** The app row and its secret go in one transaction, after its databases. */
  async forgetApp(app: string): Promise<void> {
    await this.forgetDeployed(app);
    const row = await this.store.apps.get(app);
    if (!row) return;
    await this.store.transaction(async (tx) => {
      await tx.apps.delete(app);
      if (row.secretsRef) await tx.secrets.delete(row.secretsRef);
    });
    this.releaseReservation(app);
    this.hub.bus.emit('app.removed', { app });
  }

  // ---- status --------------------------------------------------------------------------------------

  async reconcileOne(id: string): Promise<void> {
    const a = await this.store.apps.get(id);
    if (!a?.device) return;
    const status = statusFrom(await this.hostFor(a.device).stackStatus(a.project));
    if (status !== a.status) {
      await this.store.apps.update(id, { status });
      this.hub.bus.emit('app.state', { app: id, device: a.device, status });
      this.publishApps();
    }
  }

  /** Sets each idle app's status from its engine; apps whose device is unreachable keep theirs. */
  async reconcile(): Promise<void> {
    for (const a of await this.store.apps.list()) {
      if (this.busy.has(a.id) || this.stopped) continue;
      await this.reconcileOne(a.id).catch((e) => this.hub.logger.debug({ err: e, app: a.id }, 'app status not reconciled'));
    }
  }

  /**
   * Ends every operation a previous process left unfinished. Each waits for its device's engine to
   * connect (devices connect in the background after start); those whose engine is still away are
   * left for the next round.
   */
  async recover(waitMs = 60_000): Promise<number> {
    const ops = (await this.store.operations.list({ state: ACTIVE })).filter((o) => KINDS[o.kind] && !this.isRunning(o.id));
    if (!ops.length) return 0;
    let n = 0;
    let poolsRecovered = false;
    for (const op of ops) {
      const data = op.steps.reduce<StepData>((d, s) => ({ ...d, ...(s.data ?? {}) }), {});
      const device = String(data.device ?? '');
      const app = String(data.app ?? op.target.replace(/^app:/, ''));
      if (this.busy.has(app)) continue;
      const deadline = Date.now() + waitMs;
      while (device && !this.hostOrUndefined(device) && Date.now() < deadline && !this.stopped) await new Promise((r) => setTimeout(r, 250));
      if (this.stopped) break;
      if (device && !this.hostOrUndefined(device)) {
        this.hub.logger.warn({ operation: op.id, device }, `the ${op.kind} of ${app} waits for device ${device} to connect`);
        continue;
      }
      // Interrupted pooling work under this operation is settled first, so that undoing sees the truth.
      if (!poolsRecovered && this.hub.services.pooling) {
        await this.hub.services.pooling.recover();
        poolsRecovered = true;
      }
      this.hub.logger.info({ operation: op.id, kind: op.kind, app }, `recovering the interrupted ${op.kind} of ${app}`);
      if (op.kind === INSTALL.kind) this.claimed.add(app);
      this.launch(app, kindOf(op.kind), op, () => this.claimed.delete(app), true);
      n++;
    }
    return n;
  }

  private hostOrUndefined(device: string): ContainerHost | undefined {
    try {
      return this.hostFor(device);
    } catch {
      return undefined;
    }
  }

  private isRunning(opId: string): boolean {
    return [...this.busy.values()].includes(opId);
  }

  close(): void {
    this.stopped = true;
  }

  // ---- events --------------------------------------------------------------------------------------

  private onProgress(op: Operation, step: string, message: string, fraction?: number): void {
    const def = KINDS[op.kind]!;
    const i = def.steps.findIndex((s) => s.name === step);
    const overall = (Math.max(0, i) + Math.min(1, Math.max(0, fraction ?? 0))) / def.steps.length;
    const p = { step, message, fraction: overall };
    this.progress.set(op.id, p);
    const target = op.target.replace(/^app:/, '');
    this.hub.bus.emit('operation.progress', { operation: op.id, kind: op.kind, target, step, message, fraction: overall });
    this.hub.sockets?.publish(`operation:${op.id}`, { progress: p });
  }

  private onFinished(op: Operation): void {
    this.progress.delete(op.id);
    const target = op.target.replace(/^app:/, '');
    const state = op.state === 'done' || op.state === 'rolled_back' ? op.state : 'failed';
    this.hub.bus.emit('operation.finished', {
      operation: op.id, kind: op.kind, target, state,
      ...(op.error && state !== 'done' ? { error: { code: 'WARREN_ERR_OPERATION', message: op.error } } : {}),
    });
    if (op.kind === INSTALL.kind && state !== 'done') this.releaseReservation(target);
    if (state !== 'done' && op.kind !== INSTALL.kind && op.kind !== REMOVE.kind) void this.reconcileOne(target).catch(() => {});
    if (op.kind === REMOVE.kind && state === 'failed') void this.store.apps.update(target, { status: 'failed' }).catch(() => {});
    this.hub.sockets?.publish(`operation:${op.id}`, { operation: operationView(op) });
    this.publishApps();
    if (op.kind === INSTALL.kind && state === 'done') this.hub.bus.emit('app.state', { app: target, status: 'running' });
  }

  publishApps(): void {
    void this.list().then((apps) => this.hub.sockets?.publish('apps', { apps }), () => {});
  }
}
