/**
 * Small helpers for tests and benchmarks that drive a real core through its RPC entry
 * point: a call that throws on an error outcome, and waits that re-check on every event
 * the core pushes (never on a timer).
 */
import type { ConnectionState, RpcErrorShape, RpcEventName, RpcEvents, RpcMethod, RpcParams, RpcResults, WorkstationApi } from '../../../shared/rpc.js';
import type { WorkstationCore } from '../api.js';

export async function call<M extends RpcMethod>(core: WorkstationCore, method: M, params: RpcParams<M>): Promise<RpcResults[M]> {
  const outcome = await core.invoke(method, params);
  if (!outcome.ok) throw new Error(`${method} failed: ${outcome.error.code} ${outcome.error.message}`);
  return outcome.result as RpcResults[M];
}

/** Resolves once `check` holds, re-checking after every event the core pushes; rejects after `timeoutMs`. */
export function waitUntil(core: WorkstationCore, what: string, check: () => boolean | Promise<boolean>, timeoutMs = 25_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    let running: Promise<void> | null = null;
    let again = false;
    const finish = (error?: Error) => {
      done = true;
      clearTimeout(timer);
      off();
      if (error) reject(error);
      else resolve();
    };
    const evaluate = (): void => {
      if (done) return;
      if (running) {
        again = true;
        return;
      }
      running = Promise.resolve()
        .then(check)
        .then((ok) => {
          if (ok) finish();
        })
        .catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))))
        .finally(() => {
          running = null;
          if (again && !done) {
            again = false;
            evaluate();
          }
        });
    };
    const timer = setTimeout(() => finish(new Error(`Timed out waiting until ${what}`)), timeoutMs);
    const off = core.onEvent(() => evaluate());
    evaluate();
  });
}

export async function connectionOf(core: WorkstationCore): Promise<ConnectionState> {
  return (await call(core, 'session.get', {})).connection;
}

/** Online with nothing left in the outbox. */
export function onlineAndIdle(core: WorkstationCore): () => Promise<boolean> {
  return async () => {
    const state = await connectionOf(core);
    return state.status === 'online' && state.pendingCount === 0;
  };
}

/**
 * The core as the renderer sees it, exactly what the hosts do: a failed call rejects with
 * `toError(error)` (the renderer's own RpcError, which this layer may not import).
 */
export function workstationApiOver(core: WorkstationCore, toError: (error: RpcErrorShape) => Error): WorkstationApi {
  return {
    async invoke(method, params) {
      const outcome = await core.invoke(method, params);
      if (!outcome.ok) throw toError(outcome.error);
      return outcome.result as never;
    },
    on<E extends RpcEventName>(event: E, listener: (payload: RpcEvents[E]) => void) {
      return core.onEvent((name, payload) => {
        const received: RpcEventName = name;
        if (received === event) listener(payload as unknown as RpcEvents[E]);
      });
    },
  };
}
