/**
 * The client half of routing (智能分配) for one signed-in session: it rides on the sync
 * client's socket, turns the server's routing pushes (offers, withdrawn offers, presence,
 * the leads' agent board) into core events, and carries the routing RPC methods to the
 * server as acknowledged socket requests. Routing decisions need the server, so every
 * request fails with `offline` when the socket is not connected; nothing is queued.
 * Every push and ack is parsed with the zod schemas of shared/routing.ts first.
 * See docs/technical/core.md ("Routing").
 */
import type { z } from 'zod';
import type { Ticket, User } from '../../../shared/domain.js';
import {
  agentStatusResultSchema,
  agentsPushSchema,
  agentsPushVerdict,
  agentsResultSchema,
  applyAgentsPush,
  epochAfterPush,
  leadReassignResultSchema,
  offerResponseResultSchema,
  offerWithdrawnSchema,
  presenceAfterOwnChange,
  presenceChangedSchema,
  presenceResultSchema,
  routingAuditResultSchema,
  transferTargetsResultSchema,
  type TransferTargetsResult,
  type BulkTargetsResult,
  routingOfferSchema,
  ticketResultSchema,
  type AgentStatus,
  type LeadPinRequest,
  type LeadReassignRequest,
  type LeadReassignResult,
  type LeadSetCapacityRequest,
  type LeadSetPresenceRequest,
  type OfferRespondRequest,
  type OfferResponseResult,
  type PresenceChanged,
  type PresenceResult,
  type PresenceSetRequest,
  type RoutingAuditEntry,
  type RoutingOffer,
} from '../../../shared/routing.js';
import type { RpcEventName, RpcEvents } from '../../../shared/rpc.js';
import type { ClientToServerEvents } from '../../../shared/sync.js';
import { bulkTransferCandidates, type TransferAgentFacts } from '../../../shared/ticketRules.js';
import type { Cache } from '../cache/cache.js';
import { askServer } from '../askServer.js';
import { RpcError } from '../errors.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

/** How long a routing request waits for the server's ack. */
export const ROUTING_REQUEST_TIMEOUT_MS = 10_000;
/**
 * An offer is dropped locally this long after its deadline even if the server's
 * `routing:offerWithdrawn` never arrives (e.g. it was lost with the connection).
 */
export const OFFER_EXPIRY_GRACE_MS = 3_000;

/** What the routing session needs from the core around it. */
export interface RoutingSessionOptions {
  socket: WorkstationSocket;
  cache: Cache;
  user: User;
  now: () => number;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
  /** Tickets changed in the cache (an offered ticket's bundle was stored). */
  onChanged(ticketIds: string[]): void;
}

/** One session's routing state and requests; the RPC handlers call these. */
export interface RoutingSession {
  presence(): PresenceChanged | null;
  /** Offers waiting for this agent's answer, soonest deadline first. */
  offers(): RoutingOffer[];
  setPresence(request: PresenceSetRequest): Promise<PresenceResult>;
  respondToOffer(request: OfferRespondRequest): Promise<OfferResponseResult>;
  audit(ticketId: string): Promise<RoutingAuditEntry[]>;
  transferTargets(ticketId: string): Promise<TransferTargetsResult>;
  /** Leads: who could take these cached tickets, judged on the roster last pushed (no request: it follows the ticks as they change). */
  bulkTargets(ticketIds: readonly string[]): BulkTargetsResult;
  agents(): Promise<AgentStatus[]>;
  reassign(request: LeadReassignRequest): Promise<LeadReassignResult>;
  pin(request: LeadPinRequest): Promise<Ticket>;
  setAgentPresence(request: LeadSetPresenceRequest): Promise<AgentStatus>;
  setAgentCapacity(request: LeadSetCapacityRequest): Promise<AgentStatus>;
  /** Forgets offers and timers; the socket itself belongs to the sync client. */
  stop(): void;
}

type RoutingEvent = Exclude<keyof ClientToServerEvents, 'sync:pull' | 'sync:bootstrap' | 'sync:push'>;

export function startRoutingSession(options: RoutingSessionOptions): RoutingSession {
  const { socket, cache, user } = options;
  const offers = new Map<string, RoutingOffer>();
  const expiryTimers = new Map<string, NodeJS.Timeout>();
  let presence: PresenceChanged | null = null;
  /** Leads: every agent's status as the server last said (its pushes merged), by user id. */
  let roster = new Map<string, AgentStatus>();
  /** The routing leader's epoch whose roster `roster` is (null: none known); see `agentsPushVerdict`. */
  let rosterEpoch: number | null = null;
  /** The whole roster is being asked for (a newer leader's diff came without it). */
  let askingRoster = false;
  let stopped = false;

  function sortedOffers(): RoutingOffer[] {
    return [...offers.values()].sort((a, b) => a.expiresAt - b.expiresAt || a.ticketId.localeCompare(b.ticketId));
  }

  function announceOffers(): void {
    if (!stopped) options.emit('offers', { offers: sortedOffers() });
  }

  function dropOffer(ticketId: string): boolean {
    const timer = expiryTimers.get(ticketId);
    if (timer) clearTimeout(timer);
    expiryTimers.delete(ticketId);
    return offers.delete(ticketId);
  }

  function clearOffers(): void {
    for (const timer of expiryTimers.values()) clearTimeout(timer);
    expiryTimers.clear();
    offers.clear();
  }

  function onOffer(raw: unknown): void {
    const parsed = routingOfferSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    const offer = parsed.data;
    dropOffer(offer.ticketId);
    offers.set(offer.ticketId, offer);
    // The timer runs on the local clock; the grace covers a modest skew against the server's.
    const delay = Math.max(0, offer.expiresAt - options.now()) + OFFER_EXPIRY_GRACE_MS;
    expiryTimers.set(
      offer.ticketId,
      setTimeout(() => {
        if (offers.get(offer.ticketId) === offer && dropOffer(offer.ticketId)) announceOffers();
      }, delay),
    );
    if (cache.writer.storeOfferedBundle(offer.bundle, user)) options.onChanged([offer.ticketId]);
    announceOffers();
  }

  function onOfferWithdrawn(raw: unknown): void {
    const parsed = offerWithdrawnSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    if (dropOffer(parsed.data.ticketId)) announceOffers();
  }

  function onPresence(raw: unknown): void {
    const parsed = presenceChangedSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    presence = parsed.data;
    options.emit('presence', presence);
  }

  function onAgents(raw: unknown): void {
    const parsed = agentsPushSchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    const push = parsed.data;
    const verdict = agentsPushVerdict(rosterEpoch, push);
    // A deposed leader's late push: the roster its successor sent stays.
    if (verdict === 'stale') return;
    if (verdict === 'needs_complete') {
      askForRoster();
      return;
    }
    // The server sends the whole roster on connect and then only the agents that changed: the screens get the roster merged.
    roster = applyAgentsPush(roster, push);
    rosterEpoch = epochAfterPush(rosterEpoch, push);
    options.emit('agents', { agents: [...roster.values()] });
  }

  /** A newer leader's diff came before its whole roster: ask for the whole roster (one request at a time). */
  function askForRoster(): void {
    if (askingRoster || !socket.connected) return;
    askingRoster = true;
    askServer(socket, 'lead:agents', {}, agentsResultSchema, ROUTING_REQUEST_TIMEOUT_MS)
      .then((result) =>
        onAgents({ agents: result.agents, at: options.now(), complete: true, removed: [], ...(result.epoch !== undefined ? { epoch: result.epoch } : {}) }),
      )
      // Unanswered: the next diff asks again, and the leader sends every lead the whole roster when one connects.
      .catch(() => undefined)
      .finally(() => {
        askingRoster = false;
      });
  }

  function onDisconnect(): void {
    // The roster sent on reconnect may come from a node that has not heard the newest leader yet: it applies whatever its epoch.
    rosterEpoch = null;
    // The server re-sends every open offer after a reconnect; none can be answered meanwhile.
    if (offers.size === 0) return;
    clearOffers();
    announceOffers();
  }

  socket.on('routing:offer', onOffer);
  socket.on('routing:offerWithdrawn', onOfferWithdrawn);
  socket.on('presence:changed', onPresence);
  socket.on('lead:agents', onAgents);
  socket.on('disconnect', onDisconnect);

  /**
   * Sends one routing request and returns the validated result, or throws an RpcError. A
   * request that changes something and got no answer while the socket stayed up reached the
   * server, which may have done it: `unconfirmed` says so, where "cannot reach the server"
   * would be untrue (docs/technical/routing.md, "When the leader is slow").
   */
  async function request<S extends z.ZodType>(
    event: RoutingEvent,
    payload: unknown,
    resultSchema: S,
    options: { changes?: boolean } = {},
  ): Promise<z.output<S>> {
    if (stopped || !socket.connected) throw new RpcError('offline', 'This needs a connection to the server; the workstation is offline.');
    try {
      return await askServer(socket, event, payload, resultSchema, ROUTING_REQUEST_TIMEOUT_MS);
    } catch (error) {
      if (options.changes && error instanceof RpcError && error.code === 'server_unreachable' && socket.connected)
        throw new RpcError(
          'unconfirmed',
          `The server did not confirm ${event} within ${String(ROUTING_REQUEST_TIMEOUT_MS / 1000)} s; it may or may not have been done.`,
        );
      throw error;
    }
  }

  return {
    presence: () => presence,
    offers: sortedOffers,

    async setPresence(params) {
      const result = await request('presence:set', params, presenceResultSchema, { changes: true });
      // The server also pushes presence:changed; this keeps the answer and the state in step if that push is late.
      presence = presenceAfterOwnChange(result, presence);
      options.emit('presence', presence);
      return result;
    },

    async respondToOffer(params) {
      // A failure keeps the offer (it throws before the drop): `routing_busy` did nothing and `unconfirmed` may
      // have, and either way answering again is safe while it lasts (an accept that went through answers "accepted").
      const result = await request('offer:respond', params, offerResponseResultSchema, { changes: true });
      // Whatever the outcome, the offer is no longer this agent's to answer.
      if (dropOffer(params.ticketId)) announceOffers();
      return result;
    },

    async audit(ticketId) {
      return (await request('routing:audit', { ticketId }, routingAuditResultSchema)).entries;
    },

    transferTargets: (ticketId) => request('ticket:transferTargets', { ticketId }, transferTargetsResultSchema),

    bulkTargets(ticketIds) {
      if (user.role === 'agent') throw new RpcError('forbidden', 'Only leads reassign tickets in bulk.');
      const tickets = ticketIds.map((ticketId) => cache.reader.ticket(ticketId)).filter((ticket) => ticket !== null);
      // The roster holds agents only (the server's routing engine lists no one else).
      const agents = [...roster.values()].map((status): TransferAgentFacts => ({ ...status, role: 'agent' }));
      return { agents: bulkTransferCandidates(tickets, agents) };
    },

    async agents() {
      const { agents } = await request('lead:agents', {}, agentsResultSchema);
      return agents;
    },

    reassign: (params) => request('lead:reassign', params, leadReassignResultSchema, { changes: true }),

    async pin(params) {
      return (await request('lead:pin', params, ticketResultSchema, { changes: true })).ticket;
    },

    async setAgentPresence(params) {
      return (await request('lead:setPresence', params, agentStatusResultSchema, { changes: true })).agent;
    },

    async setAgentCapacity(params) {
      return (await request('lead:setCapacity', params, agentStatusResultSchema, { changes: true })).agent;
    },

    stop() {
      if (stopped) return;
      stopped = true;
      clearOffers();
      socket.off('routing:offer', onOffer);
      socket.off('routing:offerWithdrawn', onOfferWithdrawn);
      socket.off('presence:changed', onPresence);
      socket.off('lead:agents', onAgents);
      socket.off('disconnect', onDisconnect);
    },
  };
}
