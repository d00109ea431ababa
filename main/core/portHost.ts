/**
 * The workstation core across a message port, so it can run in a process of its own (the
 * desktop app's utilityProcess) and a 100,000-ticket bootstrap or an index rebuild never
 * blocks the window. The renderer's calls and the core's events travel in the RPC envelopes
 * of shared/rpc.ts unchanged; the key protector's call-backs and the clean close are in
 * shared/corePort.ts. Every message is parsed on arrival, on both ends: a malformed one gets
 * an error envelope and never takes the other side down.
 *
 * - core process: `runCoreHost(port, settings)` (coreHost.ts) = `remoteKeyProtector` +
 *   `createWorkstationCore` + `serveCoreOverPort`.
 * - main process: `connectCoreOverPort(port, {keyProtector})` → a `WorkstationCore`-shaped
 *   proxy; `superviseCoreProcess` (coreSupervisor.ts) restarts the process when it dies.
 *
 * No Electron here: `PortLike` is met by Electron's MessagePortMain, worker_threads'
 * MessagePort, and the child_process adapters below (the tests run the host in a plain
 * Node child process).
 */
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import {
  CORE_PORT_INBOUND_TYPES,
  closeRequestSchema,
  corePortOutboundSchema,
  keyRequestSchema,
  keyResultSchema,
  type CorePortInbound,
  type CorePortOutbound,
  type KeyRequest,
  type KeyResult,
} from '../../shared/corePort.js';
import { rpcRequestEnvelopeSchema, type RpcErrorShape, type RpcEventName, type RpcEvents } from '../../shared/rpc.js';
import type { CoreEventListener, KeyProtector, RpcOutcome, WorkstationCore } from './api.js';

/**
 * The least a message port must offer; met as they are by Electron's `MessagePortMain` and
 * `process.parentPort`, worker_threads' `MessagePort`, and the child_process adapters below.
 * Electron's ports hand listeners a `{data, ports}` event, Node's hand them the value
 * itself; `unwrapPortMessage` reads both.
 */
export interface PortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  /** Electron's ports queue messages until started. */
  start?(): void;
  close?(): void;
}

/**
 * Listens for the other end going away: the `close` event of Electron's MessagePortMain and
 * worker_threads' MessagePort, the child_process adapters' `disconnect`. Not part of
 * `PortLike` because `process.parentPort` has no such event (Electron ends a utility
 * process whose parent died); on a port without it the listener is simply never called.
 */
export function onPortClose(port: PortLike, listener: () => void): void {
  (port.on as (event: string, listener: () => void) => unknown).call(port, 'close', listener);
}

/** A `WorkstationCore` reached over a port. */
export interface PortCore extends WorkstationCore {
  /** Resolves when the core process has created its core and answers calls. */
  readonly ready: Promise<void>;
  /**
   * The process behind the port ended: every call still waiting, and every later call,
   * resolves to `core_unavailable` with `reason` (e.g. "exit code 9").
   */
  disconnect(reason: string): void;
}

/**
 * Electron delivers `MessageEvent {data, ports}`; Node delivers the value. Our own messages
 * always have a `type`, so an object with `data` and a `ports` array and no `type` is an
 * Electron event around one.
 */
export function unwrapPortMessage(raw: unknown): unknown {
  if (raw !== null && typeof raw === 'object' && !('type' in raw) && 'data' in raw && 'ports' in raw && Array.isArray(raw.ports)) {
    return raw.data;
  }
  return raw;
}

function typeOf(message: unknown): unknown {
  return message !== null && typeof message === 'object' && 'type' in message ? message.type : undefined;
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(message)'}: ${issue.message}`).join('; ');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A numeric id the sender used, so even a bad request gets its answer instead of leaving a call waiting. */
function recoverId(message: unknown): number | null {
  if (message === null || typeof message !== 'object' || !('id' in message)) return null;
  const id = message.id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

/** Posts, and reports (instead of throwing) what the port refused: a result that cannot be cloned, a closed port. */
function post(port: PortLike, message: CorePortOutbound | CorePortInbound): Error | null {
  try {
    port.postMessage(message);
    return null;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

// ---------------------------------------------------------------------------------------
// Core process side

/** The key protector the core uses inside the core process: each call goes to the main process's protector over the port. */
export interface RemoteKeyProtector extends KeyProtector {
  /** Hands over an answer from main (serveCoreOverPort passes every `keyResult` here). */
  receive(result: KeyResult): void;
  /** Fails the calls still waiting (the port closed). */
  failAll(reason: string): void;
}

export function remoteKeyProtector(port: PortLike, description: string): RemoteKeyProtector {
  let nextId = 1;
  let failed: string | null = null;
  const waiting = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();

  type KeyAsk = KeyRequest extends infer R ? (R extends KeyRequest ? Omit<R, 'id'> : never) : never;
  function ask(request: KeyAsk): Promise<string> {
    if (failed !== null) return Promise.reject(new Error(`The main process cannot be asked (${failed})`));
    const id = nextId++;
    return new Promise<string>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      const refused = post(port, { ...request, id });
      if (refused) {
        waiting.delete(id);
        reject(refused);
      }
    });
  }

  return {
    description,
    seal: (key) => ask({ type: 'keyRequest', op: 'seal', keyBase64: key.toString('base64') }),
    async unseal(sealed) {
      return Buffer.from(await ask({ type: 'keyRequest', op: 'unseal', sealed }), 'base64');
    },
    forget() {
      // KeyProtector.forget is synchronous; what main does with it needs no answer here.
      ask({ type: 'keyRequest', op: 'forget' }).catch((error: unknown) => console.warn(`[core host] forget was not delivered: ${errorMessage(error)}`));
    },
    receive(result) {
      const call = waiting.get(result.id);
      if (!call) return;
      waiting.delete(result.id);
      if (result.ok) call.resolve(result.value);
      else call.reject(new Error(`${result.error.code}: ${result.error.message}`));
    },
    failAll(reason) {
      failed = reason;
      for (const call of waiting.values()) call.reject(new Error(`The main process cannot be asked (${reason})`));
      waiting.clear();
    },
  };
}

export interface ServedCore {
  /** Resolves once the core is closed (after a `close` message, or the port closing). */
  readonly closed: Promise<void>;
}

/**
 * Answers the requests arriving on `port` with `core` (or the core being created: requests
 * wait for it) and forwards its events. Requests are parsed with rpcRequestEnvelopeSchema;
 * the method and params are validated by the core itself. A message that is not one we
 * know is answered (a `response` with `invalid_params` when it carries a usable id, else a
 * `protocolError`) and otherwise ignored.
 */
export function serveCoreOverPort(
  core: WorkstationCore | Promise<WorkstationCore>,
  port: PortLike,
  options: { keyProtector?: RemoteKeyProtector } = {},
): ServedCore {
  const coreReady = Promise.resolve(core);
  let unsubscribe: (() => void) | null = null;
  let closing: Promise<void> | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  coreReady.then(
    (created) => {
      if (closing) return;
      unsubscribe = created.onEvent((event: RpcEventName, payload: unknown) => {
        const refused = post(port, { type: 'event', event, payload });
        if (refused) console.warn(`[core host] event ${event} not sent: ${refused.message}`);
      });
      post(port, { type: 'ready' });
    },
    (error: unknown) => console.error(`[core host] the workstation core could not start: ${errorMessage(error)}`),
  );

  function refuse(message: unknown, detail: string): void {
    const id = recoverId(message);
    if (id !== null && typeOf(message) === 'request') {
      post(port, { type: 'response', id, ok: false, error: { code: 'invalid_params', message: detail } });
    } else {
      post(port, { type: 'protocolError', error: { code: 'invalid_params', message: detail.slice(0, 2000) } });
    }
  }

  async function answer(id: number, method: string, params: unknown): Promise<void> {
    let outcome: RpcOutcome;
    try {
      outcome = await (await coreReady).invoke(method, params);
    } catch (error) {
      outcome = { ok: false, error: { code: 'internal', message: `The workstation core could not start: ${errorMessage(error)}` } };
    }
    const refused = post(
      port,
      outcome.ok ? { type: 'response', id, ok: true, result: outcome.result } : { type: 'response', id, ok: false, error: outcome.error },
    );
    if (refused) {
      post(port, { type: 'response', id, ok: false, error: { code: 'internal', message: `The answer to ${method} could not be sent: ${refused.message}` } });
    }
  }

  /** Closes the core once, however many times it is asked (a `close` message, the port closing). */
  function close(): Promise<void> {
    closing ??= (async () => {
      unsubscribe?.();
      try {
        await (await coreReady).close();
      } catch (error) {
        console.error(`[core host] closing the core failed: ${errorMessage(error)}`);
      }
      options.keyProtector?.failAll('the core is closed');
      resolveClosed();
    })();
    return closing;
  }

  port.on('message', (raw: unknown) => {
    const message = unwrapPortMessage(raw);
    const type = typeOf(message);
    if (type === 'request') {
      const parsed = rpcRequestEnvelopeSchema.safeParse(message);
      if (!parsed.success) return refuse(message, `Bad request envelope: ${describeIssues(parsed.error.issues)}`);
      if (closing) {
        post(port, { type: 'response', id: parsed.data.id, ok: false, error: { code: 'core_unavailable', message: 'The workstation core is closing' } });
        return;
      }
      void answer(parsed.data.id, parsed.data.method, parsed.data.params);
    } else if (type === 'keyResult') {
      const parsed = keyResultSchema.safeParse(message);
      if (!parsed.success) return refuse(message, `Bad key result: ${describeIssues(parsed.error.issues)}`);
      options.keyProtector?.receive(parsed.data);
    } else if (type === 'close') {
      const parsed = closeRequestSchema.safeParse(message);
      if (!parsed.success) return refuse(message, `Bad close message: ${describeIssues(parsed.error.issues)}`);
      // Main closes its end on `closed`, which is when the host process ends (coreHost.ts).
      void close().then(() => post(port, { type: 'closed' }));
    } else {
      refuse(message, `Unknown message: type must be one of ${CORE_PORT_INBOUND_TYPES.join(', ')}, got ${describeValue(type)}`);
    }
  });
  // Main went away without asking (it crashed, or closed its end): still close the cache cleanly.
  onPortClose(port, () => {
    options.keyProtector?.failAll('the port closed');
    void close();
  });
  port.start?.();
  return { closed };
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'no type';
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : typeof value;
}

/** What the core process needs to create its core; passed as command-line arguments. */
export interface CoreHostSettings {
  dataDir: string;
  serverUrl: string;
  /** The main process's key protector's `description` (it says what guards the key in messages). */
  keyProtectorDescription: string;
}

/**
 * `--data-dir <path> --server <url> [--key-protector <description>]`. Lenient: positionals
 * (the script path) and switches the runtime adds are ignored, because where Electron puts
 * a utility process's arguments in `process.argv` is its business.
 */
export function readCoreHostArgs(argv: string[]): CoreHostSettings {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, server: { type: 'string' }, 'key-protector': { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const text = (value: string | boolean | undefined): string | null => (typeof value === 'string' && value !== '' ? value : null);
  const dataDir = text(values['data-dir']);
  const serverUrl = text(values.server);
  if (!dataDir || !serverUrl) throw new Error('The core host needs --data-dir <path> and --server <url>');
  return { dataDir, serverUrl, keyProtectorDescription: text(values['key-protector']) ?? 'the main process' };
}

export function coreHostArgs(settings: CoreHostSettings): string[] {
  return ['--data-dir', settings.dataDir, '--server', settings.serverUrl, '--key-protector', settings.keyProtectorDescription];
}

// ---------------------------------------------------------------------------------------
// Main process side

function keyError(request: KeyRequest, error: unknown): KeyResult {
  const code = request.op === 'seal' ? 'seal_failed' : request.op === 'unseal' ? 'unseal_failed' : 'unavailable';
  return { type: 'keyResult', id: request.id, ok: false, error: { code, message: errorMessage(error).slice(0, 2000) } };
}

async function runKeyRequest(keyProtector: KeyProtector, request: KeyRequest): Promise<KeyResult> {
  try {
    if (request.op === 'seal') {
      return { type: 'keyResult', id: request.id, ok: true, value: await keyProtector.seal(Buffer.from(request.keyBase64, 'base64')) };
    }
    if (request.op === 'unseal') {
      return { type: 'keyResult', id: request.id, ok: true, value: (await keyProtector.unseal(request.sealed)).toString('base64') };
    }
    keyProtector.forget();
    return { type: 'keyResult', id: request.id, ok: true, value: '' };
  } catch (error) {
    return keyError(request, error);
  }
}

/**
 * The core behind `port` as the main process uses it: `invoke` posts a request envelope and
 * resolves with its response (never rejects), `onEvent` gets the forwarded events, and the
 * core process's key requests are answered with `keyProtector`. `close` asks the core process
 * to close its core and resolves when it says `closed` (or when `disconnect` is called).
 */
export function connectCoreOverPort(port: PortLike, options: { keyProtector: KeyProtector; log?: (line: string) => void }): PortCore {
  const log = options.log ?? ((line: string) => console.warn(line));
  let nextId = 1;
  let gone: string | null = null;
  const waiting = new Map<number, { method: string; resolve: (outcome: RpcOutcome) => void }>();
  const listeners = new Set<CoreEventListener>();
  let closeWaiter: (() => void) | null = null;
  let closing: Promise<void> | null = null;
  let readyState: { resolve: () => void; reject: (error: Error) => void } | null = null;
  const ready = new Promise<void>((resolve, reject) => (readyState = { resolve, reject }));
  // A caller that never awaits `ready` must not see an unhandled rejection when the process dies first.
  ready.catch(() => {});

  function unavailable(method: string, reason: string): RpcOutcome {
    return { ok: false, error: { code: 'core_unavailable', message: `The workstation core process stopped (${reason}) before it answered ${method}` } };
  }

  port.on('message', (raw: unknown) => {
    const message = unwrapPortMessage(raw);
    const parsed = corePortOutboundSchema.safeParse(message);
    if (!parsed.success) {
      log(`[core port] ignored a message from the core process that is not one we know: ${describeIssues(parsed.error.issues).slice(0, 300)}`);
      return;
    }
    const envelope = parsed.data;
    switch (envelope.type) {
      case 'response': {
        const call = waiting.get(envelope.id);
        if (!call) return;
        waiting.delete(envelope.id);
        if (envelope.ok) call.resolve({ ok: true, result: envelope.result });
        else call.resolve({ ok: false, error: envelope.error ?? { code: 'internal', message: `${call.method} failed without saying why` } });
        return;
      }
      case 'event':
        for (const listener of [...listeners]) listener(envelope.event, envelope.payload as RpcEvents[typeof envelope.event]);
        return;
      case 'keyRequest': {
        const request = keyRequestSchema.parse(envelope);
        void runKeyRequest(options.keyProtector, request).then((result) => {
          if (!gone) post(port, result);
        });
        return;
      }
      case 'ready':
        readyState?.resolve();
        return;
      case 'closed':
        closeWaiter?.();
        return;
      case 'protocolError':
        log(`[core port] the core process could not read a message: ${envelope.error.message}`);
        return;
    }
  });
  port.start?.();

  return {
    ready,
    invoke(method, params) {
      const name = typeof method === 'string' ? method.slice(0, 64) : String(method);
      if (gone) return Promise.resolve(unavailable(name, gone));
      if (closing) return Promise.resolve({ ok: false, error: { code: 'core_unavailable', message: 'The workstation core is closing' } });
      const id = nextId++;
      return new Promise<RpcOutcome>((resolve) => {
        waiting.set(id, { method: name, resolve });
        const refused = post(port, { type: 'request', id, method: name, params });
        if (refused) {
          waiting.delete(id);
          // Params that cannot be cloned never left this process: the caller's mistake, said like the core would.
          resolve({ ok: false, error: { code: 'invalid_params', message: `params could not be sent: ${refused.message}` } satisfies RpcErrorShape });
        }
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (gone) return resolve();
        closeWaiter = resolve;
        post(port, { type: 'close' });
      });
      return closing;
    },
    disconnect(reason) {
      if (gone) return;
      gone = reason;
      readyState?.reject(new Error(`The workstation core process stopped (${reason}) before it was ready`));
      for (const [id, call] of waiting) {
        waiting.delete(id);
        call.resolve(unavailable(call.method, reason));
      }
      closeWaiter?.();
    },
  };
}

// ---------------------------------------------------------------------------------------
// child_process adapters (the tests; any Node host without Electron)

/** The parent's end of a child forked with an IPC channel (`serialization: 'advanced'` keeps Buffers and Dates as a MessagePort would). */
export function childProcessPort(child: ChildProcess): PortLike {
  return {
    postMessage(message) {
      if (!child.connected) throw new Error('the core process is not connected');
      // Delivery failures show up as the child's exit; the callback keeps them from being thrown as 'error'.
      child.send(message as object, (error) => {
        if (error) console.warn(`[core port] message not delivered: ${error.message}`);
      });
    },
    on(event: 'message' | 'close', listener: (message?: unknown) => void) {
      if (event === 'message') child.on('message', (message) => listener(message));
      else child.on('disconnect', () => listener());
      return undefined;
    },
    close() {
      if (child.connected) child.disconnect();
    },
  };
}

/** The child's end of the same channel (`process.send`); throws when this process has none. */
export function parentProcessPort(): PortLike {
  const send = process.send?.bind(process);
  if (!send) throw new Error('This process was not started with an IPC channel (child_process.fork)');
  return {
    postMessage(message) {
      if (!process.connected) throw new Error('the main process is not connected');
      send(message, undefined, undefined, (error: Error | null) => {
        if (error) console.warn(`[core host] message not delivered: ${error.message}`);
      });
    },
    on(event: 'message' | 'close', listener: (message?: unknown) => void) {
      if (event === 'message') process.on('message', (message) => listener(message));
      else process.on('disconnect', () => listener());
      return undefined;
    },
    close() {
      if (process.connected) process.disconnect();
    },
  };
}
