/**
 * The socket.io side of the sync protocol: handshake authentication, `sync:pull`,
 * `sync:bootstrap`, `sync:push` and the on-demand reads of the queue view (`queue:list`,
 * `ticket:fetch`), each validated with the zod schemas of shared/sync.ts.
 * A request without an ack function is ignored; a malformed one is answered with
 * `invalid_request` and changes nothing; an exception is answered with `internal` and logged.
 */
import { isUnclassifiedSupervisoryEvent, supervisoryClassOf } from '../shared/supervision.js';
import type { z } from 'zod';
import { TOKEN_FAILURE_LIMIT } from '../shared/connection.js';
import {
  MIN_SYNC_PROTOCOL_VERSION,
  OUTDATED_CLIENT_SOCKET_ERROR,
  UNAUTHORIZED_SOCKET_ERROR,
  REPORT_CREDENTIAL_SOCKET_ERROR,
  bootstrapRequestSchema,
  handshakeAuthSchema,
  handshakeProtocolSchema,
  pullRequestSchema,
  pushRequestSchema,
  type Ack,
  type BootstrapPage,
  type PullResult,
  type MutationResult,
  type PushResult,
} from '../shared/sync.js';
import { REPORT_CREDENTIAL_PREFIX } from '../shared/admin.js';
import { canUserSeeTicket, entityIdSchema, type User } from '../shared/domain.js';
import { queueListRequestSchema, ticketFetchRequestSchema, type QueueListResult, type TicketFetchResult } from '../shared/queue.js';
import { hashToken } from './credentials.js';
import type { LiveHub, SyncServer, SyncSocket } from './liveHub.js';
import type { SessionEnds } from './sessions.js';
import { forRole, maskBootstrapPage, maskPullResult, maskPushResult, maskQueueList, maskTicketFetch } from './piiMasking.js';
import type { QueueSummaryPublisher } from './queueSummary.js';
import { allowSignedInFrames } from './frameLimits.js';
import type { ConnectionLimits } from './connectionLimits.js';
import { retryAfterSeconds, type RateLimiters, type RateLimitVerdict } from './rateLimits.js';
import type { MutationContext, ServerStore } from './store.js';
import type { UserCache, UserChangeSource } from './userCache.js';

export interface SyncDependencies {
  store: ServerStore;
  hub: LiveHub;
  queueSummary: QueueSummaryPublisher;
  now: () => number;
  log: (line: string) => void;
  /** `requestsPerUser` budgets every event a signed-in socket sends; `manualTicketsPerUser` the tickets a push creates (server/rateLimits.ts). */
  rateLimits: RateLimiters;
  /** What routing knows while a mutation is decided (a transfer's target); absent = the store's own view. */
  mutationContext?: MutationContext;
  /** The oldest sync protocol version a workstation may speak; default MIN_SYNC_PROTOCOL_VERSION (tests raise it). */
  minProtocolVersion?: number;
  /** This node's copy of the users (server/userCache.ts), read before every event instead of the store. */
  users: UserCache;
  /** Where this node hears a user changed, on whichever node (the store on one node, the commit stream on several). */
  userChanges: UserChangeSource;
  /** Ends a socket's session, telling it why (server/sessions.ts). */
  sessions: Pick<SessionEnds, 'endSocket'>;
  /** The connection caps (server/connectionLimits.ts): a signed-in socket's connection stops counting against its address and counts against its user. */
  connectionLimits?: Pick<ConnectionLimits, 'admitSignedIn'>;
  /** The socket's client address as the HTTP API counts it (TRUST_PROXY, IPv6 /64); default the handshake's peer. Keys `tokenFailuresPerAddress`. */
  clientAddress?: (socket: SyncSocket) => string;
  /** Tests: runs once a socket's handshake accepted it, before socket.io connects it on the next tick (the window a change can fall into). */
  afterHandshake?: (userId: string) => Promise<void>;
}

/** What the other modules hear of a socket whose user an admin changed (its rooms follow the new skills). */
export interface SocketUserChanges {
  /** `before`: the user as the socket had them; `socket.data.user` is the new one by then. */
  onSocketUserChanged(listener: (socket: SyncSocket, before: User) => void): () => void;
}

/** Outdated clients already logged; bounded, since the id is unauthenticated when it is noted. */
const MAX_OUTDATED_CLIENTS_NOTED = 10_000;

/** `path: message` for each zod issue, joined; what a client developer needs to fix the call. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(request)'}: ${issue.message}`).join('; ');
}

/** A request answered with an error code (and facts in English for the log) instead of a result. */
export class SyncRefusal extends Error {
  constructor(
    readonly code: 'not_found' | 'forbidden' | 'conflict' | 'invalid_request' | 'rate_limited' | 'unavailable' | 'unconfirmed',
    message: string,
  ) {
    super(message);
  }
}

type UntypedOn = (event: string, listener: (...args: unknown[]) => void) => void;

/**
 * Answers one kind of socket request through its ack: an expired token ends the socket, bad
 * input is `invalid_request` naming the fields, a SyncRefusal is its code (logged when
 * `logRefusals`: refusals that are themselves worth an audit line), anything else `internal`.
 */
export function handle<Request, Result>(
  socket: SyncSocket,
  deps: { now: () => number; log: (line: string) => void },
  event: string,
  schema: z.ZodType<Request>,
  run: (request: Request) => Promise<Result>,
  options: { logRefusals?: boolean } = {},
): void {
  // A supervisors' event nobody classified would be open to agents unless its handler remembered to check.
  if (isUnclassifiedSupervisoryEvent(event)) throw new Error(`${event} is not classified in shared/supervision.ts SUPERVISORY_EVENTS`);
  const supervisory = supervisoryClassOf(event) !== null;
  (socket.on as unknown as UntypedOn).call(socket, event, async (raw: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const reply = ack as (response: Ack<Result>) => void;
    if (deps.now() >= socket.data.tokenExpiresAt) {
      reply({ ok: false, error: { code: 'unauthorized', message: 'The sign-in token has expired; sign in again.' } });
      socket.disconnect(true);
      return;
    }
    // Before the request is even read: an agent learns nothing of a supervisors' event but that it is not theirs (the handler checks again, and admin-only ones check the admin role).
    if (supervisory && socket.data.user.role === 'agent') {
      if (options.logRefusals) deps.log(`${event} by ${socket.data.user.username} refused: not a lead or admin`);
      reply({ ok: false, error: { code: 'forbidden', message: `${event} is for shift leads and administrators.` } });
      return;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      reply({ ok: false, error: { code: 'invalid_request', message: `Invalid ${event} request: ${describeIssues(parsed.error)}` } });
      return;
    }
    let result: Result;
    try {
      result = await run(parsed.data);
    } catch (error) {
      if (error instanceof SyncRefusal) {
        if (options.logRefusals) deps.log(`${event} by ${socket.data.user.username} refused: ${error.message}`);
        reply({ ok: false, error: { code: error.code, message: error.message } });
        return;
      }
      deps.log(`${event} from ${socket.data.user.username} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      reply({ ok: false, error: { code: 'internal', message: 'The server failed to handle this request; it has been logged.' } });
      return;
    }
    reply({ ok: true, result });
  });
}

/** Whether two readings of a user are the same, field by field (the socket's copy and the node's): no listener need hear of it. */
function sameUser(a: User, b: User): boolean {
  const sameList = (x: readonly string[], y: readonly string[]) => x.length === y.length && x.every((item, index) => item === y[index]);
  return (
    a.id === b.id &&
    a.username === b.username &&
    a.displayName === b.displayName &&
    a.role === b.role &&
    a.tier === b.tier &&
    a.senior === b.senior &&
    a.extension === b.extension &&
    sameList(a.channels, b.channels) &&
    sameList(a.groups, b.groups) &&
    sameList(a.languages, b.languages)
  );
}

export function attachSync(io: SyncServer, deps: SyncDependencies): SocketUserChanges {
  const { store, hub } = deps;

  const minProtocolVersion = deps.minProtocolVersion ?? MIN_SYNC_PROTOCOL_VERSION;
  /** An outdated core retries while it runs (the ones from before versions every ~15 s): one log line per client is enough. */
  const outdatedClientsNoted = new Set<string>();

  function noteOutdated(socket: SyncSocket, protocol: number): void {
    // Only a well-formed id reaches the log (it is not authenticated yet).
    const clientId = entityIdSchema.safeParse((socket.handshake.auth as { clientId?: unknown }).clientId);
    const client = clientId.success ? clientId.data : '(unreadable id)';
    if (outdatedClientsNoted.has(client)) return;
    if (outdatedClientsNoted.size >= MAX_OUTDATED_CLIENTS_NOTED) outdatedClientsNoted.clear();
    outdatedClientsNoted.add(client);
    deps.log(
      `socket refused: client ${client} at ${socket.handshake.address} speaks sync protocol ${String(protocol)}, this server needs ${String(minProtocolVersion)} or newer; it was told to update`,
    );
  }

  const socketUserListeners = new Set<(socket: SyncSocket, before: User) => void>();
  /** User changes this node has heard (any user): a handshake compares it before and after it read the user. */
  let userChangesHeard = 0;
  /** The count each socket's handshake settled on, and its token: a change heard between the handshake and the connection is checked then. */
  const handshakeSettled = new WeakMap<SyncSocket, { heard: number; token: string }>();

  const addressOf = deps.clientAddress ?? ((socket: SyncSocket) => socket.handshake.address);

  /** The counters' store failing must not stop the workstations: the handshake goes on as if within budget. */
  async function tokenFailureBudget(spend: () => Promise<RateLimitVerdict>): Promise<RateLimitVerdict> {
    try {
      return await spend();
    } catch (error) {
      deps.log(`socket: token failure limit unavailable: ${error instanceof Error ? error.message : String(error)}`);
      return { ok: true };
    }
  }

  /** A wrong token from `address` spends one point of its budget; the one that spends the last is logged (the next handshake is refused before any lookup). */
  async function noteTokenFailure(address: string, what: string): Promise<void> {
    const limiter = deps.rateLimits.tokenFailuresPerAddress;
    const verdict = await tokenFailureBudget(async () => ((await limiter.consume(address)).ok ? await limiter.peek(address) : { ok: true }));
    if (!verdict.ok) {
      deps.log(
        `socket: ${address} sent too many wrong tokens (last: ${what}); refusing its handshakes for ${String(retryAfterSeconds(verdict.retryAfterMs))} s before any lookup, further refusals not logged`,
      );
    }
  }

  /** `too_many_token_failures`, with when to try again: the core backs off and keeps its session (it is not told its token is wrong). */
  function tokenFailureRefusal(retryAfterMs: number): Error {
    return Object.assign(new Error(TOKEN_FAILURE_LIMIT), { data: { code: TOKEN_FAILURE_LIMIT, retryAfterMs } });
  }

  /** The handshake: the user the token names, bound to the workstation it came from; an Error refuses the socket. */
  async function authenticate(socket: SyncSocket): Promise<Error | undefined> {
    // A report-reader credential (another system's) is told what it is for, whatever else it sent.
    const rawToken: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof rawToken === 'string' && rawToken.startsWith(REPORT_CREDENTIAL_PREFIX)) return new Error(REPORT_CREDENTIAL_SOCKET_ERROR);
    // The version first, before the token is even looked up: an outdated core is told so (not
    // 'unauthorized', which signs it out), and its token is neither accepted nor bound.
    const version = handshakeProtocolSchema.safeParse(socket.handshake.auth);
    if (version.success && version.data.protocol < minProtocolVersion) {
      noteOutdated(socket, version.data.protocol);
      return new Error(OUTDATED_CLIENT_SOCKET_ERROR);
    }
    const auth = handshakeAuthSchema.safeParse(socket.handshake.auth);
    if (!auth.success) return new Error(UNAUTHORIZED_SOCKET_ERROR);
    // An address that spent its budget of wrong tokens (sockets and HTTP together) is refused
    // before this one is looked up: each wrong one cost a database lookup, with no limit before.
    const address = addressOf(socket);
    const budget = await tokenFailureBudget(() => deps.rateLimits.tokenFailuresPerAddress.peek(address));
    if (!budget.ok) return tokenFailureRefusal(budget.retryAfterMs);
    const heardAtLookup = userChangesHeard;
    const found = await store.lookupToken(auth.data.token, deps.now());
    if (found.status !== 'valid' || found.kind !== 'user') {
      await noteTokenFailure(address, `${found.status === 'valid' ? 'an integration' : found.status} token`);
      return new Error(UNAUTHORIZED_SOCKET_ERROR);
    }
    // A token works for the workstation it was issued to (or first connected from) only: a copy used elsewhere is refused.
    if (!(await store.bindTokenToClient(auth.data.token, auth.data.clientId))) {
      deps.log(
        `socket refused: ${found.user.username}'s token came from client ${auth.data.clientId} at ${socket.handshake.address}, not the client it belongs to`,
      );
      await noteTokenFailure(address, 'a token of another client');
      return new Error(UNAUTHORIZED_SOCKET_ERROR);
    }
    // A change of this user committed since the token was looked up (this node heard of it, but
    // the socket is in no list the notice reaches yet, nor in its token's room): look the token
    // up again until no change is heard meanwhile, so the socket joins the rooms of the user as
    // now stored. The token, not only the user: a deactivation or a change of role deletes the
    // user's tokens in its transaction (server/adminStore.ts) and ends their sockets through the
    // token's room, which this one joins only once connected; a deactivated user is still a row.
    let user = found.user;
    let heard = heardAtLookup;
    while (heard !== userChangesHeard) {
      heard = userChangesHeard;
      const again = await store.lookupToken(auth.data.token, deps.now());
      if (again.status !== 'valid' || again.kind !== 'user' || again.user.id !== user.id || again.user.role !== user.role) {
        deps.log(`socket refused: ${user.username}'s token was revoked or their account changed while the socket connected`);
        return new Error(UNAUTHORIZED_SOCKET_ERROR);
      }
      user = again.user;
    }
    handshakeSettled.set(socket, { heard, token: auth.data.token });
    socket.data = {
      user,
      clientId: auth.data.clientId,
      tokenHash: hashToken(auth.data.token),
      tokenExpiresAt: found.expiresAt,
      live: false,
      cursor: 0,
    };
    return undefined;
  }

  /**
   * Before each event: the socket's user as stored now (this node's copy, dropped on every node
   * when an admin changes them), so an admin's change of skills (a channel or the tier taken
   * away) holds on sockets already open, as it does on the HTTP API, which reads the user with
   * every request. Updated in place: every module's handlers hold this object. False when the
   * user is gone or has another role: their tokens were revoked with that change and the socket
   * is being ended (server/adminStore.ts).
   */
  async function followUserChanges(socket: SyncSocket): Promise<boolean> {
    const { user } = socket.data;
    let stored: User | null;
    try {
      stored = await deps.users.get(user.id);
    } catch (error) {
      // As when the request limit is unavailable: the handler meets the database itself.
      deps.log(`socket: ${user.username} could not be read again: ${error instanceof Error ? error.message : String(error)}`);
      return true;
    }
    if (stored === null || stored.role !== user.role) return false;
    // Copied whatever it is; only a difference is worth telling the other modules (their rooms).
    const before = sameUser(user, stored) ? null : { ...user };
    Object.assign(user, stored);
    if (!before) return true;
    for (const listener of socketUserListeners) {
      try {
        listener(socket, before);
      } catch (error) {
        deps.log(`socket: a listener of ${user.username}'s change failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
    return true;
  }

  // A change heard (on whichever node it was made): the copy goes, and this node's sockets of
  // the user follow it now, not at their next event, so what they are sent unasked (signals to
  // a channel's room) stops too.
  deps.userChanges.onDidChangeUser((userId) => {
    userChangesHeard += 1;
    deps.users.invalidate(userId);
    for (const socket of io.sockets.sockets.values()) {
      if (!socket.data.user || (userId !== null && socket.data.user.id !== userId)) continue;
      void followUserChanges(socket);
    }
  });

  /**
   * A change heard after the handshake settled, before the socket joined its token's room and
   * was listed (socket.io connects it on the next tick): the token is looked up again, as the
   * handshake would have, and the socket ended when a deactivation, a change of role or a
   * password reset revoked it meanwhile (their notices to the token's room missed it); otherwise
   * the socket follows the user as now stored.
   */
  async function confirmSinceHandshake(socket: SyncSocket, token: string): Promise<void> {
    const { user } = socket.data;
    try {
      const found = await store.lookupToken(token, deps.now());
      if (found.status === 'valid' && found.kind === 'user' && found.user.id === user.id && found.user.role === user.role) {
        if (!(await followUserChanges(socket))) deps.sessions.endSocket(socket, 'revoked');
        return;
      }
    } catch (error) {
      // As when the user cannot be read again: the socket's next event meets the database itself.
      deps.log(`socket: ${user.username}'s token could not be looked up again: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    deps.log(`socket ended: ${user.username}'s token was revoked or their account changed as the socket connected`);
    deps.sessions.endSocket(socket, 'revoked');
  }

  io.use((socket, next) => {
    const settled = async (): Promise<Error | undefined> => {
      const refusal = await authenticate(socket);
      if (refusal) return refusal;
      if (deps.afterHandshake) await deps.afterHandshake(socket.data.user.id);
      // Counted against its user (at most `signedInPerUser` connections on this node), and no
      // longer against its address's cap of connections not signed in (server/connectionLimits.ts).
      const admitted = deps.connectionLimits?.admitSignedIn(socket, socket.data.user.id) ?? { ok: true };
      if (!admitted.ok) return new Error(admitted.message);
      // Signed in: only now may this connection carry a push's larger frames (server/frameLimits.ts).
      allowSignedInFrames(socket, deps.log);
      return undefined;
    };
    settled().then(next, (error: unknown) => {
      deps.log(`socket handshake failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      next(new Error(UNAUTHORIZED_SOCKET_ERROR));
    });
  });

  io.on('connection', (socket) => {
    // Before every handler of every module: an event over the user's budget is answered
    // `rate_limited` (when it wants an answer) and goes no further; one within it is handled
    // for the user as stored now (followUserChanges).
    // One packet at a time per socket: the checks wait on the counters and the database (a round
    // trip each on a cluster), and a socket's events must reach their handlers in the order sent
    // (a stranger's refused signal, then an allowed one; typing on, then off).
    let admitted: Promise<void> = Promise.resolve();
    socket.use((packet, next) => {
      const { user } = socket.data;
      const ack: unknown = packet[packet.length - 1];
      const answer = (refusal: Ack<never>) => {
        if (typeof ack === 'function') (ack as (response: Ack<never>) => void)(refusal);
      };
      const admit = async (): Promise<void> => {
        try {
          const verdict = await deps.rateLimits.requestsPerUser.consume(user.id);
          if (!verdict.ok) {
            if (verdict.firstRefusal) deps.log(`socket: ${user.username} is over the request limit (${String(packet[0])})`);
            const seconds = retryAfterSeconds(verdict.retryAfterMs);
            answer({ ok: false, error: { code: 'rate_limited', message: `Too many requests; try again in ${String(seconds)} s.` } });
            return;
          }
        } catch (error) {
          // The counters' store failing must not stop the workstations: let the request through.
          deps.log(`socket: request limit unavailable: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (await followUserChanges(socket)) {
          next();
          return;
        }
        answer({ ok: false, error: { code: 'unauthorized', message: 'This session was signed out; sign in again.' } });
        socket.disconnect(true);
      };
      admitted = admitted.then(admit).catch((error: unknown) => {
        deps.log(`socket: ${user.username}'s event could not be admitted: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    // The rooms the modules join below with the old user are left by their listeners.
    const settled = handshakeSettled.get(socket);
    handshakeSettled.delete(socket);
    if (settled && settled.heard !== userChangesHeard) void confirmSinceHandshake(socket, settled.token);
    hub.add(socket);
    socket.on('disconnect', () => hub.remove(socket));
    deps.queueSummary.greet(socket);

    handle(socket, deps, 'sync:pull', pullRequestSchema, async (request): Promise<PullResult> => {
      let result = await store.pullChanges(socket.data.user, request.since);
      // A commit fanned out between the read and now skipped this (not yet live) socket: read again, so it is in the answer.
      while (!result.mustRefetch && !result.more && hub.fannedOutUpTo() > result.upTo) result = await store.pullChanges(socket.data.user, request.since);
      if (!result.mustRefetch && !result.more) hub.markLive(socket, result.upTo);
      else hub.markNotLive(socket);
      // This node's clock as it answers: the core measures its own clock's offset from it (sync-protocol.md, "Clocks").
      return { ...forRole(socket.data.user.role, result, maskPullResult), serverTime: deps.now() };
    });

    // The walk this socket is in: a request for the page after the last one sent reuses its
    // count (the progress bar's total) instead of counting every visible ticket again.
    // (The scope of a page is the role and id's, which a socket keeps: a change of role closes it.)
    let bootstrapWalk: { next: string; total: number } | null = null;
    handle(socket, deps, 'sync:bootstrap', bootstrapRequestSchema, async (request): Promise<BootstrapPage> => {
      const { user } = socket.data;
      const knownTotal = request.after !== null && request.after === bootstrapWalk?.next ? bootstrapWalk.total : undefined;
      const page = await store.bootstrapPage(user, request.after, request.limit, knownTotal);
      bootstrapWalk = page.next === null ? null : { next: page.next, total: page.total };
      return forRole(user.role, page, maskBootstrapPage);
    });

    handle(socket, deps, 'sync:push', pushRequestSchema, async (request): Promise<PushResult> => {
      const { user, clientId } = socket.data;
      const now = deps.now();
      const creations = request.mutations.filter((mutation) => mutation.kind === 'createTicket').length;
      if (creations > 0) {
        // Refused as a whole, before anything is applied: the outbox keeps every row and sends it again later.
        const verdict = await deps.rateLimits.manualTicketsPerUser.consume(user.id, creations);
        if (!verdict.ok) {
          if (verdict.firstRefusal) deps.log(`sync:push: ${user.username} is over the manual ticket limit`);
          throw new SyncRefusal('rate_limited', `Too many new tickets; try again in ${String(Math.ceil(verdict.retryAfterMs / 1000))} s.`);
        }
      }
      // One transaction for the whole push: one fsync, and one live batch per socket.
      const results = await store.withTransaction(async () => {
        const applied: MutationResult[] = [];
        for (const mutation of request.mutations) applied.push(await store.applyMutation(user, clientId, mutation, now, deps.mutationContext));
        return applied;
      });
      return { ...forRole(user.role, { results }, maskPushResult), serverTime: deps.now() };
    });

    handle(socket, deps, 'queue:list', queueListRequestSchema, async (request): Promise<QueueListResult> =>
      forRole(socket.data.user.role, await store.queue.list(socket.data.user, request), maskQueueList),
    );

    handle(socket, deps, 'ticket:fetch', ticketFetchRequestSchema, async (request): Promise<TicketFetchResult> => {
      const { user } = socket.data;
      const bundle = await store.getTicketBundle(request.ticketId);
      // The same answer for "no such ticket" and "not yours": nothing leaks.
      if (!bundle || !canUserSeeTicket(user, bundle.ticket)) throw new SyncRefusal('not_found', `No ticket ${request.ticketId}.`);
      return forRole(user.role, { bundle }, maskTicketFetch);
    });
  });
  return {
    onSocketUserChanged(listener) {
      socketUserListeners.add(listener);
      return () => socketUserListeners.delete(listener);
    },
  };
}
