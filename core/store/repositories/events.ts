import { type Db, type Row, fromJson, num, run, toJson } from '../rows.js';

export interface EventRecord {
  id: number;
  at: number;
  domain: string;
  type: string;
  payload: Record<string, unknown>;
}

export type NewEvent = Omit<EventRecord, 'id' | 'at'> & { at?: number };

const fromRow = (r: Row): EventRecord => ({
  id: num(r.id),
  at: num(r.at),
  domain: String(r.domain),
  type: String(r.type),
  payload: fromJson(r.payload),
});

/** Recent events, bounded: each append drops all but the newest `keep`. */
export function eventsRepository(db: Db, keep: number) {
  return {
    async append(event: NewEvent): Promise<EventRecord> {
      const at = event.at ?? Date.now();
      const [row] = await run('record event', () =>
        db('events').insert({ at, domain: event.domain, type: event.type, payload: toJson(event.payload) }).returning('id'),
      );
      const id = num(typeof row === 'object' ? (row as Row).id : row);
      await run('trim events', () =>
        db('events')
          .where('id', '<', db('events').select('id').orderBy('id', 'desc').limit(1).offset(keep - 1))
          .delete(),
      );
      return { id, at, domain: event.domain, type: event.type, payload: event.payload };
    },
    /**
     * Oldest first. With `after` (an event id), the events that followed it, for catching up;
     * without, the newest `limit` (default 100).
     */
    async list(filter: { after?: number; domain?: string; limit?: number } = {}): Promise<EventRecord[]> {
      const limit = filter.limit ?? 100;
      const rows = await run('list events', () => {
        const q = db('events').limit(limit);
        if (filter.domain !== undefined) q.where({ domain: filter.domain });
        if (filter.after !== undefined) return q.where('id', '>', filter.after).orderBy('id', 'asc');
        return q.orderBy('id', 'desc');
      });
      const events = rows.map(fromRow);
      return filter.after === undefined ? events.reverse() : events;
    },
  };
}

export type EventsRepository = ReturnType<typeof eventsRepository>;
