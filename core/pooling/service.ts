// Database pooling: one shared server per device and engine, one isolated database and user per app,
// a dedicated server when the pool cannot meet a need. Engine knowledge stays in the DatabasePool
// drivers; this file only deploys their server containers, names things, keeps secrets and journals.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import type { PooledDatabase } from '../catalog/resolve.js';
import { rewriteImage } from '../catalog/resolve.js';
import { WarrenError } from '../errors.js';
import type { Hub } from '../hub.js';
import type { ContainerHost, OnProgress } from '../providers/container-host.js';
import type { StackSpec } from '../providers/compose.js';
import type { DatabaseEngine, DatabaseEntry, DatabasePool, DatabasePoolDriver, IsolationReport, ServerInfo } from '../providers/database-pool.js';
import type { DbGrant, DbServer } from '../store/index.js';
import { containerChannel, localChannel } from './channel.js';
import { journaled, recoverOperations, type StepData, type StepDef } from './journal.js';
import { connectionBudget, type DatabaseNeed, dedicatedProject, dedicatedReason, pooledProject, poolNames, releaseFor, versionSatisfies, withTag } from './names.js';

const SERVICE = 'server';
/** Room for 19 apps at the default per-app limit, plus the reserve. */
const DEFAULT_POOL_MAX_CONNECTIONS = 200;
const DEFAULT_CONNECTION_LIMIT = 10;
const KV = 'pooling';

export interface PoolingOptions {
  /** Image of new shared servers per engine; the driver's default (the official image) otherwise. */
  images?: Partial<Record<DatabaseEngine, string>>;
  /** Image prefix → replacement, as for apps (air-gapped labs, local mirrors, tests). */
  imageRewrites?: Record<string, string>;
  /** Memory limit of server containers per engine. */
  memoryBytes?: Partial<Record<DatabaseEngine, number>>;
  /** max_connections of shared servers (200 unless set). */
  maxConnections?: Partial<Record<DatabaseEngine, number>>;
  /** Publish a shared server's port on the device (the LAN) — off unless set. */
  publishPorts?: Partial<Record<DatabaseEngine, number>>;
  /** Connections each app's user may hold (10 unless set). */
  connectionLimit?: number;
  /** Connections kept free for the admin and maintenance. */
  reservedConnections?: number;
  healthTimeoutMs?: number;
  /** Where `releaseDatabase({ dump: true })` writes dumps. */
  dumpDir: string;
  /** The ContainerHost of a device; by default the device's engine instance. */
  hostFor?: (device: string) => ContainerHost | undefined;
  /** Prefix of the servers' projects (`<namespace>-pool-postgres`), `warren` unless several hubs share an engine (tests). */
  namespace?: string;
}

export interface EnsureRequest {
  device: string;
  app: string;
  need: DatabaseNeed;
}

export interface EnsureResult {
  /** What `resolveStack({ databases: { [ref]: ... } })` takes: credentials and the network to join. */
  database: PooledDatabase;
  mode: 'pooled' | 'dedicated';
  /** Why the app got a dedicated server. */
  reason?: string;
  server: string;
  isolation: IsolationReport;
}

export interface PoolView {
  id: string;
  device: string;
  engine: DatabaseEngine;
  mode: 'pooled' | 'dedicated';
  app: string | null;
  project: string;
  version: string | null;
  state: string;
  memoryBytes?: number;
  connections?: { used: number; max: number };
  databases: (DatabaseEntry & { app?: string; ref?: string; isolation?: Record<string, unknown> })[];
  error?: string;
  /** An adopted server's address and admin user (never its password). */
  adopted?: { host: string; port: number; user: string };
}

export interface PoolingSavingsReport {
  bytes: number;
  basis: 'measured' | 'estimated';
  servers: { server: string; engine: DatabaseEngine; apps: number; sharedBytes?: number; baselineBytes?: number; savedBytes: number; basis: 'measured' | 'estimated' }[];
}

interface Live {
  row: DbServer;
  driver: DatabasePoolDriver;
  /** The device's engine; for an adopted server (reached directly) the device may have none. */
  host: ContainerHost;
  pool: DatabasePool;
  /** How apps reach the server: the project's alias on its network, or an adopted server's host. */
  address: string;
  port: number;
  adopted: boolean;
}

/** What is kept in the clear about an adopted server (its URL, with the password, is a secret). */
export interface AdoptedServer {
  host: string;
  port: number;
  user: string;
  database?: string;
  /** Whether adopting closed the maintenance database to PUBLIC (reopened when the server is forgotten). */
  revokedMaintenance?: boolean;
}

/** `postgres://user:password@host:port/db` or `mysql://...` (also `postgresql:`, `mariadb:`), checked and split. */
export function parseServerUrl(raw: string): { engine: DatabaseEngine; host: string; port: number; user: string; password: string; database?: string } {
  const bad = (message: string): never => {
    throw new WarrenError('WARREN_ERR_INVALID_INPUT', `not a usable server URL: ${message}`, { details: [{ path: '/url', message }], hint: 'e.g. postgres://admin:secret@10.0.0.5:5432/postgres or mysql://root:secret@10.0.0.6:3306' });
  };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return bad('it does not parse as a URL');
  }
  const engine = ({ 'postgres:': 'postgres', 'postgresql:': 'postgres', 'mysql:': 'mariadb', 'mariadb:': 'mariadb' } as const)[u.protocol as 'postgres:'];
  if (!engine) bad(`unknown scheme ${u.protocol} (postgres:// or mysql://)`);
  if (!u.hostname) bad('no host');
  if (!u.username) bad('no admin user');
  const port = u.port ? Number(u.port) : engine === 'postgres' ? 5432 : 3306;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined;
  return { engine: engine!, host: u.hostname.replace(/^\[|\]$/g, ''), port, user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), ...(database ? { database } : {}) };
}

const password = (): string => randomBytes(24).toString('base64url');

export class PoolingService {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly background = new Set<Promise<unknown>>();
  /** Operations older than this were left by an earlier hub; newer ones are this process's own. */
  private readonly startedAt = Date.now();
  /** Version, extensions and max connections do not change while a server runs; dropped whenever it is (re)started. */
  private readonly infos = new Map<string, ServerInfo>();
  /** Progress callbacks of running ensureDatabase calls, by `app/ref`, for the journaled steps to report through. */
  private readonly progress = new Map<string, OnProgress>();
  private readonly kinds: Record<string, { steps: StepDef<PoolingService>[]; recovery: 'rollback' | 'finish' }>;

  constructor(private readonly hub: Hub, private readonly opts: PoolingOptions) {
    this.kinds = {
      'pool.server': { steps: SERVER_STEPS, recovery: 'rollback' },
      'pool.provision': { steps: PROVISION_STEPS, recovery: 'rollback' },
      'pool.release': { steps: RELEASE_STEPS, recovery: 'finish' },
      'pool.move': { steps: MOVE_STEPS, recovery: 'rollback' },
      'pool.adopt': { steps: ADOPT_STEPS, recovery: 'rollback' },
    };
  }

  /** Serialises work per key (a device's engine, an app's ref) so that two installs never race to create one server. */
  private lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(key, next);
    void next.finally(() => this.locks.get(key) === next && this.locks.delete(key)).catch(() => {});
    return next;
  }

  get store() {
    return this.hub.store;
  }

  // ---- drivers, hosts, servers ----------------------------------------------------------------

  async driver(engine: DatabaseEngine): Promise<DatabasePoolDriver> {
    const find = () => this.hub.plugins.providersOfKind('database-pool').find((p) => p.provider.engine === engine)?.provider;
    let found = find();
    if (found) return found;
    const id = `pool-${engine}`;
    if (!this.hub.plugins.instanceInfo(id)) {
      await this.hub.plugins.createInstance({ id, plugin: `@warren/${engine}-pool`, provider: engine, config: {} });
    }
    for (let i = 0; i < 50 && !(found = find()); i++) await new Promise((r) => setTimeout(r, 200));
    if (!found) {
      const info = this.hub.plugins.instanceInfo(id);
      throw new WarrenError('WARREN_ERR_NOT_READY', `no ${engine} pool provider is ready${info?.error ? `: ${info.error.message}` : ''}`, {
        hint: 'GET /api/plugins shows the state of the database-pool plugins.',
      });
    }
    return found;
  }

  hostFor(device: string): ContainerHost {
    const host = this.opts.hostFor ? this.opts.hostFor(device) : this.hub.plugins.provider(`device-${device}`, 'container-host');
    if (!host) throw new WarrenError('WARREN_ERR_DEVICE_UNREACHABLE', `the container engine of device ${device} is not connected`, { hint: '`warren devices list` shows its state.' });
    return host;
  }

  /** Apps reach the server by its project name, an alias on its private network. */
  private async live(row: DbServer): Promise<Live> {
    const driver = await this.driver(row.engine);
    if (!row.container) {
      // Adopted: reached directly with the engine's clients on the hub, as its URL says.
      const u = parseServerUrl(await this.store.secrets.get(row.adminSecretRef!));
      const direct = { host: u.host, port: u.port, user: u.user, ...(u.database ? { database: u.database } : {}) };
      let host: ContainerHost | undefined;
      try {
        host = this.hostFor(row.device);
      } catch {
        host = undefined;
      }
      return { row, driver, host: host!, address: u.host, port: u.port, adopted: true, pool: driver.open({ host: u.host, port: u.port, adminPassword: u.password, channel: localChannel(), direct }) };
    }
    const host = this.hostFor(row.device);
    const adminPassword = await this.store.secrets.get(row.adminSecretRef!);
    const project = row.container;
    // The port is the engine's; the service description is pure, so asking it costs nothing.
    const port = driver.serverService({ image: 'unused', adminPassword }).port;
    return { row, driver, host, address: project, port, adopted: false, pool: driver.open({ host: project, port, adminPassword, channel: containerChannel(host, project, SERVICE) }) };
  }

  /**
   * Adopts an existing server as the device's shared server of its engine: checked (it answers, as an
   * admin who can create roles and databases), hardened like a new one, and recorded with its URL
   * encrypted. Its clients (psql/pg_dump or mariadb/mariadb-dump) must be installed on the hub.
   */
  async adopt(device: string, url: string): Promise<DbServer> {
    const u = parseServerUrl(url);
    if (!(await this.store.devices.get(device))) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no device ${device}`, { details: [{ path: '/device', message: 'unknown device' }], hint: '`warren devices list` shows them.' });
    return this.lock(`server:${device}:${u.engine}`, async () => {
      const existing = (await this.store.dbServers.list({ device, engine: u.engine, mode: 'pooled' }))[0];
      if (existing) {
        throw new WarrenError('WARREN_ERR_CONFLICT', `device ${device} already has a shared ${u.engine} server (${existing.id})`, { hint: 'A device has one shared server per engine; forget the adopted one first, or move its apps.' });
      }
      // The URL (with its password) goes straight into the encrypted secrets; the journal only ever holds its ref.
      const secretRef = await this.store.secrets.put(url);
      const meta: AdoptedServer = { host: u.host, port: u.port, user: u.user, ...(u.database ? { database: u.database } : {}) };
      try {
        const data = await journaled(this.store, 'pool.adopt', `device:${device}`, ADOPT_STEPS, this, { device, engine: u.engine, secretRef, meta }, 'rollback');
        return (await this.store.dbServers.get(String(data.server)))!;
      } catch (e) {
        throw e instanceof WarrenError ? e : new WarrenError('WARREN_ERR_DATABASE', `cannot adopt the ${u.engine} server at ${u.host}:${u.port}: ${(e as Error).message}`);
      }
    });
  }

  /** Forgets an adopted server that holds no app database any more; what adopting changed is undone. */
  async forget(id: string): Promise<void> {
    const row = await this.store.dbServers.get(id);
    if (!row) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no database server ${id}`, { hint: '`warren pools` lists them.' });
    if (row.container) throw new WarrenError('WARREN_ERR_CONFLICT', `${id} is a server Warren deployed; it goes away with its last app`, { hint: 'Only adopted servers are forgotten.' });
    const grants = await this.store.dbGrants.list({ server: id });
    if (grants.length) throw new WarrenError('WARREN_ERR_CONFLICT', `${id} still holds ${grants.map((g) => `${g.app}/${g.ref}`).join(', ')}`, { hint: 'Remove those apps (or move their databases) first.' });
    const meta = await this.store.kv.get<AdoptedServer>(KV, `adopted:${id}`);
    if (meta?.revokedMaintenance) {
      const live = await this.live(row);
      await live.pool.unprepare?.().catch((e: unknown) => this.hub.logger.warn({ err: e, server: id }, 'could not reopen the maintenance database to PUBLIC'));
    }
    await this.store.kv.delete(KV, `adopted:${id}`);
    await this.removeServer(row);
  }

  imageFor(driver: DatabasePoolDriver, need?: DatabaseNeed): string {
    const configured = this.opts.images?.[driver.engine] ?? driver.defaultImage;
    const tag = need?.versions ? releaseFor(driver.releases, need.versions) : undefined;
    if (need?.versions && !tag) {
      throw new WarrenError('WARREN_ERR_DATABASE', `no maintained ${driver.engine} release satisfies ${need.versions}`, {
        details: [{ path: `/databases/${need.ref}/versions`, message: `known releases: ${driver.releases.join(', ')}` }],
      });
    }
    return rewriteImage(tag ? withTag(configured, tag) : configured, this.opts.imageRewrites);
  }

  serverStack(driver: DatabasePoolDriver, project: string, image: string, adminPassword: string, mode: 'pooled' | 'dedicated'): StackSpec {
    const engine = driver.engine;
    // A shared server holds many apps' connection limits at once; a dedicated one keeps the engine's default.
    const maxConnections = mode === 'pooled' ? (this.opts.maxConnections?.[engine] ?? DEFAULT_POOL_MAX_CONNECTIONS) : undefined;
    const { service, port } = driver.serverService({ image, adminPassword, ...(maxConnections ? { maxConnections } : {}) });
    const published = mode === 'pooled' ? this.opts.publishPorts?.[engine] : undefined;
    const memory = this.opts.memoryBytes?.[engine];
    return {
      project,
      labels: { 'warren.pool.engine': engine, 'warren.pool.mode': mode, 'warren.pool.namespace': this.opts.namespace ?? 'warren' },
      services: {
        [SERVICE]: {
          ...service,
          networks: ['db'],
          aliases: [project],
          restart: 'unless-stopped',
          ...(memory ? { resources: { limits: { memoryBytes: memory } } } : {}),
          ...(published ? { ports: [{ target: port, published, protocol: 'tcp' as const }] } : {}),
        },
      },
      // Internal: the server needs no way out, and nothing but the apps that join it gets in.
      networks: { db: { name: project, internal: !published } },
      volumes: { data: { name: `${project}-data` } },
    };
  }

  async waitHealthy(host: ContainerHost, project: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + (this.opts.healthTimeoutMs ?? 180_000);
    for (;;) {
      const st = await host.stackStatus(project, signal);
      const s = st.services.find((x) => x.service === SERVICE);
      if (s?.state === 'running' && s.health === 'healthy') return;
      if (s && (s.state === 'exited' || s.state === 'dead' || s.health === 'unhealthy')) {
        const tail: string[] = [];
        try {
          for await (const l of host.logs(project, { service: SERVICE, tail: 5 })) tail.push(l.line);
        } catch (e) {
          tail.push(`(no logs: ${(e as Error).message})`);
        }
        throw new WarrenError('WARREN_ERR_DATABASE', `the database server ${project} ${s.health === 'unhealthy' ? 'is unhealthy' : `stopped (exit ${s.exitCode ?? '?'})`}: ${tail.join(' | ').slice(0, 400)}`);
      }
      if (Date.now() > deadline) throw new WarrenError('WARREN_ERR_TIMEOUT', `the database server ${project} did not become healthy in time`, { hint: 'Its logs say why; a slow device may need a longer WARREN_POOL_HEALTH_TIMEOUT_MS.' });
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** A recorded server brought up: started when stopped, redeployed (same volume, same password) when its container is gone. */
  private async up(live: Live, onProgress?: OnProgress): Promise<void> {
    const { host, row } = live;
    // An adopted server is the user's to run; it is only asked whether it answers.
    if (live.adopted) return void (await this.serverInfo(live));
    const st = await host.stackStatus(row.container!);
    if (st.state === 'running') return;
    this.infos.delete(row.id);
    if (st.state === 'missing') {
      const image = (await this.store.kv.get<string>(KV, `image:${row.id}`)) ?? this.imageFor(live.driver);
      await host.deployStack(this.serverStack(live.driver, row.container!, image, await this.store.secrets.get(row.adminSecretRef!), row.mode), onProgress);
    } else await host.startStack(row.container!);
    await this.waitHealthy(host, row.container!);
  }

  /** Creates a server as a journaled operation; undone completely (container, volume, secret, row) on failure. */
  async createServer(input: { device: string; engine: DatabaseEngine; mode: 'pooled' | 'dedicated'; app?: string; ref?: string; need?: DatabaseNeed }, onProgress?: OnProgress): Promise<DbServer> {
    const ns = this.opts.namespace ?? 'warren';
    const project = input.mode === 'pooled' ? pooledProject(input.engine, ns) : dedicatedProject(input.app!, input.ref!, ns);
    const driver = await this.driver(input.engine);
    const image = this.imageFor(driver, input.mode === 'dedicated' ? input.need : undefined);
    onProgress?.({ phase: 'create', subject: project, message: `creating the ${input.mode === 'pooled' ? 'shared' : 'dedicated'} ${input.engine} server ${project} (${image})` });
    const data = await journaled(this.store, 'pool.server', `device:${input.device}`, SERVER_STEPS, this, { ...input, project, image }, 'rollback');
    const row = (await this.store.dbServers.get(String(data.server)))!;
    if (input.need?.versions && row.version && !versionSatisfies(row.version, input.need.versions)) {
      await this.removeServer(row);
      throw new WarrenError('WARREN_ERR_DATABASE', `${image} runs ${input.engine} ${row.version}, which does not satisfy ${input.need.versions}`, {
        hint: 'Configure an image (or an image rewrite) that gives a version in range.',
      });
    }
    return row;
  }

  async removeServer(row: DbServer): Promise<void> {
    if (row.container) await this.hostFor(row.device).removeStack(row.container, { removeVolumes: true });
    if (row.adminSecretRef) await this.store.secrets.delete(row.adminSecretRef);
    await this.store.kv.delete(KV, `image:${row.id}`);
    await this.store.dbServers.delete(row.id);
  }

  /** The device's shared server for the engine, created on first need; running and healthy when this returns. */
  async pooledServer(device: string, engine: DatabaseEngine, onProgress?: OnProgress): Promise<Live> {
    return this.lock(`server:${device}:${engine}`, async () => {
      const row = (await this.store.dbServers.list({ device, engine, mode: 'pooled' }))[0] ?? (await this.createServer({ device, engine, mode: 'pooled' }, onProgress));
      const live = await this.live(row);
      await this.up(live, onProgress);
      return live;
    });
  }

  // ---- per app ------------------------------------------------------------------------------------

  /** Idempotent: a second call for the same app and ref returns the same database (and password). */
  async ensureDatabase(req: EnsureRequest, onProgress?: OnProgress): Promise<EnsureResult> {
    const { app, need, device } = req;
    return this.lock(`app:${app}:${need.ref}`, async () => {
      const existing = await this.store.dbGrants.get(app, need.ref);
      if (existing) return this.existingResult(existing, onProgress);

      let reason = need.dedicated ? dedicatedReason(need, { version: '', extensionsAvailable: [] }) : undefined;
      let pooled: Live | undefined;
      if (!reason) {
        pooled = await this.pooledServer(device, need.engine, onProgress);
        const info = await this.serverInfo(pooled);
        reason = dedicatedReason(need, info);
        if (!reason) {
          const budget = await this.budget(pooled, info);
          if (!budget.ok) {
            throw new WarrenError('WARREN_ERR_DATABASE', `the shared ${need.engine} server on ${device} is full: ${budget.message}`, {
              hint: 'Raise the pool\'s max connections, lower the per-app connection limit, or give this app a dedicated server (`dedicated: true`).',
            });
          }
        }
      }
      const mode = reason ? 'dedicated' : 'pooled';
      if (reason) onProgress?.({ phase: 'create', subject: need.ref, message: `a dedicated ${need.engine} server for ${app}: ${reason}` });
      if (onProgress) this.progress.set(`${app}/${need.ref}`, onProgress);
      const data = await journaled(this.store, 'pool.provision', `app:${app}`, PROVISION_STEPS, this, {
        device, app, ref: need.ref, engine: need.engine, mode, need, ...(pooled ? { server: pooled.row.id } : {}),
      }, 'rollback').finally(() => this.progress.delete(`${app}/${need.ref}`));
      const grant = (await this.store.dbGrants.get(app, need.ref))!;
      // What the app asked for, so that a later move into the pool is judged by the same rules.
      await this.store.kv.set(KV, `need:${app}:${need.ref}`, need);
      const result = await this.existingResult(grant);
      // After the self-test, so that making the next spare does not slow this app's own provision down.
      if (pooled) this.warm(pooled);
      return { ...result, ...(reason ? { reason } : {}), isolation: data.isolation as IsolationReport };
    });
  }

  private async existingResult(grant: DbGrant, onProgress?: OnProgress): Promise<EnsureResult> {
    const row = (await this.store.dbServers.get(grant.server))!;
    const live = await this.live(row);
    await this.up(live, onProgress);
    const pw = await this.store.secrets.get(grant.secretRef!);
    const creds = urlOf(live, grant.database, grant.username, pw);
    return {
      database: { ...creds, ...(row.container ? { network: row.container } : {}) },
      mode: row.mode,
      server: row.id,
      isolation: grant.isolation as unknown as IsolationReport,
    };
  }

  /** Drops the app's database and user (after a dump when asked), its secret and grant; a dedicated server goes too. */
  async releaseDatabase(req: { app: string; ref: string; dump?: boolean }): Promise<{ dumpFile?: string }> {
    return this.lock(`app:${req.app}:${req.ref}`, async () => {
      const grant = await this.store.dbGrants.get(req.app, req.ref);
      if (!grant) return {};
      const data = await journaled(this.store, 'pool.release', `app:${req.app}`, RELEASE_STEPS, this, { app: req.app, ref: req.ref, dump: !!req.dump }, 'finish');
      return data.dumpFile ? { dumpFile: String(data.dumpFile) } : {};
    });
  }

  private async grantLive(app: string, ref: string): Promise<{ grant: DbGrant; live: Live }> {
    const grant = await this.store.dbGrants.get(app, ref);
    if (!grant) throw new WarrenError('WARREN_ERR_NOT_FOUND', `${app} has no database "${ref}"`, { hint: '`warren pools` lists the databases.' });
    const live = await this.live((await this.store.dbServers.get(grant.server))!);
    await this.up(live);
    return { grant, live };
  }

  /** The app's database as a plain SQL dump, streamed from the server as it is written (never held whole). */
  async dump(app: string, ref = 'main', signal?: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const { grant, live } = await this.grantLive(app, ref);
    return live.pool.dump({ database: grant.database, user: grant.username }, signal);
  }

  /**
   * Replaces the app's database content with a dump: emptied first (dropped and provisioned again, same
   * user and password), then fed the dump as it streams. What the database held is dumped to a file
   * first, and put back when the restore fails (a file that is not a dump, a broken stream), so a failed
   * restore loses nothing; if even that fails, the file is kept and the error names it.
   */
  async restore(app: string, ref: string, data: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<void> {
    await this.lock(`app:${app}:${ref}`, async () => {
      const { grant, live } = await this.grantLive(app, ref);
      const names = { database: grant.database, user: grant.username };
      const pw = await this.store.secrets.get(grant.secretRef!);
      await mkdir(this.opts.dumpDir, { recursive: true, mode: 0o700 });
      const safety = join(this.opts.dumpDir, `.before-restore-${randomBytes(8).toString('hex')}.sql`);
      await pipeline(Readable.from(await live.pool.dump(names, signal)), createWriteStream(safety, { mode: 0o600 }), ...(signal ? [{ signal }] : []));
      const load = async (from: AsyncIterable<Uint8Array>, s?: AbortSignal) => {
        await live.pool.deprovision(names);
        await this.onServer(live.row.id, () => live.pool.provision({ app, ref, ...names, password: pw, connectionLimit: this.connectionLimit() }));
        await live.pool.restore(names, from, s);
      };
      try {
        await load(data, signal);
      } catch (e) {
        const why = (e as Error).message;
        const code = e instanceof WarrenError ? e.code : 'WARREN_ERR_DATABASE';
        const kept = e instanceof WarrenError ? { status: e.status, ...(e.hint ? { hint: e.hint } : {}), ...(e.details ? { details: e.details } : {}) } : {};
        try {
          await load(createReadStream(safety));
        } catch (e2) {
          throw new WarrenError(code, `${why}; putting back what the database held also failed: ${(e2 as Error).message}`, {
            ...kept,
            hint: `What it held before the restore is kept in ${safety}; restore that file (warren db restore ${app} <file>) once the server is healthy.`,
            cause: e,
          });
        }
        await rm(safety, { force: true });
        throw new WarrenError(code, `${why}; the database was put back as it was before the restore`, { ...kept, cause: e });
      }
      await rm(safety, { force: true });
    });
  }

  /**
   * A restore from an upload: the bytes are first spooled to a file in the dump directory (0600, removed
   * afterwards), so that memory stays flat whatever the size and a broken upload changes nothing; then
   * the database is emptied and fed the file as it streams. Returns the dump's size.
   */
  async restoreUpload(app: string, ref: string, data: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, signal?: AbortSignal): Promise<{ bytes: number }> {
    if (!(await this.store.dbGrants.get(app, ref))) throw new WarrenError('WARREN_ERR_NOT_FOUND', `${app} has no database "${ref}"`, { hint: '`warren pools` lists the databases.' });
    await mkdir(this.opts.dumpDir, { recursive: true, mode: 0o700 });
    const file = join(this.opts.dumpDir, `.upload-${randomBytes(8).toString('hex')}.sql`);
    try {
      await pipeline(data as NodeJS.ReadableStream, createWriteStream(file, { mode: 0o600 }), ...(signal ? [{ signal }] : []));
      const { size } = await stat(file);
      if (size === 0) throw new WarrenError('WARREN_ERR_INVALID_INPUT', 'the dump is empty', { details: [{ path: '/body', message: 'send the dump as the request body' }] });
      await this.restore(app, ref, createReadStream(file), signal);
      return { bytes: size };
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * Moves an app's database between the device's shared server and a dedicated one: provision on the
   * target, copy, compare row counts, switch; rolled back (target dropped) when anything fails before
   * the switch. The app must be stopped meanwhile and redeployed with the returned credentials.
   */
  async move(app: string, ref: string, to: 'pool' | 'dedicated'): Promise<EnsureResult> {
    return this.lock(`app:${app}:${ref}`, async () => {
      const { grant, live } = await this.grantLive(app, ref);
      if ((to === 'pool') === (live.row.mode === 'pooled')) throw new WarrenError('WARREN_ERR_CONFLICT', `${app}'s database "${ref}" is already ${to === 'pool' ? 'in the pool' : 'on a dedicated server'}`);
      const need = (await this.store.kv.get<DatabaseNeed>(KV, `need:${app}:${ref}`)) ?? { ref, engine: live.row.engine };
      // Judged before anything is changed: the same fit and connection-budget rules as an install.
      if (to === 'pool') await this.checkPoolFit(app, ref, need, grant, live);
      else this.imageFor(live.driver, need);
      await journaled(this.store, 'pool.move', `app:${app}`, MOVE_STEPS, this, { app, ref, to, device: live.row.device, engine: live.row.engine, from: live.row.id, need }, 'rollback');
      return this.existingResult((await this.store.dbGrants.get(app, ref)) ?? grant);
    });
  }

  /** Whether the shared server can promise one more app its connection limit. */
  private async budget(pooled: Live, info: ServerInfo) {
    const limit = this.connectionLimit();
    // Every app database on the server came through ensureDatabase (or a move) with the same per-user limit.
    const held = (await this.store.dbGrants.list({ server: pooled.row.id })).map(() => ({ connectionLimit: limit }));
    return connectionBudget(held, limit, this.opts.reservedConnections ?? 5, info.connectionsMax, limit);
  }

  /**
   * Refuses a move into the device's shared server that an install would not have put there: the app
   * asks for a server of its own, a version or extension the shared server lacks (declared, or installed
   * in the database), an older server than the one holding the data, or no room in its connection budget.
   * The shared server is created first when the device has none, as the first install would.
   */
  private async checkPoolFit(app: string, ref: string, need: DatabaseNeed, grant: DbGrant, source: Live): Promise<void> {
    const refuse = (why: string, hint: string) => {
      throw new WarrenError('WARREN_ERR_CONFLICT', `${app}'s database "${ref}" cannot move into the shared ${need.engine} server on ${source.row.device}: ${why}`, { hint });
    };
    if (need.dedicated) refuse('its manifest asks for a server of its own', 'Leave it on its dedicated server, or drop `dedicated` from the manifest and reinstall.');
    const pooled = await this.pooledServer(source.row.device, source.row.engine);
    const info = await this.serverInfo(pooled);
    const reason = dedicatedReason(need, info);
    if (reason) refuse(reason, 'Configure a shared-server image that meets the need (WARREN_POOL_IMAGES), or keep the dedicated server.');
    const used = await source.pool.extensionsUsed({ database: grant.database, user: grant.username });
    const missing = used.filter((e) => !info.extensionsAvailable.includes(e));
    if (missing.length) refuse(`the database uses ${missing.join(', ')}, which the shared server's image does not have`, 'Use a shared-server image that ships the extension, or keep the dedicated server.');
    const from = (await this.serverInfo(source)).version;
    const major = (v: string) => Number(/^\d+/.exec(v)?.[0] ?? NaN);
    if (major(from) > major(info.version)) refuse(`the data comes from ${need.engine} ${from} and the shared server runs the older ${info.version}`, 'A dump does not go back to an older major release; keep the dedicated server.');
    const budget = await this.budget(pooled, info);
    if (!budget.ok) refuse(`it is full: ${budget.message}`, 'Raise the pool\'s max connections (WARREN_POOL_MAX_CONNECTIONS) or lower the per-app connection limit.');
  }

  // ---- views ----------------------------------------------------------------------------------

  async list(): Promise<PoolView[]> {
    const grants = await this.store.dbGrants.list();
    const stats = new Map<string, Map<string, number>>();
    const out: PoolView[] = [];
    for (const row of await this.store.dbServers.list()) {
      const adopted = row.container ? undefined : await this.store.kv.get<AdoptedServer>(KV, `adopted:${row.id}`);
      const view: PoolView = {
        id: row.id, device: row.device, engine: row.engine, mode: row.mode, app: row.app, project: row.container ?? `adopted ${adopted?.host ?? '?'}:${adopted?.port ?? '?'}`,
        version: row.version, state: 'unknown', databases: [], ...(adopted ? { adopted: { host: adopted.host, port: adopted.port, user: adopted.user } } : {}),
      };
      const mine = grants.filter((g) => g.server === row.id);
      try {
        const live = await this.live(row);
        view.state = live.adopted ? await live.pool.serverInfo().then(() => 'running', () => 'unreachable') : (await live.host.stackStatus(row.container!)).state;
        if (!live.adopted && !stats.has(row.device) && live.host.containerStats) {
          const m = new Map<string, number>();
          for (const s of await live.host.containerStats()) if (s.project) m.set(s.project, (m.get(s.project) ?? 0) + s.memoryBytes);
          stats.set(row.device, m);
        }
        const mem = stats.get(row.device)?.get(row.container!);
        if (mem !== undefined) view.memoryBytes = mem;
        if (view.state === 'running') {
          const info = await live.pool.serverInfo();
          view.connections = { used: info.connectionsUsed, max: info.connectionsMax };
          view.databases = (await live.pool.listDatabases()).map((d) => {
            const g = mine.find((x) => x.database === d.database);
            return { ...d, ...(g ? { app: g.app, ref: g.ref, isolation: g.isolation } : {}) };
          });
        }
      } catch (e) {
        view.error = (e as Error).message;
        view.databases = mine.map((g) => ({ database: g.database, owner: g.username, sizeBytes: 0, connections: 0, app: g.app, ref: g.ref, isolation: g.isolation }));
      }
      out.push(view);
    }
    return out;
  }

  /**
   * RAM the pool saves: for each shared server holding n apps, n idle servers (the baseline, measured
   * on the same server when it was new and empty) minus what the shared one uses now.
   */
  async savings(): Promise<PoolingSavingsReport> {
    const views = await this.list();
    const servers: PoolingSavingsReport['servers'] = [];
    for (const v of views.filter((x) => x.mode === 'pooled')) {
      const apps = v.databases.filter((d) => d.app).length;
      if (apps === 0) continue;
      const baseline = await this.store.kv.get<number>(KV, `baseline:${v.engine}`);
      const measured = v.memoryBytes !== undefined && baseline !== undefined;
      const shared = v.memoryBytes ?? baseline;
      const saved = shared !== undefined && baseline !== undefined ? Math.max(0, apps * baseline - shared) : 0;
      servers.push({ server: v.id, engine: v.engine, apps, ...(v.memoryBytes !== undefined ? { sharedBytes: v.memoryBytes } : {}), ...(baseline !== undefined ? { baselineBytes: baseline } : {}), savedBytes: saved, basis: measured ? 'measured' : 'estimated' });
    }
    const report: PoolingSavingsReport = {
      bytes: servers.reduce((s, x) => s + x.savedBytes, 0),
      basis: servers.length > 0 && servers.every((s) => s.basis === 'measured') ? 'measured' : 'estimated',
      servers,
    };
    const metrics = this.hub.services.metrics as { setPoolingSavings?(s: { bytes: number; basis: 'measured' | 'estimated' }): void } | undefined;
    metrics?.setPoolingSavings?.({ bytes: report.bytes, basis: report.basis });
    return report;
  }

  /** Undoes or finishes pooling operations a previous hub left running. */
  recover(): Promise<number> {
    return recoverOperations(this.store, this.kinds, this, (op, e) => this.hub.logger.error({ err: e, operation: op.id, kind: op.kind }, 'could not recover a pooling operation'), this.startedAt);
  }

  // ---- step helpers (used by the journaled steps below) -----------------------------------------

  async liveById(id: string): Promise<Live> {
    const row = await this.store.dbServers.get(id);
    if (!row) throw new WarrenError('WARREN_ERR_NOT_FOUND', `no database server ${id}`);
    return this.live(row);
  }

  async recordBaseline(live: Live): Promise<void> {
    // Reading stats takes a second or two; only a new shared server's first figure is kept.
    if (live.adopted || !live.host.containerStats || live.row.mode !== 'pooled' || (await this.store.kv.get(KV, `baseline:${live.row.engine}`)) !== undefined) return;
    const mem = (await live.host.containerStats()).filter((s) => s.project === live.row.container).reduce((n, s) => n + s.memoryBytes, 0);
    if (mem > 0 && live.row.mode === 'pooled' && (await this.store.kv.get(KV, `baseline:${live.row.engine}`)) === undefined) {
      await this.store.kv.set(KV, `baseline:${live.row.engine}`, mem);
    }
  }

  async serverInfo(live: Live): Promise<ServerInfo> {
    const cached = this.infos.get(live.row.id);
    if (cached) return cached;
    const info = await live.pool.serverInfo();
    this.infos.set(live.row.id, info);
    return info;
  }

  /**
   * Provisions on one server run one at a time: a Postgres provision may rename the server's spare
   * database, which only one of them can have.
   */
  onServer<T>(server: string, fn: () => Promise<T>): Promise<T> {
    return this.lock(`provision:${server}`, fn);
  }

  /** Best effort, in the background: the shared server makes ready what the next provision needs. */
  warm(live: Live): void {
    // Not on an adopted server: a spare database there would be Warren's litter on someone else's server.
    if (live.row.mode !== 'pooled' || live.adopted || !live.pool.warm) return;
    const p = live.pool.warm().catch((e: unknown) => this.hub.logger.debug({ err: e, server: live.row.id }, 'no spare database made'));
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /** Resolves once background work (spare databases) has ended: for benchmarks and tests that measure or tear down. */
  async settled(): Promise<void> {
    while (this.background.size) await Promise.all([...this.background]);
  }

  notify(app: string, ref: string, message: string): void {
    this.progress.get(`${app}/${ref}`)?.({ phase: 'healthy', subject: ref, message });
  }

  /**
   * What a new shared server of each engine would be, for placement to judge a device that has none:
   * its memory limit (when configured) and the version its image tag names (`postgres:16` → 16; a tag
   * that is no version, or a driver not loaded yet, leaves it unknown). Never loads a plugin.
   */
  newServerPlans(): Partial<Record<DatabaseEngine, { memoryBytes?: number; version?: string }>> {
    const out: Partial<Record<DatabaseEngine, { memoryBytes?: number; version?: string }>> = {};
    for (const engine of ['postgres', 'mariadb'] as const) {
      const driver = this.hub.plugins.providersOfKind('database-pool').find((p) => p.provider.engine === engine)?.provider;
      let version: string | undefined;
      if (driver) {
        try {
          version = imageTagVersion(this.imageFor(driver));
        } catch {
          // No image for it: the version stays unknown.
        }
      }
      const memoryBytes = this.opts.memoryBytes?.[engine];
      out[engine] = { ...(memoryBytes !== undefined ? { memoryBytes } : {}), ...(version !== undefined ? { version } : {}) };
    }
    return out;
  }

  /**
   * The shared servers of every device as placement sees them: engine, version and, once this hub has
   * asked the server, the extensions its image offers. A server not asked yet is asked now, within
   * `waitMs`; one that does not answer in time is listed without extensions (and asked in the background).
   */
  async sharedServers(waitMs = 2000): Promise<{ device: string; engine: DatabaseEngine; version: string; extensions?: string[] }[]> {
    const rows = await this.store.dbServers.list({ mode: 'pooled' });
    return Promise.all(
      rows.map(async (row) => {
        let info = this.infos.get(row.id);
        if (!info) {
          let timer: NodeJS.Timeout | undefined;
          info = await Promise.race([
            this.live(row).then((live) => this.serverInfo(live)),
            new Promise<undefined>((resolve) => {
              timer = setTimeout(() => resolve(undefined), waitMs);
            }),
          ])
            .catch(() => undefined)
            .finally(() => clearTimeout(timer));
        }
        return { device: row.device, engine: row.engine, version: info?.version ?? row.version ?? 'unknown', ...(info ? { extensions: [...info.extensionsAvailable] } : {}) };
      }),
    );
  }

  connectionLimit(): number {
    return this.opts.connectionLimit ?? DEFAULT_CONNECTION_LIMIT;
  }

  /** Streams the app's dump into a new file (0600) in the dump directory and returns its path. */
  async writeDump(app: string, ref: string): Promise<string> {
    await mkdir(this.opts.dumpDir, { recursive: true, mode: 0o700 });
    const file = join(this.opts.dumpDir, `${app.replace(/[^a-zA-Z0-9_.-]/g, '_')}-${ref.replace(/[^a-zA-Z0-9_.-]/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}.sql`);
    try {
      await pipeline(Readable.from(await this.dump(app, ref)), createWriteStream(file, { mode: 0o600 }));
    } catch (e) {
      await rm(file, { force: true });
      throw e;
    }
    return file;
  }


}

function urlOf(live: Live, database: string, user: string, pw: string) {
  const scheme = live.row.engine === 'postgres' ? 'postgres' : 'mysql';
  const base = { engine: live.row.engine, host: live.address, port: live.port, database, user, password: pw };
  return { ...base, url: `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@${base.host}:${base.port}/${encodeURIComponent(database)}` };
}


const str = (d: StepData, k: string): string => String(d[k]);

// ---- journaled steps --------------------------------------------------------------------------------

const SERVER_STEPS: StepDef<PoolingService>[] = [
  {
    name: 'admin secret',
    run: async (s) => ({ adminSecretRef: await s.store.secrets.put(password()) }),
    undo: async (s, d) => { if (d.adminSecretRef) await s.store.secrets.delete(str(d, 'adminSecretRef')); },
  },
  {
    name: 'record server',
    run: async (s, d) => {
      const row = await s.store.dbServers.insert({
        device: str(d, 'device'), engine: d.engine as DatabaseEngine, mode: d.mode as 'pooled' | 'dedicated',
        app: d.mode === 'dedicated' ? str(d, 'app') : null, container: str(d, 'project'), adminSecretRef: str(d, 'adminSecretRef'),
      });
      await s.store.kv.set(KV, `image:${row.id}`, str(d, 'image'));
      return { server: row.id };
    },
    undo: async (s, d) => {
      if (!d.server) return;
      await s.store.kv.delete(KV, `image:${str(d, 'server')}`);
      await s.store.dbServers.delete(str(d, 'server'));
    },
  },
  {
    name: 'deploy container',
    run: async (s, d) => {
      const driver = await s.driver(d.engine as DatabaseEngine);
      const spec = s.serverStack(driver, str(d, 'project'), str(d, 'image'), await s.store.secrets.get(str(d, 'adminSecretRef')), d.mode as 'pooled' | 'dedicated');
      await s.hostFor(str(d, 'device')).deployStack(spec);
    },
    undo: async (s, d) => s.hostFor(str(d, 'device')).removeStack(str(d, 'project'), { removeVolumes: true }),
  },
  {
    name: 'healthy and hardened',
    run: async (s, d) => {
      const live = await s.liveById(str(d, 'server'));
      await s.waitHealthy(live.host, str(d, 'project'));
      await live.pool.prepare();
      const info = await live.pool.serverInfo();
      await s.store.dbServers.update(live.row.id, { version: info.version });
      await s.recordBaseline(live);
      s.warm(live);
    },
  },
];

const PROVISION_STEPS: StepDef<PoolingService>[] = [
  {
    name: 'dedicated server',
    run: async (s, d) => {
      if (d.mode !== 'dedicated') return;
      const row = await s.createServer({ device: str(d, 'device'), engine: d.engine as DatabaseEngine, mode: 'dedicated', app: str(d, 'app'), ref: str(d, 'ref'), need: d.need as DatabaseNeed });
      return { server: row.id, serverCreated: true };
    },
    undo: async (s, d) => {
      if (!d.serverCreated) return;
      const row = await s.store.dbServers.get(str(d, 'server'));
      if (row) await s.removeServer(row);
    },
  },
  {
    name: 'user password',
    run: async (s) => ({ secretRef: await s.store.secrets.put(password()) }),
    undo: async (s, d) => { if (d.secretRef) await s.store.secrets.delete(str(d, 'secretRef')); },
  },
  {
    name: 'database and user',
    run: async (s, d) => {
      const live = await s.liveById(str(d, 'server'));
      const names = poolNames(str(d, 'app'), str(d, 'ref'), live.driver.limits);
      const need = d.need as DatabaseNeed;
      const pw = await s.store.secrets.get(str(d, 'secretRef'));
      const r = await s.onServer(live.row.id, () =>
        live.pool.provision({ app: str(d, 'app'), ref: str(d, 'ref'), ...names, password: pw, extensions: need.extensions ?? [], connectionLimit: s.connectionLimit() }),
      );
      s.notify(str(d, 'app'), str(d, 'ref'), `${names.database} accepts connections`);
      // The server's other databases, listed in the provision's round trip, for the self-test that follows.
      // On an adopted server other people's databases are not Warren's to close; the probes cover Warren's.
      const others = r.otherDatabases && live.adopted ? r.otherDatabases.filter((x) => x.startsWith('wn_')) : r.otherDatabases;
      return { ...names, ...(others ? { others } : {}) };
    },
    undo: async (s, d) => {
      const live = await s.liveById(str(d, 'server')).catch(() => undefined);
      if (!live) return;
      const names = poolNames(str(d, 'app'), str(d, 'ref'), live.driver.limits);
      await live.pool.deprovision(names);
    },
  },
  {
    name: 'record grant',
    run: async (s, d) => {
      await s.store.dbGrants.insert({ app: str(d, 'app'), ref: str(d, 'ref'), server: str(d, 'server'), database: str(d, 'database'), username: str(d, 'user'), secretRef: str(d, 'secretRef') });
    },
    undo: async (s, d) => { await s.store.dbGrants.delete(str(d, 'app'), str(d, 'ref')); },
  },
  {
    name: 'isolation self-test',
    run: async (s, d) => {
      const live = await s.liveById(str(d, 'server'));
      const pw = await s.store.secrets.get(str(d, 'secretRef'));
      const report = await live.pool.verifyIsolation(urlOf(live, str(d, 'database'), str(d, 'user'), pw), undefined, Array.isArray(d.others) ? (d.others as string[]) : undefined);
      await s.store.dbGrants.update(str(d, 'app'), str(d, 'ref'), { isolation: { ok: report.ok, checkedAt: Date.now(), checks: report.checks } });
      if (!report.ok) {
        const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.message}`);
        throw new WarrenError('WARREN_ERR_DATABASE', `the isolation self-test failed for ${str(d, 'app')}: ${failed.join('; ')}`, { hint: 'The database was not handed to the app; check the server image and its configuration.' });
      }
      return { isolation: report };
    },
  },
];

const RELEASE_STEPS: StepDef<PoolingService>[] = [
  {
    name: 'dump',
    run: async (s, d) => {
      if (!d.dump) return;
      return { dumpFile: await s.writeDump(str(d, 'app'), str(d, 'ref')) };
    },
  },
  {
    name: 'drop database and user',
    run: async (s, d) => {
      const grant = await s.store.dbGrants.get(str(d, 'app'), str(d, 'ref'));
      if (!grant) return;
      const live = await s.liveById(grant.server);
      await live.pool.deprovision({ database: grant.database, user: grant.username });
      return { server: grant.server, secretRef: grant.secretRef };
    },
  },
  {
    name: 'forget grant and secret',
    run: async (s, d) => {
      await s.store.dbGrants.delete(str(d, 'app'), str(d, 'ref'));
      await s.store.kv.delete(KV, `need:${str(d, 'app')}:${str(d, 'ref')}`);
      if (d.secretRef) await s.store.secrets.delete(str(d, 'secretRef'));
    },
  },
  {
    name: 'remove a dedicated server',
    run: async (s, d) => {
      if (!d.server) return;
      const row = await s.store.dbServers.get(str(d, 'server'));
      if (row?.mode === 'dedicated' && (await s.store.dbGrants.list({ server: row.id })).length === 0) await s.removeServer(row);
    },
  },
];

const ADOPT_STEPS: StepDef<PoolingService>[] = [
  {
    name: 'admin secret',
    // Put before the operation began (the URL never enters the journal); dropped if the adoption is undone.
    run: async () => {},
    undo: async (s, d) => { await s.store.secrets.delete(str(d, 'secretRef')); },
  },
  {
    name: 'record server',
    run: async (s, d) => {
      const row = await s.store.dbServers.insert({ device: str(d, 'device'), engine: d.engine as DatabaseEngine, mode: 'pooled', app: null, container: null, adminSecretRef: str(d, 'secretRef') });
      return { server: row.id };
    },
    undo: async (s, d) => {
      if (!d.server) return;
      await s.store.kv.delete(KV, `adopted:${str(d, 'server')}`);
      await s.store.dbServers.delete(str(d, 'server'));
    },
  },
  {
    name: 'reach and harden',
    run: async (s, d) => {
      const live = await s.liveById(str(d, 'server'));
      const info = await live.pool.serverInfo();
      const meta = { ...(d.meta as AdoptedServer) };
      // What hardening closes is reopened when the server is forgotten, unless it was closed already.
      if (live.pool.preparedChanges && (await live.pool.preparedChanges())) meta.revokedMaintenance = true;
      await s.store.kv.set(KV, `adopted:${live.row.id}`, meta);
      await live.pool.prepare();
      await s.store.dbServers.update(live.row.id, { version: info.version });
    },
    undo: async (s, d) => {
      const meta = d.server ? await s.store.kv.get<AdoptedServer>(KV, `adopted:${str(d, 'server')}`) : undefined;
      if (!meta?.revokedMaintenance) return;
      const live = await s.liveById(str(d, 'server')).catch(() => undefined);
      await live?.pool.unprepare?.().catch(() => {});
    },
  },
];

const MOVE_STEPS: StepDef<PoolingService>[] = [
  {
    name: 'target server',
    run: async (s, d) => {
      if (d.to === 'pool') return { target: (await s.pooledServer(str(d, 'device'), d.engine as DatabaseEngine)).row.id };
      const need = d.need as DatabaseNeed | undefined;
      const row = await s.createServer({ device: str(d, 'device'), engine: d.engine as DatabaseEngine, mode: 'dedicated', app: str(d, 'app'), ref: str(d, 'ref'), ...(need ? { need } : {}) });
      return { target: row.id, targetCreated: true };
    },
    undo: async (s, d) => {
      if (!d.targetCreated) return;
      const row = await s.store.dbServers.get(str(d, 'target'));
      if (row) await s.removeServer(row);
    },
  },
  {
    name: 'provision on target',
    run: async (s, d) => {
      const grant = (await s.store.dbGrants.get(str(d, 'app'), str(d, 'ref')))!;
      const target = await s.liveById(str(d, 'target'));
      const pw = await s.store.secrets.get(grant.secretRef!);
      await s.onServer(target.row.id, () => target.pool.provision({ app: str(d, 'app'), ref: str(d, 'ref'), database: grant.database, user: grant.username, password: pw, connectionLimit: s.connectionLimit() }));
      return { database: grant.database, user: grant.username };
    },
    undo: async (s, d) => {
      if (!d.database) return;
      const target = await s.liveById(str(d, 'target')).catch(() => undefined);
      // The source holds the same names; only the target's copy is dropped.
      if (target && d.target !== d.from) await target.pool.deprovision({ database: str(d, 'database'), user: str(d, 'user') });
    },
  },
  {
    name: 'copy and verify',
    run: async (s, d) => {
      const names = { database: str(d, 'database'), user: str(d, 'user') };
      const source = await s.liveById(str(d, 'from'));
      const target = await s.liveById(str(d, 'target'));
      const before = await source.pool.rowCounts(names);
      await target.pool.restore(names, await source.pool.dump(names));
      const after = await target.pool.rowCounts(names);
      const diff = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
      if (diff.length) {
        throw new WarrenError('WARREN_ERR_DATABASE', `row counts differ after the copy: ${diff.map((t) => `${t} ${before[t] ?? 'missing'} → ${after[t] ?? 'missing'}`).join(', ')}`, { hint: 'Nothing was switched; the app keeps its database where it was.' });
      }
      return { rowCounts: before };
    },
  },
  {
    name: 'switch',
    run: async (s, d) => {
      await s.store.dbGrants.update(str(d, 'app'), str(d, 'ref'), { server: str(d, 'target') });
    },
    undo: async (s, d) => {
      await s.store.dbGrants.update(str(d, 'app'), str(d, 'ref'), { server: str(d, 'from') });
    },
  },
  {
    name: 'drop the source copy',
    run: async (s, d) => {
      const source = await s.liveById(str(d, 'from'));
      await source.pool.deprovision({ database: str(d, 'database'), user: str(d, 'user') });
      if (source.row.mode === 'dedicated') await s.removeServer(source.row);
    },
  },
];

/** The version an image's tag names: `postgres:16` → `16`, `mariadb:10.11.6-jammy` → `10.11.6-jammy`; undefined for `latest`, a digest or no tag. */
export function imageTagVersion(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const colon = image.lastIndexOf(':');
  if (colon < 0 || colon < image.lastIndexOf('/')) return undefined;
  const tag = image.slice(colon + 1);
  return /^v?\d/.test(tag) ? tag : undefined;
}
