/**
 * The sync client: one socket.io connection per signed-in session. On every connect it
 * catches up (bootstrap when the cache is empty or the server said must-refetch, then pull
 * until `more` is false), then applies live batches whose `after` matches the last applied
 * seq (anything else triggers a pull), and pushes the outbox in order, one push at a time.
 * Every server message is parsed with zod before it touches the cache.
 * See docs/technical/sync-protocol.md.
 */
import { io, type Socket } from 'socket.io-client';
import type { User } from '../../../shared/domain.js';
import { isConnectionLimitRefusal, SIGN_IN_DEADLINE, TOKEN_FAILURE_LIMIT, USER_CONNECTION_LIMIT, type ConnectionProblem } from '../../../shared/connection.js';
import type { ConnectionStatus, CustomerMessageArrival } from '../../../shared/rpc.js';
import {
  MAX_PUSH_BATCH,
  pushBatchLength,
  OUTDATED_CLIENT_SOCKET_ERROR,
  UNAUTHORIZED_SOCKET_ERROR,
  liveChangesEnvelopeSchema,
  readChanges,
  sessionEndedSchema,
  workstationHandshakeAuth,
  type ClientToServerEvents,
  type SessionEnded,
  type ServerToClientEvents,
  type UnreadableChange,
} from '../../../shared/sync.js';
import type { TicketRefusal } from '../../../shared/ticketRules.js';
import type { Cache, OutboxEntry } from '../cache/cache.js';
import { ProtocolFailure, parseBootstrapAck, parsePullAck, parsePushAck } from './ackSchemas.js';
import { reconnectDelay, type ReconnectCause, type ScheduledReconnect } from './reconnectSchedule.js';

/** Tickets per bootstrap page; each page is stored in one transaction. */
export const BOOTSTRAP_PAGE_SIZE = 1000;
export const PUSH_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
export const RECONNECT_DELAY_MS = 1_000;
export const RECONNECT_DELAY_MAX_MS = 30_000;
export const RECONNECT_JITTER = 0.5;

/** The parts of the connection state the sync client decides. */
export interface SyncStatusPatch {
  status?: ConnectionStatus;
  progress?: { done: number; total: number } | null;
  /** A code and facts, worded by the renderer in the agent's language. */
  lastError?: ConnectionProblem | null;
}

/** What the sync client needs from the core around it. */
export interface SyncClientOptions {
  serverUrl: string;
  token: string;
  clientId: string;
  user: User;
  cache: Cache;
  now: () => number;
  /** Reconnect backoff: first delay and cap (ms); defaults 1 s and 30 s (a server that does not answer: 5 s at most, reconnectSchedule.ts). */
  reconnectDelayMs?: number;
  reconnectDelayMaxMs?: number;
  reconnectUnreachableMaxMs?: number;
  /** Each reconnect the client schedules, with its cause and delay (tests, logs). */
  onReconnectScheduled?(retry: ScheduledReconnect): void;
  onStatus(patch: SyncStatusPatch): void;
  /** Tickets changed in the cache; an empty list means "reload everything". */
  onChanged(ticketIds: string[]): void;
  /** Customer messages new to this cache on tickets the user holds (after each stored batch). */
  onCustomerMessages?(messages: CustomerMessageArrival[]): void;
  /** A refused local change, or changes from the server that could not be read, were listed as needing attention. */
  onAttention(item: { ticketId: string | null; reason: string; refusal: TicketRefusal | null }): void;
  /**
   * The server refused the token, or ended the session (`session:ended`): it is over.
   * 'revoked' only when the server said so; a refused handshake or request reads as 'expired'.
   */
  onUnauthorized(reason: SessionEnded['reason']): void;
  /** The outbox shrank or grew. */
  onPendingChanged(): void;
  /** A reading of the server's clock: asked at local `sentAt`, answered `serverTime`, heard at local `receivedAt` (serverClock.ts). */
  onServerTime?(sentAt: number, serverTime: number, receivedAt: number): void;
}

/** A running sync client. */
export interface SyncClient {
  /** Pushes the outbox now if the connection is live (called after each local write). */
  kick(): void;
  /**
   * Stops waiting out the reconnect (or catch-up) backoff and tries now, from the first
   * delay again: the agent asked, the window got focus back or the network returned.
   * False when there is nothing to retry (live, stopped, or refused as outdated: only an update helps).
   */
  retryNow(): boolean;
  /** Disconnects for good; the cache is not touched afterwards. */
  stop(): void;
  /** The session's one socket, shared with the routing requests and pushes (main/core/routing). */
  readonly socket: WorkstationSocket;
}

/** The typed socket.io client socket of one session. */
export type WorkstationSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The sign-in's error message (an RpcError with code 'server_unreachable'); the header gets the code and the address instead. */
export function cannotReachMessage(serverUrl: string): string {
  return `Cannot reach the server at ${serverUrl}`;
}

export function startSyncClient(options: SyncClientOptions): SyncClient {
  const { cache, user } = options;
  const delayMin = options.reconnectDelayMs ?? RECONNECT_DELAY_MS;
  const delayMax = options.reconnectDelayMaxMs ?? RECONNECT_DELAY_MAX_MS;
  const socket: WorkstationSocket = io(options.serverUrl, {
    auth: workstationHandshakeAuth(options.token, options.clientId),
    autoConnect: false,
    forceNew: true,
    transports: ['websocket'],
    // Reconnection is ours (scheduleReconnect): socket.io's manager has one backoff for every
    // failure, and its jitter is applied before the cap, so at the cap half the clients wait
    // exactly the cap, in step. A server that is merely down must be retried far more often
    // than one that refuses us (reconnectSchedule.ts).
    reconnection: false,
    timeout: 10_000,
  });

  /** Bumped on every connect and disconnect; work started under an older epoch stops. */
  let epoch = 0;
  let live = false;
  let stopped = false;
  let pushing = false;
  let pushRequested = false;
  let retryAttempt = 0;
  /** Socket failures since the last connect: the reconnect schedule's position. */
  let reconnectAttempt = 0;
  let reconnectTimer: NodeJS.Timeout | null = null;
  /** The server refused this core's protocol version: no more attempts until an update replaces this code. */
  let outdated = false;
  let queue: Promise<void> = Promise.resolve();
  const timers = new Set<NodeJS.Timeout>();
  /** A failed catch-up waiting out its backoff; `retryNow` runs it at once. */
  let catchUpRetry: { timer: NodeJS.Timeout; run: () => void } | null = null;

  function later(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) run();
    }, ms);
    timers.add(timer);
    return timer;
  }

  function current(taskEpoch: number): boolean {
    return !stopped && taskEpoch === epoch;
  }

  /** Runs sync work one task at a time, in arrival order, so live batches never overtake a pull. */
  function enqueue(task: (taskEpoch: number) => Promise<void>): void {
    const taskEpoch = epoch;
    queue = queue.then(() => (current(taskEpoch) ? task(taskEpoch) : undefined)).catch((error: unknown) => onSyncFailure(error, taskEpoch));
  }

  /** The server ends a session whose token expired mid-connection by answering `unauthorized`. */
  function endsSession(error: unknown): boolean {
    if (!(error instanceof ProtocolFailure) || error.code !== 'unauthorized') return false;
    options.onUnauthorized('expired');
    return true;
  }

  function onSyncFailure(error: unknown, taskEpoch: number): void {
    if (!current(taskEpoch) || endsSession(error)) return;
    live = false;
    const reason = error instanceof Error ? error.message : String(error);
    options.onStatus({ status: 'syncing', lastError: { code: 'sync_failed', detail: reason }, progress: null });
    // Back off like the socket's own reconnection, so a server in trouble is not hammered.
    const delay = Math.min(delayMax, delayMin * 2 ** retryAttempt) * (1 - RECONNECT_JITTER + 2 * RECONNECT_JITTER * Math.random());
    retryAttempt += 1;
    const run = () => {
      catchUpRetry = null;
      if (current(taskEpoch) && socket.connected) enqueue(catchUp);
    };
    catchUpRetry = { timer: later(delay, run), run };
  }

  async function request<E extends 'sync:pull' | 'sync:bootstrap'>(event: E, payload: Parameters<ClientToServerEvents[E]>[0]): Promise<unknown> {
    // The typed emitWithAck cannot pick an overload through a generic event name; the answer is parsed by the caller anyway.
    const emitter = socket.timeout(REQUEST_TIMEOUT_MS) as unknown as { emitWithAck(event: string, payload: unknown): Promise<unknown> };
    return emitter.emitWithAck(event, payload);
  }

  async function bootstrap(taskEpoch: number): Promise<boolean> {
    const state = cache.reader.syncState();
    if (state.bootstrapSeq === null) cache.writer.beginBootstrap();
    const after = state.bootstrapSeq === null ? null : state.bootstrapAfter;
    let done = 0;
    options.onStatus({ status: 'syncing', progress: { done: 0, total: 0 } });
    const requestPage = (from: string | null) => {
      const answer = request('sync:bootstrap', { after: from, limit: BOOTSTRAP_PAGE_SIZE });
      // Awaited below unless the bootstrap stops first; then its failure is nobody's concern.
      answer.catch(() => undefined);
      return answer;
    };
    let nextAnswer = requestPage(after);
    for (;;) {
      const raw = await nextAnswer;
      if (!current(taskEpoch)) return false;
      const page = parseBootstrapAck(raw, options.now());
      // The server builds the next page while this one is stored: the two sides overlap.
      if (page.next !== null) nextAnswer = requestPage(page.next);
      const touched = cache.writer.applyBootstrapPage(page, user, page.unreadable);
      reportUnreadable(page.unreadable);
      reportCustomerArrivals();
      done += page.bundles.length;
      options.onStatus({ progress: { done, total: Math.max(page.total, done) } });
      options.onChanged(touched);
      if (page.next === null) return true;
    }
  }

  /** Pulls until the server says there is no more. Returns false when aborted or when a refetch is needed. */
  async function pullUntilCurrent(taskEpoch: number): Promise<'current' | 'refetch' | 'aborted'> {
    for (;;) {
      const since = cache.reader.syncState().lastSeq;
      const sentAt = options.now();
      const raw = await request('sync:pull', { since });
      const receivedAt = options.now();
      if (!current(taskEpoch)) return 'aborted';
      const result = parsePullAck(raw, receivedAt);
      // Every connect pulls at least once: the clock's offset is measured again each time.
      if (result.serverTime !== undefined) options.onServerTime?.(sentAt, result.serverTime, receivedAt);
      if (result.mustRefetch) {
        // The outbox stays: pending local work survives the re-bootstrap and is rebased onto it.
        cache.writer.requireRefetch();
        return 'refetch';
      }
      const touched = cache.writer.applyChanges(result.changes, result.upTo, user, result.unreadable);
      reportUnreadable(result.unreadable);
      reportCustomerArrivals();
      if (touched.length > 0) options.onChanged(touched);
      if (!result.more) return 'current';
    }
  }

  async function catchUp(taskEpoch: number): Promise<void> {
    live = false;
    options.onStatus({ status: 'syncing' });
    for (;;) {
      if (!cache.reader.syncState().bootstrapped) {
        if (!(await bootstrap(taskEpoch))) return;
        options.onChanged([]);
      }
      const outcome = await pullUntilCurrent(taskEpoch);
      if (outcome === 'aborted') return;
      if (outcome === 'current') break;
    }
    // Queued tickets fetched for the queue view got no changes while away: drop them (unless taken).
    const dropped = cache.writer.dropFetched(user);
    if (dropped.length > 0) options.onChanged(dropped);
    live = true;
    retryAttempt = 0;
    options.onStatus({ status: 'online', progress: null, lastError: null });
    kick();
  }

  async function applyLive(raw: unknown, taskEpoch: number): Promise<void> {
    if (!live) return; // a catch-up is (re)starting and will cover this batch
    const parsed = liveChangesEnvelopeSchema.safeParse(raw);
    if (!parsed.success) {
      // Unreadable batch: do not guess, ask for the range again.
      const outcome = await pullUntilCurrent(taskEpoch);
      if (outcome === 'refetch') await catchUp(taskEpoch);
      return;
    }
    const batch = parsed.data;
    const lastSeq = cache.reader.syncState().lastSeq;
    if (batch.upTo <= lastSeq) return; // already covered by a pull
    if (batch.after !== lastSeq) {
      const outcome = await pullUntilCurrent(taskEpoch);
      if (outcome === 'refetch') await catchUp(taskEpoch);
      return;
    }
    const { changes, unreadable } = readChanges(batch.changes, options.now());
    const touched = cache.writer.applyChanges(changes, batch.upTo, user, unreadable);
    reportUnreadable(unreadable);
    reportCustomerArrivals();
    if (touched.length > 0) options.onChanged(touched);
  }

  function reportCustomerArrivals(): void {
    const arrivals = cache.writer.takeCustomerArrivals();
    if (arrivals.length > 0) options.onCustomerMessages?.(arrivals);
  }

  /** Changes that could not be read were skipped and listed; the agent hears of them, sync goes on. */
  function reportUnreadable(unreadable: readonly UnreadableChange[]): void {
    for (const item of unreadable) {
      options.onAttention({
        ticketId: item.ticketId,
        reason: `A change from the server could not be read (seq ${item.seq === null ? '?' : String(item.seq)}): ${item.issue}`,
        refusal: null,
      });
    }
  }

  async function pushOutbox(): Promise<void> {
    const pushEpoch = epoch;
    while (live && current(pushEpoch)) {
      let read: OutboxEntry[];
      try {
        read = cache.reader.outbox(MAX_PUSH_BATCH);
      } catch {
        // A row this version cannot read would fail every push from here on: it is taken out and listed, the rest goes.
        const dropped = cache.writer.dropUnreadableOutbox(user, options.now());
        options.onPendingChanged();
        if (dropped.ticketIds.length > 0) options.onChanged(dropped.ticketIds);
        for (const item of dropped.attention) options.onAttention(item);
        if (dropped.attention.length === 0) throw new Error('The outbox could not be read');
        continue;
      }
      const batch = sendableBatch(read);
      if (batch.length === 0) return;
      const sentAt = options.now();
      // Typed `any` by socket.io's timeout overloads; parsePushAck checks it.
      const raw: unknown = await socket.timeout(PUSH_TIMEOUT_MS).emitWithAck('sync:push', { mutations: batch.map((entry) => entry.mutation) });
      const receivedAt = options.now();
      // An ack that arrived is valid even if the socket dropped since; only a closed cache stops us.
      if (stopped) return;
      const { results, serverTime } = parsePushAck(raw);
      if (serverTime !== undefined) options.onServerTime?.(sentAt, serverTime, receivedAt);
      const outcome = cache.writer.applyPushResults(results, user, options.now());
      options.onPendingChanged();
      if (outcome.ticketIds.length > 0) options.onChanged(outcome.ticketIds);
      for (const item of outcome.attention) options.onAttention(item);
      if (results.length === 0) return; // the server acknowledged nothing: do not spin
    }
  }

  /**
   * The outbox rows to push now: as many as fit in one frame (MAX_PUSH_FRAME_BYTES), and up to (not including) a ticket creation whose new customer an
   * earlier creation in this batch makes too — a second ticket made offline for the same new
   * customer. It goes after the first one's ack has made it name the server's customer
   * (cache.ts renameCreated); sent together, the server would create the customer twice.
   */
  function sendableBatch(read: OutboxEntry[]): OutboxEntry[] {
    // No larger than the server reads from a workstation (MAX_PUSH_FRAME_BYTES): the rest goes in the next push.
    const entries = read.slice(0, pushBatchLength(read.map((entry) => entry.mutation)));
    const madeCustomers = new Set<string>();
    for (const [index, { mutation }] of entries.entries()) {
      if (mutation.kind !== 'createTicket' || mutation.customer.kind !== 'new') continue;
      if (madeCustomers.has(mutation.customer.customerId)) return entries.slice(0, index);
      madeCustomers.add(mutation.customer.customerId);
    }
    return entries;
  }

  function kick(): void {
    if (stopped || !live) return;
    if (pushing) {
      pushRequested = true;
      return;
    }
    pushing = true;
    pushRequested = false;
    const pushEpoch = epoch;
    pushOutbox()
      .catch((error: unknown) => {
        // Timeout or disconnect: the rows stay in the outbox and go again (the server dedupes).
        if (!current(pushEpoch) || endsSession(error)) return;
        const reason = error instanceof Error ? error.message : String(error);
        options.onStatus({ lastError: { code: 'send_failed', detail: reason } });
        later(5_000, kick);
      })
      .finally(() => {
        pushing = false;
        if (pushRequested) kick();
      });
  }

  /** Tries the socket again after the delay the cause calls for; one attempt waits at a time. */
  function scheduleReconnect(cause: ReconnectCause): void {
    if (stopped || outdated || reconnectTimer !== null) return;
    const delayMs = reconnectDelay(cause, reconnectAttempt, { firstMs: delayMin, maxMs: delayMax, unreachableMaxMs: options.reconnectUnreachableMaxMs });
    options.onReconnectScheduled?.({ cause, attempt: reconnectAttempt, delayMs });
    reconnectAttempt += 1;
    reconnectTimer = later(delayMs, () => {
      reconnectTimer = null;
      socket.connect();
    });
  }

  function cancelReconnect(): void {
    if (reconnectTimer === null) return;
    clearTimeout(reconnectTimer);
    timers.delete(reconnectTimer);
    reconnectTimer = null;
  }

  socket.on('connect', () => {
    epoch += 1;
    reconnectAttempt = 0;
    cancelReconnect();
    live = false;
    enqueue(catchUp);
  });

  socket.on('disconnect', (reason) => {
    epoch += 1;
    live = false;
    if (stopped) return;
    options.onStatus({ status: 'offline', progress: null });
    // Our own disconnect (retryNow) connects again itself. Anything else: the server went away
    // (or, 'io server disconnect', dropped us: the token may be revoked, so try and find out).
    if (reason !== 'io client disconnect') scheduleReconnect('unreachable');
  });

  socket.on('connect_error', (error) => {
    if (stopped) return;
    if (error.message === UNAUTHORIZED_SOCKET_ERROR) {
      options.onUnauthorized('expired');
      return;
    }
    if (error.message === OUTDATED_CLIENT_SOCKET_ERROR) {
      // Asking again gets the same answer until this code is updated: no retries, the
      // session, cache and outbox stay, and the agent is told to install the update.
      outdated = true;
      options.onStatus({ status: 'offline', progress: null, lastError: { code: 'client_outdated' } });
      return;
    }
    const { problem, cause } = classifyConnectError(error);
    options.onStatus({ status: 'offline', progress: null, lastError: problem });
    scheduleReconnect(cause);
  });

  /** What the agent is told about a failed connect, and how soon it is tried again. */
  function classifyConnectError(error: Error): { problem: ConnectionProblem; cause: ReconnectCause } {
    const serverUrl = options.serverUrl;
    // The server is there and took too long to sign this session in (a loaded node, server/connectionLimits.ts):
    // the agent is told that, not "cannot reach", and it is not hammered.
    if (error.message === SIGN_IN_DEADLINE) return { problem: { code: 'sign_in_too_slow', serverUrl }, cause: 'refused' };
    // This user holds as many connections on the node as it allows: one closing frees a slot, so
    // tried again at the refusal's slow pace, never in a loop.
    if (error.message === USER_CONNECTION_LIMIT) return { problem: { code: 'too_many_sessions', serverUrl }, cause: 'refused' };
    // This network spent its budget of wrong tokens (someone else's, most likely): the token was
    // not even looked up, so this is no sign-out; backed off like the per-address connection cap.
    if (error.message === TOKEN_FAILURE_LIMIT) return { problem: { code: 'too_many_connections', serverUrl }, cause: 'busy' };
    // HTTP 429 before the handshake: the server is there but turning this network away for now.
    if (isConnectionLimitRefusal(error)) return { problem: { code: 'too_many_connections', serverUrl }, cause: 'busy' };
    // Another error from the server's handshake (its middleware answered, the socket is
    // destroyed): it is there but refuses; only a transport error means nothing answered.
    return { problem: { code: 'server_unreachable', serverUrl }, cause: socket.active ? 'unreachable' : 'refused' };
  }

  socket.on('sync:changes', (batch) => enqueue((taskEpoch) => applyLive(batch, taskEpoch)));

  // Sent just before the server disconnects a session whose token expired or was revoked:
  // sign out now rather than reconnect to be refused. Anything unreadable still ends it.
  socket.on('session:ended', (raw) => {
    if (stopped) return;
    const parsed = sessionEndedSchema.safeParse(raw);
    options.onUnauthorized(parsed.success ? parsed.data.reason : 'expired');
  });

  options.onStatus({ status: 'connecting', progress: null });
  socket.connect();

  function retryNow(): boolean {
    if (stopped || outdated) return false;
    if (socket.connected) {
      if (!catchUpRetry) return false;
      const { timer, run } = catchUpRetry;
      clearTimeout(timer);
      timers.delete(timer);
      retryAttempt = 0;
      run();
      return true;
    }
    // Do not wait out the scheduled attempt: close and open again, which tries at once and
    // starts the schedule over if that fails too.
    cancelReconnect();
    reconnectAttempt = 0;
    socket.disconnect();
    socket.connect();
    return true;
  }

  return {
    kick,
    retryNow,
    socket,
    stop() {
      if (stopped) return;
      stopped = true;
      live = false;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}
