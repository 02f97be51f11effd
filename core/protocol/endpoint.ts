// The generic endpoint both sides use: typed requests (with a result or an error), typed events, and runtime
// validation of everything that arrives (wire shape, then the message's params/payload/result guard). The
// transport is two functions, so the same class runs over `webview.postMessage` in the host, over
// `acquireVsCodeApi().postMessage` in the webview, over a Worker, or over a pair of in-memory queues in tests.
import type { Direction } from './messages.js';
import {
  ProtocolError,
  isPlainObject,
  literal,
  nonNegativeInt,
  object,
  oneOf,
  problemsOf,
  str,
  unknownValue,
} from './guards.js';
import type { Guard } from './guards.js';

/** Tag on every wire message, so that unrelated messages (other tools, a stale webview) are ignored. */
export const PROTOCOL_TAG = 'prompt-adapter/1';

export type WireMessage =
  | {
      readonly protocol: typeof PROTOCOL_TAG;
      readonly kind: 'request';
      readonly id: number;
      readonly method: string;
      readonly params: unknown;
    }
  | {
      readonly protocol: typeof PROTOCOL_TAG;
      readonly kind: 'response';
      readonly id: number;
      readonly ok: true;
      readonly result: unknown;
    }
  | {
      readonly protocol: typeof PROTOCOL_TAG;
      readonly kind: 'response';
      readonly id: number;
      readonly ok: false;
      readonly error: string;
    }
  | {
      readonly protocol: typeof PROTOCOL_TAG;
      readonly kind: 'event';
      readonly name: string;
      readonly payload: unknown;
    };

const tag = literal(PROTOCOL_TAG);
export const wireMessage: Guard<WireMessage> = oneOf(
  object({ protocol: tag, kind: literal('request'), id: nonNegativeInt, method: str, params: unknownValue }),
  object({
    protocol: tag,
    kind: literal('response'),
    id: nonNegativeInt,
    ok: literal(true),
    result: unknownValue,
  }),
  object({ protocol: tag, kind: literal('response'), id: nonNegativeInt, ok: literal(false), error: str }),
  object({ protocol: tag, kind: literal('event'), name: str, payload: unknownValue }),
);

export interface Transport {
  post(message: WireMessage): void;
  /** Registers the inbound handler; returns a function that unregisters it. */
  listen(handler: (message: unknown) => void): () => void;
}

/** Guards for what one side receives: its inbound requests' params and events, and its outbound results. */
export interface ProtocolGuards<Send extends Direction, Receive extends Direction> {
  readonly requestParams: {
    readonly [M in keyof Receive['requests']]: Guard<Receive['requests'][M]['params']>;
  };
  readonly events: { readonly [E in keyof Receive['events']]: Guard<Receive['events'][E]> };
  readonly results: { readonly [M in keyof Send['requests']]: Guard<Send['requests'][M]['result']> };
}

/** The peer answered a request with an error. */
export class RemoteError extends Error {
  constructor(
    readonly method: string,
    message: string,
  ) {
    super(`${method}: ${message}`);
    this.name = 'RemoteError';
  }
}

export interface EndpointOptions {
  /** called for every inbound message that was rejected or every handler that threw (log it) */
  onProblem?: (message: string) => void;
  /** reject a request without an answer after this long (default: never) */
  timeoutMs?: number;
}

type Params<D extends Direction, M extends keyof D['requests']> = D['requests'][M]['params'];
type Result<D extends Direction, M extends keyof D['requests']> = D['requests'][M]['result'];

interface Pending {
  readonly method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  readonly timer: ReturnType<typeof setTimeout> | undefined;
}

function own(table: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, key);
}

export class Endpoint<Send extends Direction, Receive extends Direction> {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, (params: unknown) => unknown>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly unlisten: () => void;
  private disposed = false;

  constructor(
    private readonly transport: Transport,
    private readonly guards: ProtocolGuards<Send, Receive>,
    private readonly options: EndpointOptions = {},
  ) {
    this.unlisten = transport.listen((m) => {
      this.receive(m);
    });
  }

  request<M extends keyof Send['requests'] & string>(
    method: M,
    params: Params<Send, M>,
  ): Promise<Result<Send, M>> {
    if (this.disposed) return Promise.reject(new ProtocolError(`${method}: the endpoint is closed`));
    const id = this.nextId++;
    return new Promise<Result<Send, M>>((resolve, reject) => {
      const timeout = this.options.timeoutMs;
      const timer =
        timeout === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id);
              reject(
                new ProtocolError(`${method}: no answer within ${timeout} ms (is the other side running?)`),
              );
            }, timeout);
      this.pending.set(id, { method, resolve, reject, timer });
      this.transport.post({ protocol: PROTOCOL_TAG, kind: 'request', id, method, params });
    });
  }

  notify<E extends keyof Send['events'] & string>(name: E, payload: Send['events'][E]): void {
    if (this.disposed) return;
    this.transport.post({ protocol: PROTOCOL_TAG, kind: 'event', name, payload });
  }

  /** Answers a request method; one handler per method. Returns a function that removes it. */
  handle<M extends keyof Receive['requests'] & string>(
    method: M,
    handler: (params: Params<Receive, M>) => Result<Receive, M> | Promise<Result<Receive, M>>,
  ): () => void {
    if (this.handlers.has(method)) throw new ProtocolError(`${method}: a handler is already registered`);
    this.handlers.set(method, handler);
    return () => this.handlers.delete(method);
  }

  on<E extends keyof Receive['events'] & string>(
    name: E,
    listener: (payload: Receive['events'][E]) => void,
  ): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  }

  /** Stops listening and rejects every request still waiting. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unlisten();
    for (const p of this.pending.values()) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(new ProtocolError(`${p.method}: the endpoint was closed before an answer came`));
    }
    this.pending.clear();
  }

  private problem(message: string): void {
    this.options.onProblem?.(message);
  }

  private receive(message: unknown): void {
    if (this.disposed) return;
    // Messages without our tag belong to someone else: ignore them silently.
    if (!isPlainObject(message) || message.protocol !== PROTOCOL_TAG) return;
    const wire = problemsOf(wireMessage, message, 'message');
    if (wire.length > 0) {
      this.problem(`malformed message ignored: ${wire.slice(0, 3).join('; ')}`);
      return;
    }
    const m = message as WireMessage;
    switch (m.kind) {
      case 'request':
        void this.answer(m.id, m.method, m.params);
        return;
      case 'response': {
        const p = this.pending.get(m.id);
        if (p === undefined) {
          this.problem(`response to unknown request id ${m.id} ignored`);
          return;
        }
        this.pending.delete(m.id);
        if (p.timer !== undefined) clearTimeout(p.timer);
        if (!m.ok) {
          p.reject(new RemoteError(p.method, m.error));
          return;
        }
        const g = (this.guards.results as Record<string, Guard<unknown>>)[p.method];
        const problems =
          g === undefined
            ? [`no result guard for ${p.method}`]
            : problemsOf(g, m.result, `${p.method} result`);
        if (problems.length > 0) {
          const error = new ProtocolError(
            `invalid result of ${p.method}: ${problems.slice(0, 3).join('; ')}`,
            problems,
          );
          this.problem(error.message);
          {
            p.reject(error);
            return;
          }
        }
        p.resolve(m.result);
        return;
      }
      case 'event': {
        if (!own(this.guards.events, m.name)) {
          this.problem(`unknown event "${m.name}" ignored`);
          return;
        }
        const g = (this.guards.events as Record<string, Guard<unknown>>)[m.name];
        const problems = g === undefined ? [] : problemsOf(g, m.payload, `${m.name} payload`);
        if (problems.length > 0) {
          this.problem(`event ${m.name} ignored: ${problems.slice(0, 3).join('; ')}`);
          return;
        }
        for (const l of this.listeners.get(m.name) ?? []) {
          try {
            l(m.payload);
          } catch (e) {
            this.problem(`listener of ${m.name} threw: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        return;
      }
    }
  }

  private async answer(id: number, method: string, params: unknown): Promise<void> {
    const reply = (r: { ok: true; result: unknown } | { ok: false; error: string }): void => {
      if (this.disposed) return;
      this.transport.post(
        r.ok
          ? { protocol: PROTOCOL_TAG, kind: 'response', id, ok: true, result: r.result }
          : { protocol: PROTOCOL_TAG, kind: 'response', id, ok: false, error: r.error },
      );
    };
    if (!own(this.guards.requestParams, method)) {
      this.problem(`unknown request method "${method}" refused`);
      {
        reply({ ok: false, error: `unknown method "${method}"` });
        return;
      }
    }
    const g = (this.guards.requestParams as Record<string, Guard<unknown>>)[method];
    const problems = g === undefined ? [] : problemsOf(g, params, `${method} params`);
    if (problems.length > 0) {
      this.problem(`request ${method} refused: ${problems.slice(0, 3).join('; ')}`);
      reply({ ok: false, error: `invalid params: ${problems.slice(0, 3).join('; ')}` });
      return;
    }
    const handler = this.handlers.get(method);
    if (handler === undefined) {
      reply({ ok: false, error: `no handler for "${method}" on this side` });
      return;
    }
    try {
      reply({ ok: true, result: await handler(params) });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.problem(`handler of ${method} failed: ${message}`);
      reply({ ok: false, error: message });
    }
  }
}

/** Two connected in-memory transports (tests, or a webview and a worker in the same thread). */
export function transportPair(): [Transport, Transport] {
  const handlers: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const make = (self: 0 | 1): Transport => ({
    post(message) {
      // Deliver asynchronously and as a structured clone, as postMessage does.
      const copy = structuredClone(message);
      queueMicrotask(() => {
        for (const h of handlers[self === 0 ? 1 : 0]) h(copy);
      });
    },
    listen(handler) {
      handlers[self].add(handler);
      return () => handlers[self].delete(handler);
    },
  });
  return [make(0), make(1)];
}
