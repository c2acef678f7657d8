// The hub's side of a plugin running in a child process: forks core/plugin/child-main, forwards
// calls, serves the child's context requests (storage, secrets, bus, logs) and reports the child's
// death so the host can restart it with backoff.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WarrenError } from '../errors.js';
import { deserializeError, encodeValue, serializeError, type Wire } from './ipc.js';
import type { ContextBackend, PluginRuntime, ProviderMeta } from './runtime.js';
import type { Closable, ConnectionTestResult } from './types.js';

/** Where the child's entry point is: next to this file in source form, or `plugin-child.js` beside the bundle. */
export function childEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return { file: join(dirname(here), 'child-main.ts'), execArgv: ['--import', 'tsx'] };
  const bundled = join(dirname(here), 'plugin-child.js');
  if (existsSync(bundled)) return { file: bundled, execArgv: [] };
  return { file: join(dirname(here), 'child-main.js'), execArgv: [] };
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  fns: number[];
  signals: { id: number; signal: AbortSignal; onAbort: () => void }[];
}

export class ChildProcessRuntime implements PluginRuntime {
  readonly isolation = 'process' as const;
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly fns = new Map<number, (...args: unknown[]) => unknown>();
  private readonly backends = new Map<string, ContextBackend>();
  private readonly busListeners = new Map<number, () => void>();
  private readonly exitListeners: ((reason: string) => void)[] = [];
  private stopping = false;
  private exited = false;

  constructor(private readonly entry: string, private readonly pluginName: string, private readonly opts: { env?: NodeJS.ProcessEnv } = {}) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async load(): Promise<ProviderMeta[]> {
    const { file, execArgv } = childEntry();
    const child = fork(file, [], {
      execArgv,
      env: { ...process.env, ...this.opts.env, WARREN_PLUGIN_CHILD: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    child.on('message', (m) => this.onMessage(m as Wire));
    child.on('exit', (code, signal) => this.onChildExit(code, signal));
    child.on('error', () => {});
    const loaded = new Promise<ProviderMeta[]>((resolve, reject) => {
      const onMsg = (m: Wire) => {
        if (m.type === 'loaded') {
          child.off('message', onMsg);
          resolve(m.providers as ProviderMeta[]);
        } else if (m.type === 'fatal') {
          child.off('message', onMsg);
          reject(Object.assign(deserializeError(m.error), { code: m.error.code ?? 'WARREN_ERR_PLUGIN_LOAD' }));
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => reject(new WarrenError('WARREN_ERR_PLUGIN_CRASHED', `${this.pluginName}: its process exited (code ${code}) while loading`)));
    });
    this.send({ type: 'load', entry: this.entry, plugin: this.pluginName });
    return loaded;
  }

  private send(m: Wire): void {
    if (this.child?.connected) this.child.send(m);
  }

  private request(op: Extract<Wire, { type: 'request' }>['op'], args: unknown[]): Promise<unknown> {
    if (this.exited || !this.child?.connected) {
      return Promise.reject(new WarrenError('WARREN_ERR_PLUGIN_CRASHED', `${this.pluginName}: its process is not running`));
    }
    const id = this.nextId++;
    const p: Pending = { resolve: () => {}, reject: () => {}, fns: [], signals: [] };
    const encoded = encodeValue(args, {
      fn: (f) => {
        const fid = this.nextId++;
        this.fns.set(fid, f);
        p.fns.push(fid);
        return fid;
      },
      signal: (s) => {
        const sid = this.nextId++;
        const onAbort = () => this.send({ type: 'abort', signal: sid });
        if (s.aborted) queueMicrotask(onAbort);
        else s.addEventListener('abort', onAbort, { once: true });
        p.signals.push({ id: sid, signal: s, onAbort });
        return sid;
      },
    }) as unknown[];
    return new Promise((resolve, reject) => {
      p.resolve = resolve;
      p.reject = reject;
      this.pending.set(id, p);
      this.send({ type: 'request', id, op, args: encoded });
    });
  }

  /** Callbacks handed to a call that returned an iterator live as long as the iterator. */
  private readonly iteratorFns = new Map<number, number[]>();

  private settle(id: number, value?: unknown): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    const iter = (value as { __iter?: unknown } | undefined)?.__iter;
    if (typeof iter === 'number') this.iteratorFns.set(iter, p.fns);
    else for (const f of p.fns) this.fns.delete(f);
    for (const s of p.signals) s.signal.removeEventListener('abort', s.onAbort);
    return p;
  }

  private onMessage(m: Wire): void {
    switch (m.type) {
      case 'response': {
        const p = this.settle(m.id, m.ok ? m.value : undefined);
        if (!p) return;
        if (m.ok) p.resolve(m.value);
        else p.reject(deserializeError(m.error!));
        return;
      }
      case 'callback': {
        const f = this.fns.get(m.fn);
        if (f) {
          try {
            f(...m.args);
          } catch {
            // A failing progress callback is the caller's problem, not the plugin's.
          }
        }
        return;
      }
      case 'log': {
        const b = this.backends.get(m.instance);
        b?.logger[m.level]?.(m.msg, m.data);
        return;
      }
      case 'emit': {
        this.backends.get(m.instance)?.bus.emit(m.event, m.payload);
        return;
      }
      case 'ctx':
        void this.serveContext(m);
        return;
      default:
        return;
    }
  }

  private async serveContext(m: Extract<Wire, { type: 'ctx' }>): Promise<void> {
    const b = this.backends.get(m.instance);
    try {
      if (!b) throw new Error(`unknown instance ${m.instance}`);
      let value: unknown;
      const [a, c] = m.args as [string, unknown];
      switch (m.op) {
        case 'storage.get': value = await b.storage.get(a); break;
        case 'storage.set': await b.storage.set(a, c); break;
        case 'storage.delete': await b.storage.delete(a); break;
        case 'storage.keys': value = await b.storage.keys(); break;
        case 'secrets.get': value = await b.secrets.get(a); break;
        case 'secrets.set': await b.secrets.set(a, c as string); break;
        case 'secrets.delete': await b.secrets.delete(a); break;
        case 'bus.on': {
          const listenerId = c as number;
          const off = b.bus.on(a, (payload) => this.send({ type: 'bus', instance: m.instance, listener: listenerId, payload }));
          this.busListeners.set(listenerId, off);
          break;
        }
        case 'bus.off': {
          const listenerId = c as number;
          this.busListeners.get(listenerId)?.();
          this.busListeners.delete(listenerId);
          break;
        }
        case 'dataDir': value = b.dataDir; break;
        default: throw new Error(`unknown context operation ${m.op}`);
      }
      this.send({ type: 'ctx-response', id: m.id, ok: true, value });
    } catch (e) {
      this.send({ type: 'ctx-response', id: m.id, ok: false, error: serializeError(e) });
    }
  }

  private onChildExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited = true;
    const reason = signal ? `killed by ${signal}` : `exited with code ${code}`;
    for (const id of [...this.pending.keys()]) {
      this.settle(id)?.reject(new WarrenError('WARREN_ERR_PLUGIN_CRASHED', `${this.pluginName}: its process ${reason}`));
    }
    for (const off of this.busListeners.values()) off();
    this.busListeners.clear();
    if (!this.stopping) for (const l of this.exitListeners) l(reason);
  }

  onExit(listener: (reason: string) => void): void {
    this.exitListeners.push(listener);
  }

  async migrate(providerId: string, config: Record<string, unknown>, fromVersion: number): Promise<Record<string, unknown>> {
    return (await this.request('migrate', [providerId, config, fromVersion])) as Record<string, unknown>;
  }

  async test(instanceId: string, providerId: string, config: Record<string, unknown>, backend: ContextBackend): Promise<ConnectionTestResult> {
    const key = `${instanceId}#test${this.nextId++}`;
    this.backends.set(key, backend);
    try {
      return (await this.request('test', [key, providerId, config, backend.dataDir])) as ConnectionTestResult;
    } finally {
      this.backends.delete(key);
    }
  }

  async setup(instanceId: string, providerId: string, config: Record<string, unknown>, backend: ContextBackend, signal: AbortSignal): Promise<Closable> {
    this.backends.set(instanceId, backend);
    try {
      const { props } = (await this.request('setup', [instanceId, providerId, config, signal, backend.dataDir])) as { props: Record<string, unknown> };
      return this.proxy(instanceId, props);
    } catch (e) {
      this.backends.delete(instanceId);
      throw e;
    }
  }

  async close(instanceId: string): Promise<void> {
    try {
      if (!this.exited) await this.request('close', [instanceId]);
    } finally {
      this.backends.delete(instanceId);
    }
  }

  /** Resolves true when the child answers within `ms` (a hung event loop does not). */
  async ping(ms = 2000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.request('ping', []).then(() => true),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || this.exited) return;
    for (const id of [...this.backends.keys()].reverse()) {
      try {
        await Promise.race([this.close(id), new Promise((r) => setTimeout(r, 5000))]);
      } catch {
        // The child may already be gone; what matters is that it ends below.
      }
    }
    const gone = new Promise<void>((r) => (this.exited ? r() : child.once('exit', () => r())));
    child.disconnect?.();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.kill('SIGTERM');
    await gone;
    clearTimeout(timer);
  }

  private proxy(instanceId: string, props: Record<string, unknown>): Closable {
    const call = (method: string, args: unknown[]) => this.callResult(this.request('call', [instanceId, method, args]));
    return new Proxy({} as Closable, {
      get: (_t, prop) => {
        if (typeof prop === 'symbol' || prop === 'then') return undefined;
        if (prop === 'close') return () => this.close(instanceId);
        if (prop in props) return props[prop];
        return (...args: unknown[]) => call(prop, args);
      },
    });
  }

  /** A call's result can be awaited, or iterated when the plugin returned an async iterable. */
  private callResult(p: Promise<unknown>): unknown {
    const resolved = p.then((v) => {
      const iter = v as { __iter?: number } | undefined;
      return iter && typeof iter === 'object' && typeof iter.__iter === 'number' ? this.remoteIterable(iter.__iter) : v;
    });
    resolved.catch(() => {});
    return {
      then: resolved.then.bind(resolved),
      catch: resolved.catch.bind(resolved),
      finally: resolved.finally.bind(resolved),
      [Symbol.asyncIterator]: () => {
        let it: AsyncIterator<unknown> | undefined;
        const get = async () => (it ??= ((await resolved) as AsyncIterable<unknown>)[Symbol.asyncIterator]());
        return {
          next: async () => (await get()).next(),
          return: async () => ((await get()).return?.() ?? { done: true, value: undefined }),
        };
      },
    };
  }

  private releaseIterator(id: number): void {
    for (const f of this.iteratorFns.get(id) ?? []) this.fns.delete(f);
    this.iteratorFns.delete(id);
  }

  private remoteIterable(id: number): AsyncIterable<unknown> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const r = (await this.request('iter-next', [id])) as IteratorResult<unknown>;
          if (r.done) this.releaseIterator(id);
          return r;
        },
        return: async () => {
          this.releaseIterator(id);
          if (!this.exited) await this.request('iter-return', [id]).catch(() => {});
          return { done: true, value: undefined };
        },
      }),
    };
  }
}
