/**
 * The renderer's one way out: the `WorkstationApi` from shared/rpc.ts. In Electron the
 * preload provides it as `window.workstation`; in browser mode it is carried over the
 * browser host's WebSocket with the envelopes declared in shared/rpc.ts.
 */
import {
  BROWSER_LAUNCH_KEY_PARAM,
  BROWSER_RPC_PATH,
  BROWSER_SEAT_PARAM,
  BROWSER_SEATS_FULL_CLOSE_CODE,
  browserSeatEnvelopeSchema,
  seatIdSchema,
  RPC_ERROR_CODES,
  rpcHostEnvelopeSchema,
  type ConnectionState,
  type RpcErrorShape,
  type RpcEventName,
  type RpcEvents,
  type RpcMethod,
  type RpcParams,
  type RpcResults,
  type WorkstationApi,
} from '../../shared/rpc.js';
import { ticketRefusalSchema, type TicketRefusal } from '../../shared/ticketRules.js';
import { offlineFileSchema, type OfflineFile } from '../../shared/attachments.js';
import { ticketDepartureSchema, type TicketDeparture } from '../../shared/ticketDeparture.js';
import { serverTimeOf } from './serverClock.js';

/** How long a call made while the host link is down waits for it to come back. */
const RECONNECT_WAIT_MS = 10_000;
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000];

/** The error every failed call rejects with, whichever transport carried it. */
export class RpcError extends Error implements RpcErrorShape {
  readonly code: RpcErrorShape['code'];
  readonly refusal?: TicketRefusal;
  readonly retryAfterMs?: number;
  readonly offlineFile?: OfflineFile;
  readonly departure?: TicketDeparture;
  constructor(shape: RpcErrorShape) {
    super(shape.message);
    this.name = 'RpcError';
    this.code = shape.code;
    if (shape.refusal) this.refusal = shape.refusal;
    if (shape.retryAfterMs !== undefined) this.retryAfterMs = shape.retryAfterMs;
    if (shape.offlineFile) this.offlineFile = shape.offlineFile;
    if (shape.departure) this.departure = shape.departure;
  }
}

export function toRpcErrorShape(error: unknown): RpcErrorShape {
  if (typeof error === 'object' && error !== null) {
    const { code, message, refusal, retryAfterMs, offlineFile, departure } = error as {
      code?: unknown;
      message?: unknown;
      refusal?: unknown;
      retryAfterMs?: unknown;
      offlineFile?: unknown;
      departure?: unknown;
    };
    if (typeof code === 'string' && (RPC_ERROR_CODES as readonly string[]).includes(code)) {
      // The refusal came through the preload or the host envelope; read it again rather than trust its shape.
      const facts = ticketRefusalSchema.safeParse(refusal);
      const notKept = offlineFileSchema.safeParse(offlineFile);
      const went = ticketDepartureSchema.safeParse(departure);
      return {
        code: code as RpcErrorShape['code'],
        message: typeof message === 'string' ? message : '',
        ...(facts.success ? { refusal: facts.data } : {}),
        ...(typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? { retryAfterMs } : {}),
        ...(notKept.success ? { offlineFile: notKept.data } : {}),
        ...(went.success ? { departure: went.data } : {}),
      };
    }
    // Electron's ipcRenderer.invoke rewrites rejections to "Error invoking remote method '…': <message>".
    if (typeof message === 'string') return { code: 'internal', message };
  }
  return { code: 'internal', message: String(error) };
}

/** Where this tab keeps the launch key, so a reload still holds it (per tab and per origin, never sent anywhere). */
const LAUNCH_KEY_STORAGE_KEY = 'omnidesk.launchKey';
const LAUNCH_KEY_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

/** The launch key in a launch link's fragment (`#k=…`), or null. */
export function launchKeyInFragment(hash: string): string | null {
  const key = new URLSearchParams(hash.replace(/^#/, '')).get(BROWSER_LAUNCH_KEY_PARAM);
  return key !== null && LAUNCH_KEY_PATTERN.test(key) ? key : null;
}

/**
 * The browser host's per-launch key: from the launch link's fragment when this page was
 * opened from it (kept for this tab and taken out of the address bar, where a screen
 * share would show it), else the one this tab kept; null when the tab never had one.
 */
export function takeLaunchKey(): string | null {
  const fromLink = launchKeyInFragment(location.hash);
  if (fromLink) {
    try {
      sessionStorage.setItem(LAUNCH_KEY_STORAGE_KEY, fromLink);
    } catch {
      // Without storage the key lives for this page only; a reload needs the link again.
    }
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    return fromLink;
  }
  try {
    return sessionStorage.getItem(LAUNCH_KEY_STORAGE_KEY);
  } catch {
    return null;
  }
}

/**
 * Where this browser profile keeps its seat (docs/technical/hosts.md, "Seats"): localStorage,
 * so every tab of the profile sits in the same seat (as the windows of one desktop app would)
 * and a restart of the workstation on the same address finds it again.
 */
const SEAT_STORAGE_KEY = 'omnidesk.seat';

/** The seat this profile holds, or null. */
export function storedSeat(): string | null {
  try {
    const seat = localStorage.getItem(SEAT_STORAGE_KEY);
    return seatIdSchema.safeParse(seat).success ? seat : null;
  } catch {
    return null;
  }
}

/** Keeps the seat the host placed this page in. */
export function keepSeat(seatId: string): void {
  try {
    localStorage.setItem(SEAT_STORAGE_KEY, seatId);
  } catch {
    // Without storage the next connection is placed again: in the seat of this session only while no page has it open.
  }
}

/** The browser host's RPC endpoint for this page, presenting `launchKey` (and this profile's seat, if any) in the handshake. */
export function browserRpcUrl(launchKey: string, seatId: string | null = null): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const seat = seatId === null ? '' : `&${BROWSER_SEAT_PARAM}=${encodeURIComponent(seatId)}`;
  return `${scheme}://${location.host}${BROWSER_RPC_PATH}?${BROWSER_LAUNCH_KEY_PARAM}=${encodeURIComponent(launchKey)}${seat}`;
}

/** Answers every call with `forbidden`: the page has no launch key, so it may not reach the core. */
export function lockedWorkstationApi(): WorkstationApi {
  return {
    invoke() {
      return Promise.reject(new RpcError({ code: 'forbidden', message: 'This page has no launch key: open the link printed when the workstation started.' }));
    },
    on() {
      return () => {};
    },
  };
}

interface PendingCall {
  resolve: (result: unknown) => void;
  reject: (error: RpcError) => void;
}

type AnyListener = (payload: never) => void;

export interface WebSocketApiOptions {
  /**
   * Called once when the host refuses the page and reconnecting stops: 'key' when it answers
   * HTTP but refuses the socket (the workstation restarted with a new launch key), 'seats_full'
   * when it closes the socket because every seat is in use.
   */
  onRefused?: (reason: 'key' | 'seats_full') => void;
  /** Told the seat the host placed this page in (browser mode's seats). */
  onSeat?: (seatId: string) => void;
}

/**
 * A WebSocket `WorkstationApi` that reconnects when the host restarts. Calls in flight when
 * the socket closes are rejected (the host may or may not have run them; a retry by the
 * agent carries the same action id, so the core does it once). After a reconnect the
 * renderer is told to reload everything, since the host may have changed while the link was down.
 */
export function createWebSocketApi(url: string | (() => string), options: WebSocketApiOptions = {}): WorkstationApi {
  // Read at every connect: the seat in the URL may have changed since the last one.
  const urlNow = typeof url === 'string' ? () => url : url;
  const pending = new Map<number, PendingCall>();
  const listeners = new Map<RpcEventName, Set<AnyListener>>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let attempts = 0;
  let everOpened = false;
  let lastConnection: ConnectionState | null = null;
  let openWaiters: Array<() => void> = [];
  let refused = false;

  function emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void {
    if (event === 'connection') lastConnection = payload as ConnectionState;
    for (const listener of listeners.get(event) ?? []) {
      try {
        (listener as (p: RpcEvents[E]) => void)(payload);
      } catch (error) {
        console.error(`listener for "${event}" failed`, error);
      }
    }
  }

  /**
   * A socket that closed without opening: either the host is down, or it is up and refused
   * the handshake. A browser does not show the page the refusal's status, so ask the host
   * for its front page: an answer means the refusal was ours (the launch key).
   */
  async function hostAnswersHttp(): Promise<boolean> {
    try {
      const httpUrl = urlNow()
        .replace(/^ws/, 'http')
        .replace(/\/rpc(\?.*)?$/, '/');
      const response = await fetch(httpUrl, { method: 'HEAD', cache: 'no-store' });
      return response.ok;
    } catch {
      return false;
    }
  }

  function scheduleReconnect(): void {
    const delay = RECONNECT_DELAYS_MS[Math.min(attempts, RECONNECT_DELAYS_MS.length - 1)]!;
    attempts += 1;
    setTimeout(connect, delay);
  }

  function connect(): void {
    const ws = new WebSocket(urlNow());
    let opened = false;
    socket = ws;
    ws.addEventListener('open', () => {
      opened = true;
      attempts = 0;
      const reconnected = everOpened;
      everOpened = true;
      const waiters = openWaiters;
      openWaiters = [];
      for (const wake of waiters) wake();
      if (reconnected) void resyncAfterReconnect();
    });
    ws.addEventListener('message', (event) => handleMessage(event.data));
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return;
      socket = null;
      const seatsFull = event.code === BROWSER_SEATS_FULL_CLOSE_CODE;
      const lost = new RpcError({
        code: 'server_unreachable',
        message: 'The connection to the workstation service closed before it answered.',
      });
      for (const call of pending.values()) call.reject(lost);
      pending.clear();
      if (everOpened && lastConnection && lastConnection.status !== 'offline' && lastConnection.status !== 'signed_out') {
        emit('connection', { ...lastConnection, status: 'offline', since: serverTimeOf(lastConnection.serverClockOffsetMs, Date.now()), progress: null });
      }
      if (seatsFull) {
        refuse('seats_full');
        return;
      }
      if (opened) {
        scheduleReconnect();
        return;
      }
      void hostAnswersHttp().then((answers) => {
        if (!answers) {
          scheduleReconnect();
          return;
        }
        refuse('key');
      });
    });
  }

  function refuse(reason: 'key' | 'seats_full'): void {
    refused = true;
    const waiters = openWaiters;
    openWaiters = [];
    for (const wake of waiters) wake();
    options.onRefused?.(reason);
  }

  async function resyncAfterReconnect(): Promise<void> {
    try {
      const session = await invoke('session.get', {});
      emit('connection', session.user ? session.connection : { ...session.connection, status: 'signed_out' });
    } catch {
      // The next reconnect tries again.
    }
    emit('changed', { ticketIds: [] });
  }

  function handleMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      console.error('workstation host sent a message that is not JSON');
      return;
    }
    const seat = browserSeatEnvelopeSchema.safeParse(message);
    if (seat.success) {
      options.onSeat?.(seat.data.seatId);
      return;
    }
    const parsed = rpcHostEnvelopeSchema.safeParse(message);
    if (!parsed.success) {
      console.error('workstation host sent a message that is not an RPC envelope', parsed.error.issues[0]);
      // An answer this page cannot read (e.g. a core newer than the page) still ends its call: a call never settled leaves the UI waiting for ever.
      const id = (message as { type?: unknown; id?: unknown } | null)?.type === 'response' ? (message as { id?: unknown }).id : undefined;
      const call = typeof id === 'number' ? pending.get(id) : undefined;
      if (call) {
        pending.delete(id as number);
        call.reject(new RpcError({ code: 'internal', message: 'The workstation service sent an answer this window cannot read; reload the window.' }));
      }
      return;
    }
    const envelope = parsed.data;
    if (envelope.type === 'response') {
      const call = pending.get(envelope.id);
      if (!call) return;
      pending.delete(envelope.id);
      if (envelope.ok) call.resolve(envelope.result);
      else call.reject(new RpcError(envelope.error ?? { code: 'internal', message: 'The workstation service failed without saying why.' }));
    } else {
      emit(envelope.event, envelope.payload as RpcEvents[typeof envelope.event]);
    }
  }

  function waitForOpen(): Promise<void> {
    if (socket?.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        openWaiters = openWaiters.filter((w) => w !== wake);
        reject(new RpcError({ code: 'server_unreachable', message: 'The workstation service is not reachable.' }));
      }, RECONNECT_WAIT_MS);
      openWaiters.push(wake);
    });
  }

  async function invoke<M extends RpcMethod>(method: M, params: RpcParams<M>): Promise<RpcResults[M]> {
    if (refused) throw new RpcError({ code: 'forbidden', message: 'The workstation did not accept this page’s launch key.' });
    await waitForOpen();
    if (refused) throw new RpcError({ code: 'forbidden', message: 'The workstation did not accept this page’s launch key.' });
    const ws = socket;
    if (!ws) throw new RpcError({ code: 'server_unreachable', message: 'The workstation service is not reachable.' });
    const id = nextId++;
    return new Promise<RpcResults[M]>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      ws.send(JSON.stringify({ type: 'request', id, method, params }));
    });
  }

  function on<E extends RpcEventName>(event: E, listener: (payload: RpcEvents[E]) => void): () => void {
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      listeners.get(event)?.delete(listener);
    };
  }

  connect();
  return { invoke, on };
}
