// Entry point of a plugin's child process: loads the plugin with the in-process runtime and serves
// the hub's requests. Any uncaught error ends the process; the hub restarts it with backoff.
import { decodeValue, deserializeError, encodeValue, serializeError, type Wire } from './ipc.js';
import { InProcessRuntime, type ContextBackend } from './runtime.js';

let runtime: InProcessRuntime | undefined;
let nextId = 1;
const controllers = new Map<number, AbortController>();
const ctxPending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
const busListeners = new Map<number, (payload: Record<string, unknown>) => void>();
const iterators = new Map<number, AsyncIterator<unknown>>();
const instances = new Map<string, Record<string, unknown>>();

const send = (m: Wire) => {
  if (process.connected) process.send!(m);
};

function die(e: unknown): void {
  send({ type: 'fatal', error: serializeError(e) });
  setTimeout(() => process.exit(70), 50);
}
process.on('uncaughtException', die);
process.on('unhandledRejection', die);
process.on('disconnect', () => process.exit(0));

function ctx(instance: string, op: string, args: unknown[]): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    ctxPending.set(id, { resolve, reject });
    send({ type: 'ctx', id, instance, op, args });
  });
}

function backendFor(instance: string, dataDir: string): ContextBackend {
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, data?: Record<string, unknown>) =>
    send({ type: 'log', instance, level, msg, data });
  return {
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    storage: {
      get: (k) => ctx(instance, 'storage.get', [k]) as Promise<any>,
      set: async (k, v) => void (await ctx(instance, 'storage.set', [k, v])),
      delete: async (k) => void (await ctx(instance, 'storage.delete', [k])),
      keys: () => ctx(instance, 'storage.keys', []) as Promise<string[]>,
    },
    secrets: {
      get: (n) => ctx(instance, 'secrets.get', [n]) as Promise<string | undefined>,
      set: async (n, v) => void (await ctx(instance, 'secrets.set', [n, v])),
      delete: async (n) => void (await ctx(instance, 'secrets.delete', [n])),
    },
    bus: {
      emit: (event, payload) => send({ type: 'emit', instance, event, payload }),
      on: (event, listener) => {
        const id = nextId++;
        busListeners.set(id, listener);
        void ctx(instance, 'bus.on', [event, id]);
        return () => {
          busListeners.delete(id);
          void ctx(instance, 'bus.off', [event, id]);
        };
      },
    },
    dataDir,
  };
}

const refs = {
  fn: (id: number) => (...args: unknown[]) => send({ type: 'callback', fn: id, args: encodeValue(args, noRefs) as unknown[] }),
  signal: (id: number) => {
    const c = new AbortController();
    controllers.set(id, c);
    return c.signal;
  },
};
const noRefs = { fn: () => 0, signal: () => 0 };

function publicProps(instance: object): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (let o: object | null = instance; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === 'constructor' || key.startsWith('_') || key in props) continue;
      const desc = Object.getOwnPropertyDescriptor(o, key);
      const v = desc && 'value' in desc ? desc.value : desc?.get ? undefined : undefined;
      if (v === undefined || typeof v === 'function') continue;
      try {
        props[key] = JSON.parse(JSON.stringify(v));
      } catch {
        // Not plain data: only reachable through methods.
      }
    }
  }
  return props;
}

async function handle(m: Extract<Wire, { type: 'request' }>): Promise<unknown> {
  const args = decodeValue(m.args, refs) as unknown[];
  if (!runtime) throw new Error('plugin not loaded');
  switch (m.op) {
    case 'ping':
      return 'pong';
    case 'migrate':
      return runtime.migrate(args[0] as string, args[1] as Record<string, unknown>, args[2] as number);
    case 'test': {
      const key = args[0] as string;
      return runtime.test(key, args[1] as string, args[2] as Record<string, unknown>, backendFor(key, args[3] as string));
    }
    case 'setup': {
      const id = args[0] as string;
      const inst = await runtime.setup(id, args[1] as string, args[2] as Record<string, unknown>, backendFor(id, args[4] as string), args[3] as AbortSignal);
      instances.set(id, inst as unknown as Record<string, unknown>);
      return { props: publicProps(inst) };
    }
    case 'close': {
      instances.delete(args[0] as string);
      await runtime.close(args[0] as string);
      return null;
    }
    case 'call': {
      const [id, method, callArgs] = args as [string, string, unknown[]];
      const inst = instances.get(id);
      if (!inst) throw Object.assign(new Error(`instance ${id} is not running`), { code: 'WARREN_ERR_NOT_READY' });
      const f = inst[method];
      if (typeof f !== 'function') throw Object.assign(new Error(`${method} is not a method of this provider`), { code: 'WARREN_ERR_INTERNAL' });
      let result = (f as (...a: unknown[]) => unknown).apply(inst, callArgs);
      if (isAsyncIterable(result) && !isThenable(result)) return registerIterator(result);
      result = await result;
      if (isAsyncIterable(result)) return registerIterator(result);
      return encodeValue(result, noRefs);
    }
    case 'iter-next': {
      const it = iterators.get(args[0] as number);
      if (!it) return { done: true, value: undefined };
      const r = await it.next();
      if (r.done) iterators.delete(args[0] as number);
      return { done: r.done ?? false, value: encodeValue(r.value, noRefs) };
    }
    case 'iter-return': {
      const it = iterators.get(args[0] as number);
      iterators.delete(args[0] as number);
      await it?.return?.();
      return null;
    }
  }
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  !!v && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
const isThenable = (v: unknown) => !!v && typeof (v as { then?: unknown }).then === 'function';

function registerIterator(it: AsyncIterable<unknown>): { __iter: number } {
  const id = nextId++;
  iterators.set(id, it[Symbol.asyncIterator]());
  return { __iter: id };
}

process.on('message', async (raw) => {
  const m = raw as Wire;
  switch (m.type) {
    case 'load':
      try {
        runtime = new InProcessRuntime(m.entry, m.plugin);
        send({ type: 'loaded', providers: await runtime.load() });
      } catch (e) {
        die(e);
      }
      return;
    case 'request':
      try {
        send({ type: 'response', id: m.id, ok: true, value: await handle(m) });
      } catch (e) {
        send({ type: 'response', id: m.id, ok: false, error: serializeError(e) });
      }
      return;
    case 'abort':
      controllers.get(m.signal)?.abort();
      controllers.delete(m.signal);
      return;
    case 'ctx-response': {
      const p = ctxPending.get(m.id);
      ctxPending.delete(m.id);
      if (!p) return;
      if (m.ok) p.resolve(m.value);
      else p.reject(deserializeError(m.error!));
      return;
    }
    case 'bus':
      try {
        busListeners.get(m.listener)?.(m.payload);
      } catch (e) {
        send({ type: 'log', instance: m.instance, level: 'error', msg: 'a bus listener threw', data: { error: (e as Error).message } });
      }
      return;
    default:
      return;
  }
});
