import { type Db, type Row, bool, defined, fromJson, newId, notFound, num, run, strOrNull, toJson } from '../rows.js';

export interface Device {
  id: string;
  name: string;
  /** How the hub reaches the device's engine (socket, TCP+TLS, SSH); never holds secrets, only refs. */
  connection: Record<string, unknown>;
  engine: string | null;
  arch: string | null;
  labels: Record<string, string>;
  /** Capacity held back from placement, e.g. `{ memoryBytes, diskBytes }`. */
  reserve: Record<string, unknown>;
  cordoned: boolean;
  state: string;
  stateReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type NewDevice = Pick<Device, 'name' | 'connection'> & Partial<Omit<Device, 'name' | 'connection' | 'createdAt' | 'updatedAt'>>;
export type DevicePatch = Partial<Omit<Device, 'id' | 'createdAt' | 'updatedAt'>>;

const fromRow = (r: Row): Device => ({
  id: String(r.id),
  name: String(r.name),
  connection: fromJson(r.connection),
  engine: strOrNull(r.engine),
  arch: strOrNull(r.arch),
  labels: fromJson(r.labels),
  reserve: fromJson(r.reserve),
  cordoned: bool(r.cordoned),
  state: String(r.state),
  stateReason: strOrNull(r.state_reason),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const toRow = (d: DevicePatch): Row =>
  defined({
    name: d.name,
    connection: d.connection === undefined ? undefined : toJson(d.connection),
    engine: d.engine,
    arch: d.arch,
    labels: d.labels === undefined ? undefined : toJson(d.labels),
    reserve: d.reserve === undefined ? undefined : toJson(d.reserve),
    cordoned: d.cordoned,
    state: d.state,
    state_reason: d.stateReason,
  });

export function devicesRepository(db: Db) {
  const repo = {
    async get(id: string): Promise<Device | undefined> {
      const r = await run('get device', () => db('devices').where({ id }).first());
      return r ? fromRow(r) : undefined;
    },
    async findByName(name: string): Promise<Device | undefined> {
      const r = await run('find device', () => db('devices').where({ name }).first());
      return r ? fromRow(r) : undefined;
    },
    async list(): Promise<Device[]> {
      return (await run('list devices', () => db('devices').orderBy('name'))).map(fromRow);
    },
    async insert(input: NewDevice): Promise<Device> {
      const now = Date.now();
      const device: Device = {
        id: input.id ?? newId(),
        name: input.name,
        connection: input.connection,
        engine: input.engine ?? null,
        arch: input.arch ?? null,
        labels: input.labels ?? {},
        reserve: input.reserve ?? {},
        cordoned: input.cordoned ?? false,
        state: input.state ?? 'unknown',
        stateReason: input.stateReason ?? null,
        createdAt: now,
        updatedAt: now,
      };
      await run(`add device ${device.name}`, () =>
        db('devices').insert({ id: device.id, ...toRow(device), created_at: now, updated_at: now }),
      );
      return device;
    },
    async update(id: string, patch: DevicePatch): Promise<Device> {
      const n = await run(`update device ${id}`, () => db('devices').where({ id }).update({ ...toRow(patch), updated_at: Date.now() }));
      if (n === 0) throw notFound('device', id);
      return (await repo.get(id))!;
    },
    /** Removes the device and its metric history; refused while apps or database servers are on it. */
    async delete(id: string): Promise<boolean> {
      return (await run(`remove device ${id}`, () => db('devices').where({ id }).delete())) > 0;
    },
  };
  return repo;
}

export type DevicesRepository = ReturnType<typeof devicesRepository>;
