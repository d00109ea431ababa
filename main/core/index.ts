/**
 * The workstation core: session, per-user cache, outbox and sync client behind the one
 * `invoke(method, params)` entry point of shared/rpc.ts. Plain Node (never Electron), so
 * the Electron main process and the browser host run the same core. See docs/technical/core.md.
 */
import { randomInt } from 'node:crypto';
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { searchIndexPercent, type ConnectionProblem } from '../../shared/connection.js';
import type { User } from '../../shared/domain.js';
import { piiViewOf } from '../../shared/masking.js';
import { orgSettingsSchema } from '../../shared/timeZone.js';
import { MAX_BULK_REASSIGN } from '../../shared/routing.js';
import {
  ATTENTION_PAGE_SIZE,
  attentionPreviewOf,
  isRpcMethod,
  rpcParamSchemas,
  type AttentionItem,
  type CacheReset,
  type ConnectionState,
  type Draft,
  type RpcEventName,
  type RpcEvents,
  type RpcMethod,
  type RpcResults,
  type SessionState,
} from '../../shared/rpc.js';
import type { Mutation } from '../../shared/sync.js';
import type { CoreEventListener, RpcOutcome, WorkstationCore, WorkstationCoreOptions } from './api.js';
import { isPlaintextDatabase, isWrongKeyError, openCache, type Cache, type InboxViewer, type RecordOutcome } from './cache/cache.js';
import { keyFileProtector, newCacheKey, unwrapKeyWithPassword, wrapKeyWithPassword } from './cacheKeys.js';
import { createChangeNotifier } from './changeNotifier.js';
import { createWalCheckpointer } from './walCheckpointer.js';
import { RpcError, describeIssues, refusalError } from './errors.js';
import { loginToServer, logoutFromServer } from './login.js';
import { PRIVATE_FILE_MODE } from './privateFiles.js';
import {
  dropOfflineVerifier,
  findCacheKey,
  findOfflineVerifier,
  loadSettings,
  orgTimeZoneOf,
  putCacheKey,
  readSettings,
  putOfflineVerifier,
  saveSettings,
  verifierKey,
  type StoredSession,
} from './settings.js';
import { RECONNECT_DELAY_MAX_MS, RECONNECT_DELAY_MS, startSyncClient, type SyncClient, type SyncStatusPatch } from './sync/syncClient.js';
import { CLOCK_REPORT_STEP_MS, createServerClock, type ServerClock } from './sync/serverClock.js';
import { reconnectDelay, type ReconnectCause } from './sync/reconnectSchedule.js';
import { createCustomerHandlers } from './customers/customerHandlers.js';
import { createPiiHandlers } from './pii/piiHandlers.js';
import { createAdminHandlers } from './admin/adminHandlers.js';
import { createReportHandlers } from './reports/reportHandlers.js';
import { startChatSession, type ChatSession } from './chat/chatSession.js';
import { startCollisionSession, type CollisionSession } from './collision/collisionSession.js';
import { createRoutingHandlers } from './routing/routingHandlers.js';
import { startRoutingSession, type RoutingSession } from './routing/routingSession.js';
import { startQueueSession, type QueueSession } from './queue/queueSession.js';
import { startBoardSession, type BoardSession } from './board/boardSession.js';
import { cachedScripts, startScriptSession, type ScriptSession } from './scripts/scriptSession.js';
import { startKnowledgeSession, type KnowledgeSession } from './knowledge/knowledgeSession.js';
import { noAlarms, startAlarmSession, type AlarmSession } from './alarms/alarmSession.js';
import { startCallSession, type CallSession } from './cti/callSession.js';
import { uuidv7 } from './uuidv7.js';
import { startAttachmentKeeper, type AttachmentKeeper } from './attachments/attachmentKeeper.js';
import { startSearchWalk, type SearchWalk } from './cache/searchWalk.js';
import { OFFLINE_ATTACHMENT_BUDGET_BYTES } from '../../shared/attachments.js';
import { isProvisionalCustomerId, provisionalIdsOf, type CreateTicketMutation } from '../../shared/manualTicket.js';
import { checkPasswordVerifier, makePasswordVerifier } from './verifier.js';

export type { CoreEventListener, KeyProtector, RpcOutcome, WorkstationCore, WorkstationCoreOptions } from './api.js';
export { keyFileProtector } from './cacheKeys.js';

export const WRONG_CREDENTIALS_MESSAGE = 'Wrong username or password';

/** Where a user's cache lives inside the data folder. */
export function userCacheFile(dataDir: string, userId: string): string {
  return path.join(dataDir, 'users', `${userId}.sqlite`);
}

/**
 * The key of a user's cache from their password and the wrapped key in workstation.json;
 * null when the password does not open it. For tools and tests that read a cache directly.
 */
export async function unlockCacheKey(dataDir: string, userId: string, password: string): Promise<Buffer | null> {
  const settings = readSettings(dataDir);
  const entry = settings ? findCacheKey(settings, userId) : null;
  return entry?.byPassword ? unwrapKeyWithPassword(entry.byPassword, password, userId) : null;
}

function hasDatabase(file: string): boolean {
  return existsSync(file) && statSync(file).size > 0;
}

/** An offline sign-in waiting for the server: the password lives in memory only, to get a token later. */
interface OfflineLogin {
  username: string;
  password: string;
  attempt: number;
  timer: NodeJS.Timeout | null;
  /** A sign-in request is on its way; a "retry now" then has nothing to add. */
  inFlight: boolean;
}

interface ActiveSession {
  stored: StoredSession;
  cache: Cache;
  /** The key the cache is encrypted with (memory only). */
  key: Buffer;
  sync: SyncClient | null;
  /** The server's clock as last measured (sync/serverClock.ts, kept in the cache): what this session's writes are dated with. */
  clock: ServerClock;
  /** Set while the session was opened from the local verifier and has no token yet. */
  offline: OfflineLogin | null;
}

/** An open cache and the key it opened with. */
interface OpenedCache {
  cache: Cache;
  key: Buffer;
}

/** What a sign-in or a resume brings to open a user's cache. */
interface UnlockRequest {
  /** The password typed at sign-in; null when a stored session resumes. */
  password: string | null;
  /** The key of this user's session that is being replaced, if it is open. */
  heldKey: Buffer | null;
  /** The session will be stored, so its key is sealed by the host for the next restart. */
  storeSession: boolean;
  /** When nothing opens the cache, set it aside and start afresh (online sign-in only: a fresh cache needs the server). */
  mayReset: boolean;
}

type RpcHandlers = {
  [M in RpcMethod]: (params: z.output<(typeof rpcParamSchemas)[M]>) => Promise<RpcResults[M]> | RpcResults[M];
};

/** Problems are objects now (code + facts): equal by content, so a reconnect attempt failing the same way again is no new event. */
function sameProblem(a: ConnectionProblem | null, b: ConnectionProblem | null): boolean {
  return a === b || (a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b));
}

/** The search walk's progress as the header shows it: a chunk that does not move the percentage is not news. */
function searchPercent(connection: ConnectionState): number | null {
  return connection.searchIndex === null ? null : searchIndexPercent(connection.searchIndex);
}

/** The screens count time on the offset they were last told: one that moved less than a second since is no news. */
function sameClock(a: number | null, b: number | null): boolean {
  return a === null || b === null ? a === b : Math.abs(a - b) < CLOCK_REPORT_STEP_MS;
}

function sameConnection(a: ConnectionState, b: ConnectionState): boolean {
  return (
    a.status === b.status &&
    a.pendingCount === b.pendingCount &&
    sameProblem(a.lastError, b.lastError) &&
    a.attentionCount === b.attentionCount &&
    a.offlineSession === b.offlineSession &&
    a.sessionEnded === b.sessionEnded &&
    a.progress?.done === b.progress?.done &&
    a.progress?.total === b.progress?.total &&
    searchPercent(a) === searchPercent(b) &&
    sameClock(a.serverClockOffsetMs, b.serverClockOffsetMs)
  );
}

/** Whether a retried reply names the same files (by upload id), in the same order, as the earlier call did. */
function sameFiles(earlier: ReadonlyArray<{ id: string }>, retried: ReadonlyArray<{ id: string }>): boolean {
  return earlier.length === retried.length && earlier.every((file, i) => file.id === retried[i]!.id);
}

function describeMethod(method: unknown): string {
  return typeof method === 'string' ? `"${method.slice(0, 64)}"` : `of type ${typeof method}`;
}

export async function createWorkstationCore(options: WorkstationCoreOptions): Promise<WorkstationCore> {
  const now = options.now ?? Date.now;
  const serverUrl = options.serverUrl.replace(/\/+$/, '');
  const { dataDir } = options;
  const keyProtector = options.keyProtector ?? keyFileProtector(dataDir);
  const settings = loadSettings(dataDir, options.clientId);
  const listeners = new Set<CoreEventListener>();
  let active: ActiveSession | null = null;
  /**
   * The server's clock as last known here: the active session's, else the last one's. The
   * offset is this machine's clock against the server's, whoever signed in, so it outlives a
   * sign-out (the revocations queued then are judged by it) and starts the next user's session
   * when their cache kept none.
   */
  let lastClock: ServerClock | null = null;
  /** The routing half of the active session; null while it has no socket (signed out, or signed in offline). */
  let routing: RoutingSession | null = null;
  /** The queue view's half of the active session (summary, listing, fetch); null while it has no socket. */
  let queue: QueueSession | null = null;
  /** The leads' channel board as last pushed; null while the session has no socket. */
  let board: BoardSession | null = null;
  /** Keeps the cached scripts libraries fresh and writes them; null without a socket (the cache still serves the picker). */
  let scripts: ScriptSession | null = null;
  /** Keeps the cached knowledge base fresh and carries suggestions and writes; null without a socket (the cache still serves search). */
  let knowledge: KnowledgeSession | null = null;
  /** Alarms this user may see (shared/alarms.ts); null while the session has no socket. */
  let alarms: AlarmSession | null = null;
  /** Phone calls popped on this agent's screen; null without a socket. */
  let calls: CallSession | null = null;
  /** The web chat signals (typing, read marks) of the active session; null while it has no socket. */
  let chat: ChatSession | null = null;
  let collision: CollisionSession | null = null;
  /** Keeps the bytes of the held tickets' attachments in the cache; null without a token (signed in offline, or signed out). */
  let attachmentKeeper: AttachmentKeeper | null = null;
  let searchWalk: SearchWalk | null = null;
  const attachmentBudgetBytes = Math.max(0, Math.floor(options.attachmentBudgetBytes ?? OFFLINE_ATTACHMENT_BUDGET_BYTES));
  let closed = false;
  /**
   * The cache key of a user the server refused the password of (they signed in offline with
   * their old one): kept in memory only, so their next online sign-in, with the new password,
   * rewraps it instead of setting their cache aside.
   */
  let keyAwaitingNewPassword: { userId: string; key: Buffer } | null = null;
  /** Set when the last sign-in had to set an unreadable cache aside; shown until the next sign-in or sign-out. */
  let cacheReset: CacheReset | null = null;
  let sessionLock: Promise<unknown> = Promise.resolve();
  const reconnectDelayMs = options.reconnectDelayMs ?? RECONNECT_DELAY_MS;
  const reconnectDelayMaxMs = options.reconnectDelayMaxMs ?? RECONNECT_DELAY_MAX_MS;
  let connection: ConnectionState = {
    status: 'signed_out',
    since: now(),
    pendingCount: 0,
    progress: null,
    lastError: null,
    attentionCount: 0,
    offlineSession: false,
    sessionEnded: null,
    searchIndex: null,
    serverClockOffsetMs: null,
  };
  /** The revocations being sent (flushLogouts); close() waits for it. */
  let flushing: Promise<void> | null = null;

  function emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void {
    for (const listener of listeners) {
      try {
        listener(event, payload);
      } catch {
        // One broken listener must not stop the others or the core.
      }
    }
  }

  const checkpointer = createWalCheckpointer(() => active?.cache ?? null);
  const changeNotifier = createChangeNotifier((ticketIds) => emit('changed', { ticketIds }));
  // Every write to the cache announces its tickets here: the WAL is looked at after each.
  const notifier: typeof changeNotifier = {
    ...changeNotifier,
    add(ticketIds) {
      changeNotifier.add(ticketIds);
      checkpointer.afterWrite();
    },
  };

  function updateConnection(patch: SyncStatusPatch & Partial<Pick<ConnectionState, 'sessionEnded' | 'searchIndex'>>): void {
    const next: ConnectionState = {
      ...connection,
      ...patch,
      pendingCount: active ? active.cache.reader.outboxCount() : 0,
      attentionCount: active ? active.cache.reader.attentionCount() : 0,
      offlineSession: active?.offline != null,
      serverClockOffsetMs: lastClock?.offsetMs() ?? null,
    };
    // In server time, as the screens show every time ("offline since 10:42" on the server's clock).
    if (next.status !== connection.status) next.since = serverNow();
    if (sameConnection(next, connection)) return;
    connection = next;
    emit('connection', { ...connection });
  }

  function sessionState(): SessionState {
    return { user: active?.stored.user ?? null, serverUrl, connection: { ...connection }, cacheReset, timeZone: orgTimeZoneOf(settings, serverUrl) };
  }

  /** Whose inbox it is; the escalation requests waiting for a lead are the alarms last heard (the escalated filter). */
  function inboxViewer(user: User): InboxViewer {
    const escalationRequests = (alarms?.current().alarms ?? [])
      .filter((alarm) => alarm.kind === 'escalation_request' && alarm.decision === null && alarm.ticketId !== null)
      .map((alarm) => alarm.ticketId!);
    // SLA deadlines are the server's times: judged against the server's clock as this workstation knows it.
    return { userId: user.id, heldOnly: user.role === 'agent', now: serverNow(), escalationRequests };
  }

  /**
   * Server time as this workstation knows it: what every write is dated with (its own clock
   * plus the offset sync measured, from the cache after a restart offline), so a clock behind
   * or ahead of the server's does not reorder a ticket's timeline. Without a session, the last
   * session's offset (see lastClock); the local clock before any is known.
   */
  function serverNow(): number {
    return lastClock ? lastClock.now() : now();
  }

  function requireSession(): ActiveSession & { user: User } {
    if (!active) throw new RpcError('not_signed_in', 'Sign in first.');
    return { ...active, user: active.stored.user };
  }

  /** The alarm session of the signed-in user, or `offline` while it has no socket. */
  function onlineAlarms(): AlarmSession {
    requireSession();
    if (!alarms) throw new RpcError('offline', 'This needs a connection to the server; the workstation is offline.');
    return alarms;
  }

  /** The knowledge session of the signed-in user, or `offline` while it has no socket (search and reading still work from the cache). */
  function onlineKnowledge(): KnowledgeSession {
    requireSession();
    if (!knowledge) throw new RpcError('offline', 'This needs a connection to the server; the workstation is offline.');
    return knowledge;
  }

  /** Serialises sign-in and sign-out so two of them never interleave. */
  function withSessionLock<T>(run: () => Promise<T>): Promise<T> {
    const result = sessionLock.then(run);
    sessionLock = result.catch(() => undefined);
    return result;
  }

  function openSession(stored: StoredSession, opened: OpenedCache, offline: OfflineLogin | null): ActiveSession {
    // What is cached must be what this user may see: masked for an agent (a lead who became one re-fetches).
    opened.cache.writer.adoptPiiView(piiViewOf(stored.user.role));
    // Bookkeeping that would otherwise only grow (dismissed refusals, old renames): once per sign-in is often enough.
    opened.cache.writer.pruneBookkeeping(now());
    const { cache } = opened;
    const clock = createServerClock(now, cache.reader.serverClockOffset() ?? lastClock?.offsetMs() ?? null, (offsetMs) => {
      if (active === session && !closed) cache.writer.setServerClockOffset(offsetMs);
    });
    const session: ActiveSession = { stored, cache, key: opened.key, sync: null, clock, offline };
    active = session;
    lastClock = clock;
    return session;
  }

  /** K sealed by the host, or null when the host cannot open what it sealed (another machine, a reset keychain). */
  async function unsealQuietly(sealed: string | null): Promise<Buffer | null> {
    if (!sealed) return null;
    try {
      return await keyProtector.unseal(sealed);
    } catch {
      return null;
    }
  }

  /**
   * Opens a user's encrypted cache with the first key that fits: from the password, one held
   * in memory, or the one the host sealed. A missing cache is made, and one written before
   * encryption is encrypted, with the key found or a new one. The key entry is saved BEFORE
   * a file is encrypted with it, so no crash can leave a cache nobody can open.
   */
  async function openUserCache(user: User, how: UnlockRequest): Promise<OpenedCache & { reset: CacheReset | null }> {
    const file = userCacheFile(dataDir, user.id);
    const entry = findCacheKey(settings, user.id);
    const fromPassword = how.password !== null && entry?.byPassword ? await unwrapKeyWithPassword(entry.byPassword, how.password, user.id) : null;
    const held = keyAwaitingNewPassword?.userId === user.id ? keyAwaitingNewPassword.key : null;
    // In order of preference; the keychain is asked only when nothing before it fits.
    const sources = [() => fromPassword, () => how.heldKey, () => held, () => unsealQuietly(entry?.byDevice ?? null)];
    let opened: OpenedCache | null = null;
    let reset: CacheReset | null = null;
    let firstKnown: Buffer | null = null;
    // A cache written before encryption opens with any key (it gets encrypted with it): that happens below, once the key is saved.
    const encrypted = hasDatabase(file) && !isPlaintextDatabase(file);
    for (const source of sources) {
      const key = await source();
      if (!key) continue;
      if (!encrypted) {
        firstKnown = key;
        break;
      }
      try {
        opened = { cache: openCache(file, key), key };
        break;
      } catch (error) {
        if (!isWrongKeyError(error)) throw error;
      }
    }
    if (encrypted && !opened) {
      if (!how.mayReset) {
        throw new RpcError(
          'internal',
          how.password === null
            ? 'this workstation cannot unlock it by itself; sign in with your password'
            : 'The local cache cannot be opened with this password; sign in again while the server is reachable.',
        );
      }
      reset = setCacheAside(file, user.id);
    }
    const key = opened?.key ?? firstKnown ?? newCacheKey();
    try {
      const byPassword =
        how.password === null
          ? (entry?.byPassword ?? null)
          : fromPassword?.equals(key)
            ? entry!.byPassword
            : await wrapKeyWithPassword(key, how.password, user.id);
      let byDevice: string | null = null;
      if (how.storeSession || byPassword === null) {
        try {
          byDevice = await keyProtector.seal(key);
        } catch (error) {
          // Without the password's copy the sealed key is the only one: never encrypt without it.
          if (byPassword === null) throw error;
        }
      }
      putCacheKey(settings, { userId: user.id, byPassword, byDevice, pendingAtClose: reset ? 0 : (entry?.pendingAtClose ?? 0) });
      saveSettings(dataDir, settings);
    } catch (error) {
      opened?.cache.close();
      throw error;
    }
    if (held && keyAwaitingNewPassword?.key === held) keyAwaitingNewPassword = null;
    return { ...(opened ?? { cache: openCache(file, key), key }), reset };
  }

  /**
   * Nothing this workstation holds opens the cache (the password changed on the server while
   * no session was stored). It is moved aside, never deleted, with its password-wrapped key
   * beside it, and the sign-in bootstraps afresh; the unsent changes it held are counted.
   */
  function setCacheAside(file: string, userId: string): CacheReset {
    const entry = findCacheKey(settings, userId);
    const aside = `${file}.unreadable-${String(now())}`;
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      if (existsSync(`${file}${suffix}`)) renameSync(`${file}${suffix}`, `${aside}${suffix}`);
    }
    if (entry?.byPassword) writeFileSync(`${aside}.key.json`, `${JSON.stringify({ userId, byPassword: entry.byPassword })}\n`, { mode: PRIVATE_FILE_MODE });
    return { lostChanges: entry?.pendingAtClose ?? 0, at: now() };
  }

  /**
   * A session is no longer stored (sign-out, offline sign-in) or another user's replaced it:
   * the device-sealed keys of everyone else go, so after a sign-out only the password opens
   * a cache. (A key entry without a password copy keeps its seal until the user's next sign-in.)
   */
  function settleDeviceSeals(currentUserId: string | null): void {
    for (const entry of settings.cacheKeys) {
      if (entry.userId !== currentUserId && entry.byPassword !== null) entry.byDevice = null;
    }
    if (settings.cacheKeys.every((entry) => entry.byDevice === null)) keyProtector.forget();
  }

  function startSync(session: ActiveSession): void {
    const isCurrent = () => active === session && !closed;
    updateConnection({ status: 'connecting', progress: null, lastError: null, sessionEnded: null });
    session.sync = startSyncClient({
      serverUrl,
      token: session.stored.token,
      clientId: settings.clientId,
      user: session.stored.user,
      cache: session.cache,
      now,
      reconnectDelayMs,
      reconnectDelayMaxMs,
      reconnectUnreachableMaxMs: options.reconnectUnreachableMaxMs,
      onReconnectScheduled: options.onReconnectScheduled,
      onStatus: (patch) => {
        if (!isCurrent()) return;
        updateConnection(patch);
        // The server is reachable again: sign-outs it missed can reach it now.
        if (patch.status === 'online') void flushLogouts();
        // Synced: fetch the held tickets' attachments that are not kept yet.
        if (connection.status === 'online') attachmentKeeper?.kick();
        // A bootstrap that finished left the search indexes to build: after `online` (or offline), not in its way.
        if (connection.status === 'online' || connection.status === 'offline') searchWalk?.kick();
      },
      onChanged: (ticketIds) => {
        if (!isCurrent()) return;
        notifier.add(ticketIds);
        // A ticket taken, released or closed, a message with files: what is kept follows (online only it fetches).
        attachmentKeeper?.kick();
      },
      onCustomerMessages: (messages) => {
        if (isCurrent()) emit('customerMessages', { messages });
      },
      onAttention: (item) => {
        if (!isCurrent()) return;
        updateConnection({});
        emit('attention', item);
      },
      onPendingChanged: () => {
        if (isCurrent()) updateConnection({});
      },
      onUnauthorized: (reason) => {
        if (isCurrent()) signOut({ code: reason === 'revoked' ? 'session_revoked' : 'session_expired' }, reason);
      },
      onServerTime: (sentAt, serverTime, receivedAt) => {
        if (!isCurrent()) return;
        session.clock.sample(sentAt, serverTime, receivedAt);
        // The screens count down on this offset too (shared/rpc.ts, ConnectionState): told when it moved a second or more.
        if (!sameClock(session.clock.offsetMs(), connection.serverClockOffsetMs)) updateConnection({});
      },
    });
    searchWalk?.stop();
    searchWalk = startSearchWalk({
      cache: session.cache,
      onProgress: (progress) => {
        if (isCurrent()) updateConnection({ searchIndex: progress });
      },
    });
    // A walk a crash or a sign-out interrupted goes on, online or not.
    searchWalk.kick();
    attachmentKeeper?.stop();
    attachmentKeeper = startAttachmentKeeper({
      serverUrl,
      token: session.stored.token,
      cache: session.cache,
      userId: session.stored.user.id,
      budgetBytes: attachmentBudgetBytes,
      now,
      isOnline: () => isCurrent() && connection.status === 'online',
      onChanged: (ticketIds) => {
        if (isCurrent()) notifier.add(ticketIds);
      },
    });
    routing?.stop();
    routing = startRoutingSession({
      socket: session.sync.socket,
      cache: session.cache,
      user: session.stored.user,
      // An offer's deadline is the server's time.
      now: serverNow,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
      onChanged: (ticketIds) => {
        if (isCurrent()) notifier.add(ticketIds);
      },
    });
    queue?.stop();
    queue = startQueueSession({
      socket: session.sync.socket,
      cache: session.cache,
      user: session.stored.user,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
      onChanged: (ticketIds) => {
        if (isCurrent()) notifier.add(ticketIds);
      },
    });
    board?.stop();
    board = startBoardSession({
      socket: session.sync.socket,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
    });
    scripts?.stop();
    scripts = startScriptSession({
      socket: session.sync.socket,
      cache: session.cache,
      now,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
    });
    knowledge?.stop();
    knowledge = startKnowledgeSession({
      socket: session.sync.socket,
      cache: session.cache,
      now,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
    });
    // Users or policies changed (another admin, or this one on another window): an open Admin view loads them again.
    session.sync.socket.on('admin:changed', () => {
      if (isCurrent()) emit('adminChanged', {});
    });
    // The organisation's time zone, on connect and after an admin changed it: remembered per server for offline starts.
    session.sync.socket.on('org:settings', (pushed: unknown) => {
      const parsed = orgSettingsSchema.safeParse(pushed);
      if (!parsed.success || !isCurrent()) return;
      if (settings.orgTimeZones[serverUrl] === parsed.data.timeZone) return;
      settings.orgTimeZones = { ...settings.orgTimeZones, [serverUrl]: parsed.data.timeZone };
      saveSettings(dataDir, settings);
      emit('organisation', { timeZone: parsed.data.timeZone });
    });
    alarms?.stop();
    alarms = startAlarmSession({
      socket: session.sync.socket,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
    });
    calls?.stop();
    calls = startCallSession({
      socket: session.sync.socket,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
    });
    chat?.stop();
    chat = startChatSession({
      socket: session.sync.socket,
      now,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
    });
    collision?.stop();
    collision = startCollisionSession({
      socket: session.sync.socket,
      emit: (event, payload) => {
        if (isCurrent()) emit(event, payload);
      },
    });
  }

  /** Seals the open cache's key for the stored session (the next restart resumes with it). */
  async function sealForStoredSession(userId: string, key: Buffer): Promise<void> {
    let sealed: string | null = null;
    try {
      sealed = await keyProtector.seal(key);
    } catch {
      // No keychain: the session is still stored, and a restart asks for the password.
    }
    const entry = findCacheKey(settings, userId);
    if (entry) entry.byDevice = sealed;
  }

  /** How soon an offline session's failed sign-in is tried again: by what the failure says of the server. */
  function retryPaceOf(error: unknown): [ReconnectCause, number] {
    if (!(error instanceof RpcError)) return ['refused', 0];
    if (error.code === 'server_unreachable' || error.code === 'server_not_answering') return ['unreachable', 0];
    if (error.code === 'rate_limited') return ['busy', error.details.retryAfterMs ?? 0];
    return ['refused', 0];
  }

  /**
   * The socket's reconnect schedule (sync/reconnectSchedule.ts), so agents coming back together do
   * not stampede: a server that did not answer is asked again within 5 s, one that refused
   * (429: at least its Retry-After) at the refusal's pace.
   */
  function scheduleOnlineLogin(session: ActiveSession, cause: ReconnectCause = 'unreachable', retryAfterMs = 0): void {
    const offline = session.offline;
    if (!offline || closed || active !== session) return;
    const delay = Math.max(
      retryAfterMs,
      reconnectDelay(cause, offline.attempt, {
        firstMs: reconnectDelayMs,
        maxMs: reconnectDelayMaxMs,
        unreachableMaxMs: options.reconnectUnreachableMaxMs,
      }),
    );
    options.onReconnectScheduled?.({ cause, attempt: offline.attempt, delayMs: delay });
    offline.attempt += 1;
    offline.timer = setTimeout(() => {
      offline.timer = null;
      void tryOnlineLogin(session, offline);
    }, delay);
  }

  /** An offline session asks the server for a token; once it has one, it syncs like any other. */
  async function tryOnlineLogin(session: ActiveSession, offline: OfflineLogin): Promise<void> {
    const stillWaiting = () => active === session && session.offline === offline && !closed;
    if (!stillWaiting()) return;
    offline.inFlight = true;
    try {
      const login = await loginToServer(serverUrl, { username: offline.username, password: offline.password, clientId: settings.clientId }).finally(() => {
        offline.inFlight = false;
      });
      const verifier = await makePasswordVerifier(offline.password);
      if (!stillWaiting()) return;
      if (login.user.id !== session.stored.user.id) {
        // The server now maps this username to someone else: never mix two users' caches.
        queueLogout({ user: login.user, token: login.token, expiresAt: login.expiresAt, serverUrl });
        signOut({ code: 'account_changed' });
        void flushLogouts();
        return;
      }
      await sealForStoredSession(login.user.id, session.key);
      if (!stillWaiting()) return;
      const stored: StoredSession = { user: login.user, token: login.token, expiresAt: login.expiresAt, serverUrl };
      session.stored = stored;
      session.offline = null;
      // The role may have changed since the offline sign-in remembered it.
      if (session.cache.writer.adoptPiiView(piiViewOf(login.user.role))) notifier.add([]);
      settings.session = stored;
      putOfflineVerifier(settings, { serverUrl, username: verifierKey(offline.username), user: login.user, verifier });
      saveSettings(dataDir, settings);
      startSync(session);
    } catch (error) {
      if (!stillWaiting()) return;
      if (error instanceof RpcError && error.code === 'bad_credentials') {
        // The password changed (or the account went): the local verifier is stale too.
        dropOfflineVerifier(settings, serverUrl, offline.username);
        saveSettings(dataDir, settings);
        // Their cache (and the work they just did offline) opens with the old password only; keep the key for the new one.
        keyAwaitingNewPassword = { userId: session.stored.user.id, key: session.key };
        signOut({ code: 'password_refused' });
        return;
      }
      scheduleOnlineLogin(session, ...retryPaceOf(error));
    }
  }

  /** Signs in from the cache when the server cannot be reached; null when this user never signed in here online. */
  async function signInOffline(username: string, password: string): Promise<SessionState | null> {
    const entry = findOfflineVerifier(settings, serverUrl, username);
    if (!entry || !existsSync(userCacheFile(dataDir, entry.user.id))) return null;
    if (!(await checkPasswordVerifier(password, entry.verifier))) throw new RpcError('bad_credentials', WRONG_CREDENTIALS_MESSAGE);
    if (closed) throw new RpcError('internal', 'The workstation is shutting down.');
    const heldKey = active?.stored.user.id === entry.user.id ? active.key : null;
    deactivate();
    cacheReset = null;
    // No token yet: there is nothing a restart could resume, so no session is stored and no key is sealed.
    settings.session = null;
    const opened = await openUserCache(entry.user, { password, heldKey, storeSession: false, mayReset: false });
    settleDeviceSeals(null);
    saveSettings(dataDir, settings);
    const offline: OfflineLogin = { username, password, attempt: 0, timer: null, inFlight: false };
    const session = openSession({ user: entry.user, token: '', expiresAt: 0, serverUrl }, opened, offline);
    updateConnection({ status: 'offline', progress: null, lastError: { code: 'server_unreachable', serverUrl }, sessionEnded: null });
    scheduleOnlineLogin(session);
    return sessionState();
  }

  /** "Retry now" for a session signed in offline: ask the server for a token at once, with the backoff started over. */
  function retryOnlineLoginNow(session: ActiveSession, offline: OfflineLogin): boolean {
    if (offline.inFlight) return true;
    if (offline.timer) clearTimeout(offline.timer);
    offline.timer = null;
    offline.attempt = 0;
    void tryOnlineLogin(session, offline);
    return true;
  }

  function deactivate(): void {
    const session = active;
    if (!session) return;
    active = null;
    attachmentKeeper?.stop();
    attachmentKeeper = null;
    searchWalk?.stop();
    searchWalk = null;
    routing?.stop();
    routing = null;
    queue?.stop();
    queue = null;
    board?.stop();
    board = null;
    scripts?.stop();
    scripts = null;
    knowledge?.stop();
    knowledge = null;
    if (alarms) {
      alarms.stop();
      alarms = null;
      emit('alarms', noAlarms());
    }
    if (calls) {
      calls.stop();
      calls = null;
      emit('calls', { calls: [] });
    }
    chat?.stop();
    chat = null;
    collision?.stop();
    collision = null;
    if (session.offline?.timer) clearTimeout(session.offline.timer);
    session.offline = null;
    session.sync?.stop();
    notifier.dispose();
    checkpointer.stop();
    // What would be lost if this cache could never be opened again (see setCacheAside).
    const entry = findCacheKey(settings, session.stored.user.id);
    if (entry) {
      entry.pendingAtClose = session.cache.reader.outboxCount();
      saveSettings(dataDir, settings);
    }
    session.cache.close();
  }

  function signOut(lastError: ConnectionProblem | null, sessionEnded: ConnectionState['sessionEnded'] = null): SessionState {
    deactivate();
    cacheReset = null;
    settings.session = null;
    settleDeviceSeals(null);
    saveSettings(dataDir, settings);
    updateConnection({ status: 'signed_out', progress: null, lastError, sessionEnded });
    notifier.add([]);
    return sessionState();
  }

  /**
   * Remembers (in workstation.json) a token this workstation stops using, so the server
   * revokes it: at once when it answers, else on the next connect, sign-in or start.
   */
  function queueLogout(session: StoredSession): void {
    // A token's expiry is the server's time: on a clock ahead, the local one would skip a token the server still honours.
    if (session.token === '' || session.expiresAt <= serverNow()) return;
    settings.pendingLogouts = [
      ...settings.pendingLogouts.filter((entry) => entry.token !== session.token),
      { serverUrl: session.serverUrl, token: session.token, expiresAt: session.expiresAt },
    ];
    saveSettings(dataDir, settings);
  }

  /** Sends the queued revocations for this server, oldest first; each answered one (and every expired one) is forgotten. */
  async function sendPendingLogouts(): Promise<void> {
    const answered = new Set<string>();
    for (const entry of settings.pendingLogouts) {
      if (entry.serverUrl !== serverUrl || entry.expiresAt <= serverNow()) continue;
      // One unanswered request means the server is not reachable: the rest wait for the next chance.
      if ((await logoutFromServer(serverUrl, entry.token)) === 'retry') break;
      answered.add(entry.token);
    }
    const kept = settings.pendingLogouts.filter((entry) => !answered.has(entry.token) && entry.expiresAt > serverNow());
    if (kept.length !== settings.pendingLogouts.length) {
      settings.pendingLogouts = kept;
      saveSettings(dataDir, settings);
    }
  }

  /** One sending at a time; callers arriving meanwhile share it. Never rejects. */
  function flushLogouts(): Promise<void> {
    flushing ??= sendPendingLogouts()
      .catch(() => undefined)
      .finally(() => {
        flushing = null;
      });
    return flushing;
  }

  function afterLocalWrite(session: ActiveSession, ticketId: string): void {
    notifier.add([ticketId]);
    updateConnection({});
    session.sync?.kick();
  }

  function recordMutation(mutation: Mutation) {
    const session = requireSession();
    return recorded(session, session.cache.writer.recordMutation(mutation, session.user));
  }

  /** A local write's outcome: its refusal thrown, or its effect announced. */
  function recorded(session: ActiveSession, outcome: RecordOutcome) {
    if (!outcome.ok) throw refusalError(outcome.refusal);
    // The effect names the GD ticket when the call named a pending number it has since got.
    afterLocalWrite(session, outcome.effect.ticket.id);
    return outcome.effect;
  }

  function usedForAnotherTicket(actionId: string): RpcError {
    return new RpcError('invalid_params', `Action ${actionId} was already used on another ticket; make a new action id for a new action.`);
  }

  /**
   * A retry is the same send, files included: answering "sent" for other files than the ones
   * sent would tell the agent that files went which never did.
   */
  function usedWithOtherFiles(actionId: string): RpcError {
    return new RpcError('invalid_params', `Action ${actionId} was already used for a reply with other files; make a new action id for a new reply.`);
  }

  /**
   * An action id already used by an action of another kind (a note's id sent as a reply's, a
   * reply's as a note's or a new ticket's) names another action: refused at once, as the server
   * would (`mutation_id_reused`), instead of being queued and shown as done.
   */
  function usedForAnotherKind(ticketId: string, actionId: string): RpcError {
    return refusalError({ code: 'mutation_id_reused', ticketId, id: actionId });
  }

  /** A retried action the server already refused stays refused: the agent reads why in "needs attention". */
  function refuseRetryOfRefused(session: ActiveSession, actionId: string): void {
    const refusal = session.cache.reader.refusal(actionId);
    if (refusal) throw new RpcError('conflict', `The server already refused this: ${refusal.reason}`);
  }

  /**
   * What an earlier call with this action id made (the reply sent, or kept as a draft
   * offline), so a retry whose answer was lost returns it instead of sending it twice;
   * null when this action is new.
   */
  function earlierReply(session: ActiveSession, actionId: string, ticketId: string, files: ReadonlyArray<{ id: string }>): RpcResults['ticket.reply'] | null {
    const message = session.cache.reader.message(actionId);
    if (message) {
      if (message.ticketId !== ticketId) throw usedForAnotherTicket(actionId);
      if (!sameFiles(message.attachments, files)) throw usedWithOtherFiles(actionId);
      return { kind: 'sent', message };
    }
    const draft = session.cache.reader.draft(actionId);
    if (draft) {
      if (draft.ticketId !== ticketId) throw usedForAnotherTicket(actionId);
      // A draft never holds files (they are uploaded online only).
      if (files.length > 0) throw usedWithOtherFiles(actionId);
      return { kind: 'draft', draft };
    }
    if (session.cache.reader.note(actionId)) throw usedForAnotherKind(ticketId, actionId);
    refuseRetryOfRefused(session, actionId);
    return null;
  }

  function requireOnline(what: string): void {
    if (connection.status !== 'online') throw new RpcError('offline', `You are offline: ${what} once the connection is back.`);
  }

  const handlers: RpcHandlers = {
    ...createRoutingHandlers(() => {
      requireSession();
      return routing;
    }),
    'call.list': () => {
      requireSession();
      return { calls: calls?.calls() ?? [] };
    },
    'call.dismiss': ({ callId }) => {
      requireSession();
      return { dismissed: calls?.dismiss(callId) ?? false };
    },
    ...createCustomerHandlers({
      serverUrl,
      current: () => {
        const session = requireSession();
        return {
          cache: session.cache,
          socket: session.sync?.socket ?? null,
          token: session.offline ? '' : session.stored.token,
          online: connection.status === 'online',
          now,
          userId: session.stored.user.id,
          attachmentBudgetBytes,
          changed: (ticketIds) => notifier.add(ticketIds),
        };
      },
    }),
    ...createPiiHandlers({
      current: () => {
        const session = requireSession();
        return { socket: session.sync?.socket ?? null, online: connection.status === 'online' };
      },
    }),
    ...createAdminHandlers({
      current: () => {
        const session = requireSession();
        return { socket: session.sync?.socket ?? null, online: connection.status === 'online' };
      },
    }),
    ...createReportHandlers({
      serverUrl,
      current: () => {
        const session = requireSession();
        return { token: session.offline ? '' : session.stored.token, online: connection.status === 'online' };
      },
    }),
    'chat.typing': (params) => {
      requireSession();
      return chat?.setTyping(params) ?? { sent: false };
    },
    'ticket.presence': (params) => {
      requireSession();
      const sent = collision?.setPresence(params) ?? { sent: false };
      const roster = collision?.current() ?? null;
      return { ...sent, roster: roster && roster.ticketId === params.ticketId ? roster : null };
    },
    'chat.state': () => {
      requireSession();
      return chat?.state() ?? { typing: [], reads: [] };
    },
    'session.get': () => sessionState(),
    'session.signIn': (params) =>
      withSessionLock(async () => {
        let login: Awaited<ReturnType<typeof loginToServer>>;
        try {
          login = await loginToServer(serverUrl, { ...params, clientId: settings.clientId });
        } catch (error) {
          // Unreachable or silent, the agent can still work from the cache.
          if (error instanceof RpcError && (error.code === 'server_unreachable' || error.code === 'server_not_answering')) {
            const offline = await signInOffline(params.username, params.password);
            if (offline) {
              notifier.add([]);
              return offline;
            }
          }
          throw error;
        }
        const verifier = await makePasswordVerifier(params.password);
        if (closed) throw new RpcError('internal', 'The workstation is shutting down.');
        // Signing in over a session: its token is no longer used here, so the server may revoke it.
        if (active) queueLogout(active.stored);
        const heldKey = active?.stored.user.id === login.user.id ? active.key : null;
        deactivate();
        cacheReset = null;
        let opened: Awaited<ReturnType<typeof openUserCache>>;
        try {
          opened = await openUserCache(login.user, { password: params.password, heldKey, storeSession: true, mayReset: true });
        } catch (error) {
          signOut(null);
          throw error;
        }
        const stored: StoredSession = { user: login.user, token: login.token, expiresAt: login.expiresAt, serverUrl };
        settings.session = stored;
        putOfflineVerifier(settings, { serverUrl, username: verifierKey(params.username), user: login.user, verifier });
        settleDeviceSeals(login.user.id);
        saveSettings(dataDir, settings);
        cacheReset = opened.reset;
        startSync(openSession(stored, opened, null));
        notifier.add([]);
        // The server just answered: sign-outs it missed go now (short, bounded by LOGOUT_TIMEOUT_MS).
        await flushLogouts();
        return sessionState();
      }),
    'session.signOut': () =>
      withSessionLock(async () => {
        const ending = active?.stored ?? null;
        const reachable = connection.status !== 'offline';
        // Locally first: the socket is closed before the server ends it, and nothing waits on the network.
        const state = signOut(null);
        if (ending) queueLogout(ending);
        // Offline, the revocation waits in workstation.json for the next connect, sign-in or start.
        if (reachable) await flushLogouts();
        return state;
      }),
    'connection.retryNow': () => {
      const session = active;
      if (!session || closed) return { retrying: false };
      if (session.offline) return { retrying: retryOnlineLoginNow(session, session.offline) };
      return { retrying: session.sync?.retryNow() ?? false };
    },
    'inbox.list': (params) => {
      const session = requireSession();
      return session.cache.reader.inbox(params, inboxViewer(session.stored.user));
    },
    'inbox.window': (params) => {
      const session = requireSession();
      return session.cache.reader.inboxWindow(params, inboxViewer(session.stored.user));
    },
    'inbox.rows': (params) => {
      const session = requireSession();
      return session.cache.reader.inboxRows(params, inboxViewer(session.stored.user));
    },
    'inbox.counts': (params) => {
      const session = requireSession();
      return session.cache.reader.inboxCounts(params, inboxViewer(session.stored.user));
    },
    'inbox.ids': (params) => {
      const session = requireSession();
      return session.cache.reader.inboxIds(params, inboxViewer(session.stored.user), MAX_BULK_REASSIGN);
    },
    'ticket.markRead': ({ ticketId }) => {
      const session = requireSession();
      if (!session.cache.reader.ticket(ticketId)) throw new RpcError('not_found', `Ticket ${ticketId} was not found.`);
      const wasUnread = session.cache.writer.markRead(ticketId);
      if (wasUnread) notifier.add([ticketId]);
      return { wasUnread };
    },
    'queue.summary': () => {
      requireSession();
      return queue?.summary() ?? { at: null, entries: [] };
    },
    'board.get': () => {
      requireSession();
      return { board: board?.current() ?? null };
    },
    'scripts.list': () => cachedScripts(requireSession().cache),
    'scripts.save': (params) => {
      requireSession();
      if (!scripts) throw new RpcError('offline', 'You are offline: scripts can be saved once the connection is back.');
      return scripts.save(params);
    },
    'scripts.delete': (params) => {
      requireSession();
      if (!scripts) throw new RpcError('offline', 'You are offline: scripts can be deleted once the connection is back.');
      return scripts.remove(params);
    },
    'knowledge.search': ({ query, limit, includeDrafts }) => {
      const { cache } = requireSession();
      return {
        hits: cache.reader.searchKnowledge(query, { ...(limit !== undefined ? { limit } : {}), includeDrafts: includeDrafts ?? false }),
        fetchedAt: cache.reader.knowledgeFetchedAt(),
      };
    },
    'knowledge.get': ({ id }) => {
      const article = requireSession().cache.reader.knowledgeArticle(id);
      if (!article) throw new RpcError('not_found', `Article ${id} is not in the knowledge base.`);
      return { article };
    },
    'knowledge.list': () => requireSession().cache.reader.knowledgeArticles(),
    'knowledge.save': (params) => onlineKnowledge().save(params),
    'knowledge.suggest': (params) => onlineKnowledge().suggest(params),
    'knowledge.suggestions': () => onlineKnowledge().suggestions(),
    'knowledge.decide': (params) => onlineKnowledge().decide(params),
    'knowledge.history': (params) => onlineKnowledge().history(params),
    'alarms.list': () => {
      requireSession();
      return alarms?.current() ?? noAlarms();
    },
    'alarms.loadOlder': (params) => onlineAlarms().loadOlder(params),
    'alarms.ack': (params) => onlineAlarms().acknowledge(params),
    'alarms.decide': (params) => onlineAlarms().decide(params),
    'alarms.setThreshold': async (params) => ({ thresholds: await onlineAlarms().setThreshold(params) }),
    'ticket.escalate': (params) => {
      requireSession();
      // Offline: the request goes into the outbox and reaches the leads when the connection is back (null = queued).
      if (!alarms || connection.status !== 'online') {
        const at = serverNow();
        recordMutation({ mutationId: uuidv7(at), kind: 'requestEscalation', ticketId: params.ticketId, reason: params.reason.trim(), createdAt: at });
        return null;
      }
      return alarms.escalate(params);
    },
    'queue.list': (params) => {
      requireSession();
      if (!queue) throw new RpcError('offline', 'The queue needs a connection to the server; the workstation is offline.');
      return queue.list(params);
    },
    'ticket.fetch': ({ ticketId }) => {
      requireSession();
      if (!queue) throw new RpcError('offline', 'The queue needs a connection to the server; the workstation is offline.');
      return queue.fetch(ticketId);
    },
    'ticket.get': ({ ticketId }) => {
      const { reader } = requireSession().cache;
      const detail = reader.ticketDetail(ticketId);
      if (!detail) {
        const departure = reader.ticketDeparture(ticketId);
        throw new RpcError('not_found', `Ticket ${ticketId} was not found.`, departure ? { departure } : {});
      }
      return detail;
    },
    'ticket.reply': ({ ticketId, text, via, subject, actionId, attachments }) => {
      const session = requireSession();
      const at = serverNow();
      // One id per user action: the mutation's, the message's, or the offline draft's.
      const id = actionId ?? uuidv7(at);
      const files = attachments ?? [];
      const earlier = earlierReply(session, id, ticketId, files);
      if (earlier) return earlier;
      if (connection.status !== 'online' && files.length > 0) {
        // Files are uploaded online only (docs/technical/channels.md, Attachments); the renderer keeps the text.
        throw refusalError({ code: 'attachment_refused', ticketId, reason: 'attachment_offline', fileName: null, limit: null });
      }
      if (connection.status !== 'online') {
        // A customer reply never leaves without the agent seeing the ticket as it is once online.
        const draft: Draft = { id, ticketId, text, createdAt: at, ...(subject !== undefined ? { subject } : {}) };
        const saved = session.cache.writer.saveDraft(draft, session.user);
        if (!saved.ok) throw refusalError(saved.refusal);
        notifier.add([saved.draft.ticketId]);
        return { kind: 'draft', draft: saved.draft };
      }
      const effect = recordMutation({
        mutationId: id,
        kind: 'reply',
        ticketId,
        messageId: id,
        text,
        createdAt: at,
        ...(via ? { via } : {}),
        ...(subject !== undefined ? { subject } : {}),
        ...(files.length > 0 ? { attachments: files } : {}),
      });
      if (!effect.message) throw new RpcError('internal', 'The reply was not stored.');
      return { kind: 'sent', message: { ...effect.message, pending: true } };
    },
    'ticket.addNote': ({ ticketId, text, actionId }) => {
      const session = requireSession();
      const at = serverNow();
      const id = actionId ?? uuidv7(at);
      const mutation: Mutation = { mutationId: id, kind: 'note', ticketId, noteId: id, text, createdAt: at };
      // A new action's id (nearly every call) is checked by one look-up inside the note's own
      // transaction; only an id already in use is looked up by kind, outside it.
      const outcome = session.cache.writer.recordNewAction(mutation, session.user);
      if (!outcome) {
        const earlier = session.cache.reader.note(id);
        if (earlier) {
          if (earlier.ticketId !== ticketId) throw usedForAnotherTicket(id);
          return earlier;
        }
        if (session.cache.reader.message(id) || session.cache.reader.draft(id)) throw usedForAnotherKind(ticketId, id);
        refuseRetryOfRefused(session, id);
      }
      const effect = outcome ? recorded(session, outcome) : recordMutation(mutation);
      if (!effect.note) throw new RpcError('internal', 'The note was not stored.');
      return { ...effect.note, pending: true };
    },
    'ticket.create': ({ customer, channel, type, priority, subject, note, toQueue, actionId }) => {
      const session = requireSession();
      const at = serverNow();
      const id = actionId ?? uuidv7(at);
      // A retried action whose answer was lost: the ticket its first call made (by now perhaps numbered).
      const earlier = session.cache.reader.note(id);
      if (earlier) {
        const made = session.cache.reader.ticket(session.cache.reader.currentTicketId(earlier.ticketId));
        // A creation's note is dated with its ticket (decideCreateTicket); a note added to an older ticket is not one: that ticket was not made by this action.
        if (made && made.createdAt === earlier.createdAt) return made;
      }
      refuseRetryOfRefused(session, id);
      const ids = provisionalIdsOf(at, String(randomInt(0, 1_000_000_000_000)).padStart(12, '0'));
      if (earlier || session.cache.reader.message(id) || session.cache.reader.draft(id)) throw usedForAnotherKind(ids.ticketId, id);
      let chosen: CreateTicketMutation['customer'] = customer.kind === 'existing' ? customer : { ...customer, customerId: ids.customerId };
      if (chosen.kind === 'existing' && isProvisionalCustomerId(chosen.customerId)) {
        // A customer another ticket made offline (the dialog finds them in the cache under their
        // pending id): the server knows no such id, and its push schema refuses one as an existing
        // customer, which stopped every push. This creation carries the customer as typed under
        // the same pending id instead; it is sent after the first one's ack, which makes it name
        // the real customer (renameCreated, syncClient).
        const typed = session.cache.reader.queuedNewCustomer(chosen.customerId);
        if (!typed) throw refusalError({ code: 'create_refused', ticketId: ids.ticketId, reason: 'customer' });
        chosen = typed;
      }
      const mutation: CreateTicketMutation = {
        mutationId: id,
        kind: 'createTicket',
        ticketId: ids.ticketId,
        customer: chosen,
        channel,
        type,
        priority,
        subject,
        noteId: id,
        note,
        toQueue,
        createdAt: at,
      };
      const outcome = session.cache.writer.createTicket(mutation, session.user);
      if (!outcome.ok) throw refusalError(outcome.refusal);
      afterLocalWrite(session, mutation.ticketId);
      return outcome.ticket;
    },
    'ticket.setStatus': ({ ticketId, status }) => {
      const at = serverNow();
      return recordMutation({ mutationId: uuidv7(at), kind: 'setStatus', ticketId, status, createdAt: at }).ticket;
    },
    'ticket.setPriority': ({ ticketId, priority }) => {
      const at = serverNow();
      return recordMutation({ mutationId: uuidv7(at), kind: 'setPriority', ticketId, priority, createdAt: at }).ticket;
    },
    'ticket.setFollowUp': ({ ticketId, followUpAt }) => {
      const at = serverNow();
      return recordMutation({ mutationId: uuidv7(at), kind: 'setFollowUp', ticketId, followUpAt, createdAt: at }).ticket;
    },
    'ticket.setFields': ({ ticketId, ...fields }) => {
      const at = serverNow();
      return recordMutation({ mutationId: uuidv7(at), kind: 'setFields', ticketId, ...fields, createdAt: at }).ticket;
    },
    'ticket.transfer': ({ ticketId, to, note }) => {
      const at = serverNow();
      return recordMutation({ mutationId: uuidv7(at), kind: 'transfer', ticketId, to, note, createdAt: at }).ticket;
    },
    'draft.send': ({ draftId }) => {
      const session = requireSession();
      // The draft's id is the action's: a second send after a lost answer finds the message it became.
      const sent = session.cache.reader.message(draftId);
      if (sent) return sent;
      refuseRetryOfRefused(session, draftId);
      requireOnline('drafts can be sent');
      const at = serverNow();
      const outcome = session.cache.writer.sendDraft(
        draftId,
        (draft) => ({
          mutationId: draft.id,
          kind: 'reply',
          ticketId: draft.ticketId,
          messageId: draft.id,
          text: draft.text,
          createdAt: at,
          ...(draft.subject !== undefined ? { subject: draft.subject } : {}),
        }),
        session.user,
      );
      if (!outcome) throw new RpcError('not_found', `There is no draft ${draftId}; it may have been sent or discarded already.`);
      if (!outcome.ok) throw refusalError(outcome.refusal);
      if (!outcome.effect.message) throw new RpcError('internal', 'The reply was not stored.');
      afterLocalWrite(session, outcome.effect.ticket.id);
      return { ...outcome.effect.message, pending: true };
    },
    'draft.discard': ({ draftId }) => {
      const session = requireSession();
      const draft = session.cache.reader.draft(draftId);
      if (!draft || !session.cache.writer.discardDraft(draftId)) throw new RpcError('not_found', `There is no draft ${draftId}.`);
      notifier.add([draft.ticketId]);
      return { discarded: true };
    },
    'attention.list': ({ before, limit = ATTENTION_PAGE_SIZE }) => {
      const { reader } = requireSession().cache;
      // One more than asked says whether an older page exists. A page, and previews only: the
      // window reloads the list on every refusal, and a long offline shift can leave thousands.
      const entries = reader.attention({ ...(before !== undefined ? { before } : {}), limit: limit + 1 });
      const page = entries.slice(0, limit);
      const items = page.map((entry): AttentionItem => ({
        id: entry.id,
        ticketId: entry.ticketId,
        kind: entry.kind,
        code: entry.code,
        reason: entry.reason,
        refusal: entry.refusal,
        changeSeq: entry.changeSeq,
        at: entry.at,
        content: entry.content === null ? null : attentionPreviewOf(entry.content),
        // Only a ticket still in this user's cache can take the text back into its composer.
        ticketAvailable: entry.ticketId !== null && reader.ticket(entry.ticketId) !== null,
      }));
      return { items, total: reader.attentionCount(), next: entries.length > limit ? (page.at(-1)?.id ?? null) : null };
    },
    'attention.content': ({ id }) => {
      const entry = requireSession().cache.reader.attentionItem(id);
      if (!entry) throw new RpcError('not_found', `There is no open attention item ${String(id)}.`);
      return { content: entry.content };
    },
    'attention.dismiss': ({ id }) => {
      const session = requireSession();
      if (!session.cache.writer.dismissAttention(id)) throw new RpcError('not_found', `There is no open attention item ${String(id)}.`);
      updateConnection({});
      return { dismissed: true };
    },
  };

  async function invoke(method: unknown, params: unknown): Promise<RpcOutcome> {
    try {
      if (!isRpcMethod(method)) throw new RpcError('unknown_method', `There is no method ${describeMethod(method)}.`);
      if (closed) throw new RpcError('internal', 'The workstation core is closed.');
      const parsed = rpcParamSchemas[method].safeParse(params === undefined ? {} : params);
      if (!parsed.success) throw new RpcError('invalid_params', `Invalid params for ${method}: ${describeIssues(parsed.error.issues)}`);
      const handler = handlers[method] as (params: unknown) => unknown;
      return { ok: true, result: await handler(parsed.data) };
    } catch (error) {
      if (error instanceof RpcError) return { ok: false, error: error.toShape() };
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: { code: 'internal', message: `Unexpected error: ${message}` } };
    }
  }

  const stored = settings.session;
  if (stored && stored.serverUrl === serverUrl) {
    let opened: OpenedCache | null = null;
    let unreadable: unknown = null;
    try {
      opened = await openUserCache(stored.user, { password: null, heldKey: null, storeSession: true, mayReset: false });
    } catch (error) {
      unreadable = error;
    }
    // The token's expiry is the server's time: judged on the server's clock as the cache kept it, so
    // a clock ahead does not end a session the server still honours (nor one behind keep an ended one).
    const storedOffset = opened?.cache.reader.serverClockOffset() ?? null;
    if (stored.expiresAt > now() + (storedOffset ?? 0)) {
      try {
        if (!opened) throw unreadable;
        startSync(openSession(stored, opened, null));
      } catch (error) {
        // An unreadable cache must not stop the app from starting: fall back to the sign-in screen.
        deactivate();
        const reason = error instanceof Error ? error.message : String(error);
        updateConnection({ status: 'signed_out', lastError: { code: 'cache_unreadable', detail: reason } });
      }
    } else {
      opened?.cache.close();
      // The revocations sent before anyone signs in are judged by the offset this cache kept.
      if (storedOffset !== null) lastClock = createServerClock(now, storedOffset, () => {});
      settings.session = null;
      settleDeviceSeals(null);
      saveSettings(dataDir, settings);
      updateConnection({ lastError: { code: 'session_expired' }, sessionEnded: 'expired' });
    }
  }
  // Sign-outs the server missed (it was unreachable, or the app closed first).
  if (settings.pendingLogouts.length > 0) void flushLogouts();

  return {
    invoke,
    onEvent(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async close() {
      if (closed) return;
      await sessionLock;
      closed = true;
      deactivate();
      await flushing;
      notifier.dispose();
      listeners.clear();
    },
  };
}
