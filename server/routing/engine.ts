/**
 * The routing engine (智能分配), pure: agents with presence, capacity and load, the queue
 * of waiting tickets and the outstanding offers, all in memory. Every operation takes
 * `now` and returns the effects to persist and announce; nothing here reads a clock,
 * sets a timer or touches the store. The server feeds it from the store on start, keeps
 * it in step with committed ticket snapshots (`observeTicket`) and calls `tick(now)` at
 * `nextWakeAt()`. Modelled on Twilio TaskRouter (workers, activities, reservations with
 * a timeout) and Salesforce/Zendesk omnichannel capacity. See docs/technical/routing.md.
 */
import {
  defaultTicketRouting,
  isOpenStatus,
  type AssignmentReason,
  type Channel,
  type Priority,
  type QueuedCause,
  type RoutingBasis,
  type Ticket,
  type TicketRouting,
  type TicketStatus,
  type User,
} from '../../shared/domain.js';
import {
  DEFAULT_CAPACITY,
  DEFAULT_OFFER_TIMEOUT_MS,
  ESCALATION_TARGET_MS,
  SOFT_OPEN_TICKET_LIMIT,
  emptyLoad,
  isRealTimeChannel,
  type AgentStatus,
  type Capacity,
  type OfferWithdrawn,
  type Presence,
  type PresenceCause,
  type ReassignOutcome,
  type RoutingDecisionKind,
} from '../../shared/routing.js';

/** The knobs of the engine; every one has a default (`DEFAULT_ROUTING_CONFIG`). */
export interface RoutingConfig {
  /** How long an agent has to accept a phone/chat offer. */
  offerTimeoutMs: number;
  /** After this many offer time-outs in a row the agent is set away. */
  maxConsecutiveTimeouts: number;
  /** A disconnected agent stays as they were this long before going offline. */
  disconnectGraceMs: number;
  /** When an agent goes offline, keep their email/social tickets (true) or queue them too. */
  keepAsyncTicketsWhenOffline: boolean;
  /** Pacing: at most this many new tickets per agent per drain tick, so a backlog spreads over arriving agents. */
  perAgentPerTick: number;
  drainIntervalMs: number;
  /** An agent who declined (or missed) a ticket is not offered it again for this long. */
  declineCooldownMs: number;
  /** Set an available agent away after this long without any activity; null = never. */
  idleAwayMs: number | null;
  /** Assign phone/chat directly instead of offering them (Salesforce's "auto-accept"). */
  autoAccept: boolean;
}

export const DEFAULT_ROUTING_CONFIG: Readonly<RoutingConfig> = {
  offerTimeoutMs: DEFAULT_OFFER_TIMEOUT_MS,
  maxConsecutiveTimeouts: 2,
  disconnectGraceMs: 60_000,
  keepAsyncTicketsWhenOffline: true,
  perAgentPerTick: 2,
  drainIntervalMs: 5_000,
  declineCooldownMs: 60_000,
  idleAwayMs: null,
  autoAccept: false,
};

/** Stored per-agent routing settings (presence and capacity survive restarts). */
export interface AgentSettings {
  presence: Presence;
  presenceCause: PresenceCause;
  presenceSince: number;
  capacity: Capacity;
  phoneBlocksChat: boolean;
}

export function defaultAgentSettings(now: number): AgentSettings {
  return { presence: 'offline', presenceCause: 'disconnected', presenceSince: now, capacity: { ...DEFAULT_CAPACITY }, phoneBlocksChat: true };
}

/** The ticket facts routing needs (a ticket plus its customer's VIP tier). */
export interface RoutableTicket {
  ticket: Ticket;
  vipTier: number;
}

/** What the server must persist and announce after an engine operation, in order. */
export type RoutingEffect =
  | {
      kind: 'ticket';
      ticketId: string;
      /** Who holds the ticket now (null = waiting in the queue). */
      assignee: { id: string; name: string } | null;
      /** The new assignment reason; null leaves the stored one. */
      reason: AssignmentReason | null;
      routing: TicketRouting;
      audit: { decision: RoutingDecisionKind; reason: AssignmentReason | null; actorName: string | null; agentId: string | null; agentName: string | null };
    }
  | { kind: 'offer'; ticketId: string; agentId: string; offeredAt: number; expiresAt: number; basis: RoutingBasis }
  | { kind: 'withdrawn'; ticketId: string; agentId: string; reason: OfferWithdrawn['reason'] }
  | { kind: 'presence'; agentId: string; presence: Presence; cause: PresenceCause; byName: string | null; at: number };

interface AgentState {
  user: User;
  channels: Set<Channel>;
  groups: Set<string>;
  languages: Set<string>;
  presence: Presence;
  presenceCause: PresenceCause;
  presenceSince: number;
  capacity: Capacity;
  phoneBlocksChat: boolean;
  connections: number;
  disconnectedAt: number | null;
  lastActivityAt: number;
  load: Capacity;
  openTickets: number;
  offers: number;
  lastAssignedAt: number | null;
  consecutiveTimeouts: number;
  tickIndex: number;
  takenThisTick: number;
}

interface OfferState {
  agentId: string;
  offeredAt: number;
  expiresAt: number;
  basis: RoutingBasis;
  reason: AssignmentReason;
}

interface TicketState {
  id: string;
  channel: Channel;
  type: Ticket['type'];
  priority: Priority;
  status: TicketStatus;
  dueAt: number;
  createdAt: number;
  customerId: string;
  vipTier: number;
  assigneeId: string | null;
  routing: TicketRouting;
  offer: OfferState | null;
  /** agentId → until when they are not offered this ticket again. */
  declined: Map<string, number>;
  queuedCause: QueuedCause | null;
  /** The lead who pinned it (the pinned agent is in routing). */
  pinnedBy: string;
  /** Rank position key, fixed while queued (see `compareRank`). */
  overdueBand: number;
  /** Waiting in the queue (removal leaves a tombstone in the array until the next compaction). */
  queued: boolean;
  /** Physically in the queue array (queued, or a tombstone not yet compacted). */
  inArray: boolean;
}

const PRIORITY_RANK: Record<Priority, number> = { urgent: 0, normal: 1, low: 2 };

function isUrgent(t: Pick<TicketState, 'priority' | 'type'>): boolean {
  return t.priority === 'urgent' || t.type === 'complaint';
}

/** An engine decision record, kept for tests and the bench (the effects are what the server uses). */
export interface DecisionRecord {
  kind: 'assign' | 'offer';
  ticketId: string;
  agentId: string;
  channel: Channel;
  /** The agent's load on the ticket's channel before the decision. */
  loadBefore: number;
  capacity: number;
  at: number;
  /** drain: the queue rule; pin/lead: an override. */
  via: 'drain' | 'pin' | 'lead';
}

/** One ticket of a (bulk) reassignment, before the server adds the ticket snapshot. */
export type EngineReassignOutcome = { ticketId: string; ok: true } | Omit<Extract<ReassignOutcome, { ok: false }>, never>;

/** The engine's state and operations. */
export interface RoutingEngine {
  readonly config: RoutingConfig;
  /** Adds or refreshes a user (agents are routable; leads and admins are not). */
  upsertUser(user: User, settings: AgentSettings): void;
  /** Loads or refreshes a ticket from the store without deciding anything (start-up, committed snapshots). */
  observeTicket(input: RoutableTicket, now: number): RoutingEffect[];
  /** A new or still-queued ticket to route now; returns the effects (this ticket's first). */
  admit(input: RoutableTicket, now: number): RoutingEffect[];
  connect(agentId: string, now: number): RoutingEffect[];
  disconnect(agentId: string, now: number): RoutingEffect[];
  setPresence(agentId: string, presence: Presence, cause: PresenceCause, byName: string | null, now: number): RoutingEffect[];
  setCapacity(agentId: string, capacity: Partial<Capacity>, phoneBlocksChat: boolean | undefined, now: number): RoutingEffect[];
  /** The agent answers an offer. */
  respond(ticketId: string, agentId: string, accept: boolean, now: number): { outcome: 'accepted' | 'declined' | 'expired' | 'not_offered'; effects: RoutingEffect[] };
  escalate(ticketId: string, by: User, reason: string, now: number): { ok: true; effects: RoutingEffect[] } | { ok: false; code: 'not_found' | 'conflict'; message: string };
  reassign(ticketIds: readonly string[], to: string | null, byName: string, now: number): { outcomes: EngineReassignOutcome[]; effects: RoutingEffect[] };
  pin(ticketId: string, agentId: string | null, byName: string, now: number): { ok: true; effects: RoutingEffect[] } | { ok: false; code: 'not_found' | 'not_eligible'; message: string };
  /** Expires offers and grace periods, applies idle-away, drains the queue. */
  tick(now: number): RoutingEffect[];
  /** When `tick` has something to do next; null when nothing is pending. */
  nextWakeAt(now: number): number | null;
  agentStatus(agentId: string): AgentStatus | null;
  agentStatuses(): AgentStatus[];
  /** Waiting tickets in queue order (offered ones included). */
  queuedTicketIds(now: number): string[];
  ticketView(ticketId: string): { assigneeId: string | null; offerAgentId: string | null; offerBasis: RoutingBasis | null; status: TicketStatus; routing: TicketRouting } | null;
  /** The decisions made so far (assignments and offers), oldest first; cleared by the caller when read. */
  readonly decisions: DecisionRecord[];
  isEligible(agentId: string, ticketId: string, now: number, ignoreCapacity?: boolean): boolean;
}

export function createRoutingEngine(overrides: Partial<RoutingConfig> = {}): RoutingEngine {
  const config: RoutingConfig = { ...DEFAULT_ROUTING_CONFIG, ...overrides };
  const agents = new Map<string, AgentState>();
  const tickets = new Map<string, TicketState>();
  /** Open, unassigned tickets, kept in rank order (see compareRank). */
  let queue: TicketState[] = [];
  let tombstones = 0;
  /** Agents by channel skill, so choosing scans only those who could take the channel. */
  const byChannel = new Map<Channel, AgentState[]>();
  /** The time the overdue bands were last computed; the queue is re-sorted when a band flips. */
  let nextBandFlipAt = Number.POSITIVE_INFINITY;
  const lastAgentByCustomer = new Map<string, { agentId: string; ticketId: string; at: number }>();
  const decisions: DecisionRecord[] = [];

  // --- queue order ---------------------------------------------------------------------
  // Overdue tickets first (no starvation: a low-priority ticket past its SLA jumps ahead),
  // then priority, then SLA due time, then age, then id.
  function compareRank(a: TicketState, b: TicketState): number {
    return (
      a.overdueBand - b.overdueBand ||
      PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
      a.dueAt - b.dueAt ||
      a.createdAt - b.createdAt ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    );
  }

  /** Drops removed tickets from the queue array (removal is O(1); this is O(n), done once per pass). */
  function compact(force = true): TicketState[] {
    // Tombstones are skipped by every walk; the array is rebuilt only when they pile up (or when asked).
    if (tombstones > 0 && (force || tombstones > 64 + queue.length / 4)) {
      for (const t of queue) if (!t.queued) t.inArray = false;
      queue = queue.filter((t) => t.queued);
      tombstones = 0;
    }
    return queue;
  }

  function resortQueue(now: number): void {
    compact();
    nextBandFlipAt = Number.POSITIVE_INFINITY;
    for (const t of queue) {
      t.overdueBand = t.dueAt <= now ? 0 : 1;
      if (t.overdueBand === 1 && t.dueAt < nextBandFlipAt) nextBandFlipAt = t.dueAt;
    }
    queue.sort(compareRank);
  }

  function enqueue(t: TicketState, now: number): void {
    if (t.queued) return;
    // Its own tombstone must go first, so the ticket is in the array once.
    compact(t.inArray);
    t.queued = true;
    t.inArray = true;
    t.overdueBand = t.dueAt <= now ? 0 : 1;
    if (t.overdueBand === 1 && t.dueAt < nextBandFlipAt) nextBandFlipAt = t.dueAt;
    let lo = 0;
    let hi = queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareRank(queue[mid]!, t) < 0) lo = mid + 1;
      else hi = mid;
    }
    queue.splice(lo, 0, t);
  }

  function dequeue(t: TicketState): void {
    if (!t.queued) return;
    t.queued = false;
    tombstones++;
  }

  // --- agents -----------------------------------------------------------------------
  function reindexChannels(): void {
    byChannel.clear();
    for (const a of agents.values()) {
      if (a.user.role !== 'agent') continue;
      for (const c of a.channels) {
        let list = byChannel.get(c);
        if (!list) byChannel.set(c, (list = []));
        list.push(a);
      }
    }
  }

  function agentOf(id: string | null): AgentState | undefined {
    return id === null ? undefined : agents.get(id);
  }

  function statusOf(a: AgentState): AgentStatus {
    return {
      userId: a.user.id,
      username: a.user.username,
      displayName: a.user.displayName,
      presence: a.presence,
      presenceCause: a.presenceCause,
      presenceSince: a.presenceSince,
      connected: a.connections > 0,
      capacity: { ...a.capacity },
      phoneBlocksChat: a.phoneBlocksChat,
      load: { ...a.load },
      openTickets: a.openTickets,
      offers: a.offers,
      channels: [...a.user.channels],
      groups: [...a.user.groups],
      tier: a.user.tier,
      senior: a.user.senior,
      languages: [...a.languages],
      lastAssignedAt: a.lastAssignedAt,
    };
  }

  function routable(a: AgentState): boolean {
    return a.user.role === 'agent' && a.presence === 'available' && a.connections > 0;
  }

  function hasRoom(a: AgentState, channel: Channel): boolean {
    if (a.load[channel] >= a.capacity[channel]) return false;
    if (channel === 'chat' && a.phoneBlocksChat && a.load.phone > 0) return false;
    return true;
  }

  function skilled(a: AgentState, t: TicketState): boolean {
    if (!a.channels.has(t.channel)) return false;
    if (a.user.tier < t.routing.requiredTier) return false;
    // An escalated ticket belongs to the tier-2 group, whatever its topic group was.
    // An agent without topic groups is a generalist.
    if (t.routing.requiredTier === 1 && t.routing.group !== null && a.groups.size > 0 && !a.groups.has(t.routing.group)) return false;
    if (t.routing.language !== null && !a.languages.has(t.routing.language)) return false;
    return true;
  }

  // Cheapest checks first: this runs for every candidate of every ticket a drain looks at.
  function eligible(a: AgentState, t: TicketState, now: number, ignoreCapacity = false): boolean {
    if (!routable(a)) return false;
    if (!ignoreCapacity && !hasRoom(a, t.channel)) return false;
    if (t.routing.pinnedAgentId !== null && t.routing.pinnedAgentId !== a.user.id) return false;
    if (t.declined.size > 0) {
      const until = t.declined.get(a.user.id);
      if (until !== undefined && until > now) return false;
    }
    return skilled(a, t);
  }

  function paced(a: AgentState, now: number): boolean {
    const index = Math.floor(now / config.drainIntervalMs);
    if (a.tickIndex !== index) {
      a.tickIndex = index;
      a.takenThisTick = 0;
    }
    return a.takenThisTick >= config.perAgentPerTick;
  }

  function presenceEffect(a: AgentState, presence: Presence, cause: PresenceCause, byName: string | null, now: number, effects: RoutingEffect[]): void {
    if (a.presence === presence && a.presenceCause === cause) return;
    a.presence = presence;
    a.presenceCause = cause;
    a.presenceSince = now;
    a.lastActivityAt = now;
    effects.push({ kind: 'presence', agentId: a.user.id, presence, cause, byName, at: now });
  }

  // --- ticket bookkeeping ---------------------------------------------------------------
  function addLoad(t: TicketState, delta: number): void {
    const a = agentOf(t.assigneeId);
    if (!a || !isOpenStatus(t.status)) return;
    a.load[t.channel] += delta;
    a.openTickets += delta;
  }

  function routingOf(t: TicketState): TicketRouting {
    const offer = t.offer;
    const agent = offer ? agents.get(offer.agentId) : undefined;
    return {
      ...t.routing,
      offer: offer ? { agentId: offer.agentId, agentName: agent?.user.displayName ?? offer.agentId, offeredAt: offer.offeredAt, expiresAt: offer.expiresAt } : null,
    };
  }

  function ticketEffect(
    t: TicketState,
    decision: RoutingDecisionKind,
    reason: AssignmentReason | null,
    auditReason: AssignmentReason | null,
    actorName: string | null,
    agentId: string | null,
  ): RoutingEffect {
    const assignee = agentOf(t.assigneeId);
    const agent = agentOf(agentId);
    return {
      kind: 'ticket',
      ticketId: t.id,
      assignee: t.assigneeId === null ? null : { id: t.assigneeId, name: assignee?.user.displayName ?? t.assigneeId },
      reason,
      routing: routingOf(t),
      audit: { decision, reason: auditReason, actorName, agentId, agentName: agent?.user.displayName ?? null },
    };
  }

  /** Ends the ticket's offer without deciding anything else (load released). */
  function clearOffer(t: TicketState): OfferState | null {
    const offer = t.offer;
    if (!offer) return null;
    t.offer = null;
    const a = agents.get(offer.agentId);
    if (a) {
      a.load[t.channel]--;
      a.offers--;
    }
    return offer;
  }

  function assignTo(t: TicketState, a: AgentState, now: number): void {
    dequeue(t);
    t.assigneeId = a.user.id;
    t.queuedCause = null;
    t.declined.clear();
    if (t.status === 'unassigned') t.status = 'in_progress';
    addLoad(t, +1);
    a.lastAssignedAt = now;
    a.lastActivityAt = now;
    lastAgentByCustomer.set(t.customerId, { agentId: a.user.id, ticketId: t.id, at: now });
  }

  function unassign(t: TicketState, now: number): void {
    addLoad(t, -1);
    t.assigneeId = null;
    if (isOpenStatus(t.status)) {
      t.status = 'unassigned';
      enqueue(t, now);
    }
  }

  // --- choosing -----------------------------------------------------------------------
  interface Choice {
    agent: AgentState;
    basis: RoutingBasis;
    reason: AssignmentReason;
  }

  function compareLoad(a: AgentState, b: AgentState): number {
    const softA = a.openTickets >= SOFT_OPEN_TICKET_LIMIT ? 1 : 0;
    const softB = b.openTickets >= SOFT_OPEN_TICKET_LIMIT ? 1 : 0;
    return (
      softA - softB ||
      a.openTickets - b.openTickets ||
      (a.lastAssignedAt ?? Number.NEGATIVE_INFINITY) - (b.lastAssignedAt ?? Number.NEGATIVE_INFINITY) ||
      (a.user.username < b.user.username ? -1 : a.user.username > b.user.username ? 1 : 0)
    );
  }

  function choose(t: TicketState, now: number, respectPacing: boolean, candidates?: readonly AgentState[]): Choice | null {
    let pool: AgentState[] = [];
    if (t.routing.pinnedAgentId !== null) {
      const a = agents.get(t.routing.pinnedAgentId);
      if (a && eligible(a, t, now)) pool.push(a);
    } else {
      for (const a of candidates ?? byChannel.get(t.channel) ?? []) if (!(respectPacing && paced(a, now)) && eligible(a, t, now)) pool.push(a);
    }
    if (pool.length === 0) return null;
    if (t.routing.pinnedAgentId !== null) {
      return { agent: pool[0]!, basis: 'pinned', reason: { code: 'pinned', byName: t.pinnedBy } };
    }
    let basis: RoutingBasis = t.routing.requiredTier === 2 ? 'escalated_tier2' : 'least_loaded';
    if (basis === 'least_loaded' && (t.vipTier > 0 || isUrgent(t))) {
      const seniors = pool.filter((a) => a.user.senior);
      if (seniors.length > 0) {
        pool = seniors;
        basis = t.vipTier > 0 ? 'vip_senior' : 'urgent_senior';
      }
    }
    const previous = lastAgentByCustomer.get(t.customerId);
    if (previous && previous.ticketId !== t.id) {
      const returning = pool.find((a) => a.user.id === previous.agentId);
      if (returning) {
        return {
          agent: returning,
          basis: 'returning_customer',
          reason: { code: 'returning_customer', channel: t.channel, previousTicketId: /^GD\d{11,}$/.test(previous.ticketId) ? previous.ticketId : null },
        };
      }
    }
    let best = pool[0]!;
    let runnerUp: AgentState | null = null;
    for (let i = 1; i < pool.length; i++) {
      const a = pool[i]!;
      if (compareLoad(a, best) < 0) {
        runnerUp = best;
        best = a;
      } else if (!runnerUp || compareLoad(a, runnerUp) < 0) runnerUp = a;
    }
    const openTickets = best.openTickets;
    switch (basis) {
      case 'vip_senior':
        return { agent: best, basis, reason: { code: 'vip_senior', channel: t.channel, vipTier: Math.min(5, t.vipTier), openTickets } };
      case 'urgent_senior':
        return { agent: best, basis, reason: { code: 'urgent_senior', channel: t.channel, openTickets } };
      case 'escalated_tier2':
        return { agent: best, basis, reason: { code: 'escalated_tier2', channel: t.channel, escalatedBy: t.routing.escalation?.byName ?? '', openTickets } };
      default: {
        let tieBreak: 'none' | 'idle_longest' | 'username' = 'none';
        if (runnerUp && runnerUp.openTickets === best.openTickets) {
          tieBreak = (runnerUp.lastAssignedAt ?? -1) === (best.lastAssignedAt ?? -1) ? 'username' : 'idle_longest';
        }
        return { agent: best, basis: 'least_loaded', reason: { code: 'least_loaded', channel: t.channel, openTickets, tieBreak } };
      }
    }
  }

  /** Why a ticket has nobody right now. */
  function causeFor(t: TicketState, now: number): QueuedCause {
    if (t.routing.pinnedAgentId !== null) return 'waiting_for_pinned_agent';
    let skilledOnline = false;
    let declinedAll = false;
    let withRoom = false;
    for (const a of agents.values()) {
      if (!(a.user.role === 'agent' && a.connections > 0 && a.presence !== 'offline' && skilled(a, t))) continue;
      skilledOnline = true;
      const until = t.declined.get(a.user.id);
      if (until !== undefined && until > now) {
        declinedAll = true;
        continue;
      }
      if (routable(a) && hasRoom(a, t.channel)) withRoom = true;
    }
    if (!skilledOnline) return 'no_agent_online';
    if (withRoom) return 'pacing';
    return declinedAll ? 'offer_declined' : 'all_at_capacity';
  }

  /** Places one waiting ticket if someone can take it: an offer (phone/chat) or a direct assignment. */
  function place(t: TicketState, now: number, effects: RoutingEffect[], respectPacing: boolean, candidates?: readonly AgentState[]): AgentState | null {
    if (t.offer || t.assigneeId !== null || !isOpenStatus(t.status)) return null;
    const choice = choose(t, now, respectPacing, candidates);
    if (!choice) return null;
    const a = choice.agent;
    a.takenThisTick++;
    const offered = isRealTimeChannel(t.channel) && !config.autoAccept;
    decisions.push({
      kind: offered ? 'offer' : 'assign',
      ticketId: t.id,
      agentId: a.user.id,
      channel: t.channel,
      loadBefore: a.load[t.channel],
      capacity: a.capacity[t.channel],
      at: now,
      via: respectPacing ? 'drain' : 'pin',
    });
    if (offered) {
      t.offer = { agentId: a.user.id, offeredAt: now, expiresAt: now + config.offerTimeoutMs, basis: choice.basis, reason: choice.reason };
      a.load[t.channel]++;
      a.offers++;
      effects.push(ticketEffect(t, 'offered', null, choice.reason, null, a.user.id));
      effects.push({ kind: 'offer', ticketId: t.id, agentId: a.user.id, offeredAt: now, expiresAt: t.offer.expiresAt, basis: choice.basis });
    } else {
      assignTo(t, a, now);
      effects.push(ticketEffect(t, 'assigned', choice.reason, choice.reason, null, a.user.id));
    }
    return a;
  }

  function markQueued(t: TicketState, now: number, effects: RoutingEffect[], force = false): void {
    if (t.offer || t.assigneeId !== null) return;
    const cause = causeFor(t, now);
    if (!force && t.queuedCause === cause) return;
    t.queuedCause = cause;
    const reason: AssignmentReason = { code: 'queued', channel: t.channel, cause };
    effects.push(ticketEffect(t, 'queued', reason, reason, null, null));
  }

  /** Walks the queue in rank order and places what can be placed now. */
  function drain(now: number, effects: RoutingEffect[]): void {
    if (now >= nextBandFlipAt) resortQueue(now);
    const snapshot = compact(false);
    if (snapshot.length === tombstones) return;
    // Long queues: channels with no routable agent with room are skipped without choosing.
    // openCount[c] = agents that could still take a c ticket now; kept in step per placement.
    const openLists = snapshot.length > 32 ? openAgentsByChannel(now) : null;
    const openCount = openLists ? new Map([...openLists].map(([c, list]) => [c, list.length])) : null;
    let openTotal = openCount ? [...openCount.values()].reduce((x, y) => x + y, 0) : 1;
    for (const t of snapshot) {
      if (openTotal === 0) break;
      if (!t.queued || t.offer || (openCount && (openCount.get(t.channel) ?? 0) === 0)) continue;
      const a = place(t, now, effects, true, openLists?.get(t.channel));
      if (openCount && a) {
        // Only this agent changed: undo the placement for a moment to see what they were open for.
        a.takenThisTick--;
        a.load[t.channel]--;
        const was = openChannelsOf(a, now);
        a.takenThisTick++;
        a.load[t.channel]++;
        const is = openChannelsOf(a, now);
        for (const c of was) {
          if (is.includes(c)) continue;
          openCount.set(c, (openCount.get(c) ?? 1) - 1);
          openTotal--;
        }
      }
    }
    compact(false);
    // Recording why a ticket waits costs an agent scan: only paced tickets (whose cause lapses) pay it here; tick refreshes the rest.
    for (const t of queue) if (t.queued && !t.offer && t.queuedCause === 'pacing') markQueued(t, now, effects);
  }

  /** The channels this agent could take a ticket on right now (routable, not paced, with room). */
  function openChannelsOf(a: AgentState, now: number): Channel[] {
    if (!routable(a) || paced(a, now)) return [];
    const channels: Channel[] = [];
    for (const c of a.channels) if (hasRoom(a, c)) channels.push(c);
    return channels;
  }

  /** Agents who could take a ticket now, per channel (a drain chooses among these only). */
  function openAgentsByChannel(now: number): Map<Channel, AgentState[]> {
    const lists = new Map<Channel, AgentState[]>();
    for (const a of agents.values()) {
      for (const c of openChannelsOf(a, now)) {
        let list = lists.get(c);
        if (!list) lists.set(c, (list = []));
        list.push(a);
      }
    }
    return lists;
  }


  function withdrawAgentOffers(a: AgentState, reason: OfferWithdrawn['reason'], now: number, effects: RoutingEffect[]): void {
    if (a.offers === 0) return;
    for (const t of compact()) {
      if (t.offer?.agentId !== a.user.id) continue;
      clearOffer(t);
      effects.push({ kind: 'withdrawn', ticketId: t.id, agentId: a.user.id, reason });
      t.queuedCause = null;
      markQueued(t, now, effects, true);
    }
  }

  function goOffline(a: AgentState, cause: PresenceCause, byName: string | null, now: number, effects: RoutingEffect[]): void {
    presenceEffect(a, 'offline', cause, byName, now, effects);
    withdrawAgentOffers(a, 'agent_unavailable', now, effects);
    for (const t of [...tickets.values()]) {
      if (t.assigneeId !== a.user.id || !isOpenStatus(t.status)) continue;
      if (!isRealTimeChannel(t.channel) && config.keepAsyncTicketsWhenOffline) continue;
      unassign(t, now);
      const reason: AssignmentReason = { code: 'requeued_agent_offline', channel: t.channel, agentName: a.user.displayName };
      t.queuedCause = null;
      effects.push(ticketEffect(t, 'requeued', reason, reason, null, a.user.id));
    }
  }

  function ticketStateFrom(input: RoutableTicket, existing: TicketState | undefined): TicketState {
    const { ticket } = input;
    return {
      id: ticket.id,
      channel: ticket.channel,
      type: ticket.type,
      priority: ticket.priority,
      status: ticket.status,
      dueAt: ticket.dueAt,
      createdAt: ticket.createdAt,
      customerId: ticket.customerId,
      vipTier: input.vipTier,
      assigneeId: ticket.assigneeId,
      routing: existing ? existing.routing : { ...(ticket.routing ?? defaultTicketRouting()), offer: null },
      offer: existing?.offer ?? null,
      declined: existing?.declined ?? new Map(),
      queuedCause: existing?.queuedCause ?? (ticket.assignmentReason?.code === 'queued' ? ticket.assignmentReason.cause : null),
      pinnedBy: existing?.pinnedBy ?? '',
      queued: false,
      inArray: false,
      overdueBand: 1,
    };
  }

  /** Brings the engine's view of a ticket in line with a snapshot; withdraws offers it invalidates. */
  function sync(input: RoutableTicket, now: number, effects: RoutingEffect[]): TicketState {
    const existing = tickets.get(input.ticket.id);
    if (!existing) {
      const t = ticketStateFrom(input, undefined);
      tickets.set(t.id, t);
      addLoad(t, +1);
      if (t.assigneeId !== null) {
        const seen = lastAgentByCustomer.get(t.customerId);
        const at = input.ticket.assignedAt ?? input.ticket.createdAt;
        if (!seen || seen.at <= at) lastAgentByCustomer.set(t.customerId, { agentId: t.assigneeId, ticketId: t.id, at });
      }
      if (t.assigneeId === null && isOpenStatus(t.status)) enqueue(t, now);
      return t;
    }
    const { ticket } = input;
    const assigneeChanged = existing.assigneeId !== ticket.assigneeId;
    const statusChanged = existing.status !== ticket.status;
    const orderChanged = existing.priority !== ticket.priority || existing.dueAt !== ticket.dueAt;
    if (!assigneeChanged && !statusChanged && !orderChanged) {
      existing.vipTier = input.vipTier;
      return existing;
    }
    const offer = existing.offer;
    if (offer && (ticket.assigneeId !== null || !isOpenStatus(ticket.status))) {
      clearOffer(existing);
      effects.push({ kind: 'withdrawn', ticketId: existing.id, agentId: offer.agentId, reason: isOpenStatus(ticket.status) ? 'taken' : 'closed' });
    }
    addLoad(existing, -1);
    dequeue(existing);
    // Its rank keys may change below; a tombstone with new keys would mislead the binary search.
    if (orderChanged && existing.inArray) compact(true);
    existing.assigneeId = ticket.assigneeId;
    existing.status = ticket.status;
    existing.priority = ticket.priority;
    existing.dueAt = ticket.dueAt;
    existing.vipTier = input.vipTier;
    addLoad(existing, +1);
    if (existing.assigneeId !== null) {
      existing.queuedCause = null;
      if (assigneeChanged) {
        lastAgentByCustomer.set(existing.customerId, { agentId: existing.assigneeId, ticketId: existing.id, at: ticket.assignedAt ?? now });
        const a = agents.get(existing.assigneeId);
        if (a) a.lastActivityAt = now;
      }
    }
    if (existing.assigneeId === null && isOpenStatus(existing.status)) enqueue(existing, now);
    return existing;
  }

  // --- operations ---------------------------------------------------------------------
  const engine: RoutingEngine = {
    config,
    decisions,
    upsertUser(user, settings) {
      const existing = agents.get(user.id);
      if (existing) {
        const channelsChanged = existing.user.role !== user.role || existing.user.channels.join() !== user.channels.join();
        existing.user = user;
        existing.channels = new Set(user.channels);
        existing.groups = new Set(user.groups);
        existing.languages = new Set(user.languages);
        if (channelsChanged) reindexChannels();
        return;
      }
      agents.set(user.id, {
        user,
        channels: new Set(user.channels),
        groups: new Set(user.groups),
        languages: new Set(user.languages),
        presence: settings.presence,
        presenceCause: settings.presenceCause,
        presenceSince: settings.presenceSince,
        capacity: { ...settings.capacity },
        phoneBlocksChat: settings.phoneBlocksChat,
        connections: 0,
        disconnectedAt: null,
        lastActivityAt: settings.presenceSince,
        load: emptyLoad(),
        openTickets: 0,
        offers: 0,
        lastAssignedAt: null,
        consecutiveTimeouts: 0,
        tickIndex: -1,
        takenThisTick: 0,
      });
      if (user.role === 'agent') {
        const added = agents.get(user.id)!;
        for (const c of added.channels) {
          let list = byChannel.get(c);
          if (!list) byChannel.set(c, (list = []));
          list.push(added);
        }
      }
      // Tickets loaded before their agent count toward the agent now.
      for (const t of tickets.values()) {
        if (t.assigneeId === user.id && isOpenStatus(t.status)) {
          const a = agents.get(user.id)!;
          a.load[t.channel]++;
          a.openTickets++;
        }
      }
    },

    observeTicket(input, now) {
      const effects: RoutingEffect[] = [];
      const before = tickets.get(input.ticket.id);
      const wasAssignedTo = before?.assigneeId ?? null;
      const t = sync(input, now, effects);
      // A ticket that left someone (done, taken, reassigned) may free room for the queue.
      if (wasAssignedTo !== t.assigneeId || !isOpenStatus(t.status)) drain(now, effects);
      return effects;
    },

    admit(input, now) {
      const effects: RoutingEffect[] = [];
      const t = sync(input, now, effects);
      if (t.assigneeId === null && isOpenStatus(t.status) && !t.offer) {
        // Rank order: this ticket may only go ahead of tickets no agent could take anyway.
        drain(now, effects);
        if (!t.offer && t.assigneeId === null && t.queuedCause === null) markQueued(t, now, effects);
      }
      // This ticket's own effect first, so the caller can put it in the ticket it is writing.
      effects.sort((a, b) => Number(b.kind === 'ticket' && b.ticketId === t.id) - Number(a.kind === 'ticket' && a.ticketId === t.id));
      return effects;
    },

    connect(agentId, now) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (!a) return effects;
      a.connections++;
      a.disconnectedAt = null;
      a.lastActivityAt = now;
      if (a.user.role === 'agent' && a.presence === 'offline') presenceEffect(a, 'available', 'connected', null, now, effects);
      drain(now, effects);
      return effects;
    },

    disconnect(agentId, now) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (!a || a.connections === 0) return effects;
      a.connections--;
      if (a.connections > 0) return effects;
      a.disconnectedAt = now;
      // Nobody can accept an offer on a closed socket: it moves on at once.
      withdrawAgentOffers(a, 'agent_unavailable', now, effects);
      drain(now, effects);
      return effects;
    },

    setPresence(agentId, presence, cause, byName, now) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (!a) return effects;
      if (presence === 'offline') goOffline(a, cause, byName, now, effects);
      else {
        presenceEffect(a, presence, cause, byName, now, effects);
        if (presence === 'available') a.consecutiveTimeouts = 0;
        else withdrawAgentOffers(a, 'agent_unavailable', now, effects);
      }
      drain(now, effects);
      return effects;
    },

    setCapacity(agentId, capacity, phoneBlocksChat, now) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (!a) return effects;
      a.capacity = { ...a.capacity, ...capacity };
      if (phoneBlocksChat !== undefined) a.phoneBlocksChat = phoneBlocksChat;
      drain(now, effects);
      return effects;
    },

    respond(ticketId, agentId, accept, now) {
      const effects: RoutingEffect[] = [];
      const t = tickets.get(ticketId);
      if (!t || t.offer?.agentId !== agentId) return { outcome: 'not_offered', effects };
      const a = agents.get(agentId)!;
      if (t.offer.expiresAt <= now) {
        effects.push(...engine.tick(now));
        return { outcome: 'expired', effects };
      }
      const offer = clearOffer(t)!;
      a.lastActivityAt = now;
      a.consecutiveTimeouts = 0;
      if (accept) {
        assignTo(t, a, now);
        const reason: AssignmentReason = { code: 'offer_accepted', channel: t.channel, basis: offer.basis };
        effects.push(ticketEffect(t, 'assigned', reason, offer.reason, null, agentId));
        drain(now, effects);
        return { outcome: 'accepted', effects };
      }
      t.declined.set(agentId, now + config.declineCooldownMs);
      effects.push(ticketEffect(t, 'declined', null, null, a.user.displayName, agentId));
      t.queuedCause = null;
      drain(now, effects);
      markQueued(t, now, effects);
      return { outcome: 'declined', effects };
    },

    escalate(ticketId, by, reason, now) {
      const t = tickets.get(ticketId);
      if (!t || !isOpenStatus(t.status)) return { ok: false, code: 'not_found', message: `Ticket ${ticketId} is not open` };
      if (t.routing.requiredTier === 2) return { ok: false, code: 'conflict', message: `Ticket ${ticketId} is already escalated to tier 2` };
      const effects: RoutingEffect[] = [];
      const offer = clearOffer(t);
      if (offer) effects.push({ kind: 'withdrawn', ticketId, agentId: offer.agentId, reason: 'reassigned' });
      t.routing = {
        ...t.routing,
        requiredTier: 2,
        pinnedAgentId: null,
        pinnedAgentName: null,
        escalation: { reason, byId: by.id, byName: by.displayName, at: now, dueAt: now + ESCALATION_TARGET_MS },
      };
      t.declined.clear();
      const current = agentOf(t.assigneeId);
      if (current && current.user.tier < 2) unassign(t, now);
      else if (t.assigneeId === null) enqueue(t, now);
      t.queuedCause = null;
      effects.push(ticketEffect(t, 'escalated', null, null, by.displayName, t.assigneeId));
      if (t.assigneeId === null) {
        drain(now, effects);
        markQueued(t, now, effects);
      }
      return { ok: true, effects };
    },

    reassign(ticketIds, to, byName, now) {
      const effects: RoutingEffect[] = [];
      const outcomes: EngineReassignOutcome[] = [];
      const target = to === null ? null : agents.get(to);
      for (const ticketId of ticketIds) {
        const t = tickets.get(ticketId);
        if (!t) {
          outcomes.push({ ticketId, ok: false, code: 'not_found', message: `No ticket ${ticketId}` });
          continue;
        }
        if (!isOpenStatus(t.status)) {
          outcomes.push({ ticketId, ok: false, code: 'not_open', message: `Ticket ${ticketId} is ${t.status}` });
          continue;
        }
        if (to !== null) {
          if (!target || target.user.role !== 'agent' || !target.channels.has(t.channel) || target.user.tier < t.routing.requiredTier) {
            outcomes.push({ ticketId, ok: false, code: 'not_eligible', message: `${target?.user.displayName ?? to} cannot take ${t.channel} tickets${t.routing.requiredTier === 2 ? ' of tier 2' : ''}` });
            continue;
          }
          if (target.presence === 'offline') {
            outcomes.push({ ticketId, ok: false, code: 'agent_offline', message: `${target.user.displayName} is offline` });
            continue;
          }
          if (t.assigneeId === target.user.id) {
            outcomes.push({ ticketId, ok: true });
            continue;
          }
          const reservedForThem = t.offer?.agentId === target.user.id ? 1 : 0;
          if (target.load[t.channel] - reservedForThem >= target.capacity[t.channel]) {
            outcomes.push({ ticketId, ok: false, code: 'at_capacity', message: `${target.user.displayName} is at ${t.channel} capacity (${target.capacity[t.channel]})` });
            continue;
          }
        }
        const offer = clearOffer(t);
        if (offer) effects.push({ kind: 'withdrawn', ticketId, agentId: offer.agentId, reason: 'reassigned' });
        const reason: AssignmentReason = { code: 'assigned_by_lead', byName };
        if (target) {
          if (t.assigneeId !== null) addLoad(t, -1);
          decisions.push({ kind: 'assign', ticketId, agentId: target.user.id, channel: t.channel, loadBefore: target.load[t.channel], capacity: target.capacity[t.channel], at: now, via: 'lead' });
          t.assigneeId = null;
          assignTo(t, target, now);
          effects.push(ticketEffect(t, 'assigned', reason, reason, byName, target.user.id));
        } else {
          const from = t.assigneeId;
          if (from !== null) unassign(t, now);
          t.queuedCause = 'put_back_by_lead';
          t.declined.clear();
          effects.push(ticketEffect(t, 'queued', reason, reason, byName, from));
        }
        outcomes.push({ ticketId, ok: true });
      }
      drain(now, effects);
      return { outcomes, effects };
    },

    pin(ticketId, agentId, byName, now) {
      const t = tickets.get(ticketId);
      if (!t || !isOpenStatus(t.status)) return { ok: false, code: 'not_found', message: `Ticket ${ticketId} is not open` };
      const effects: RoutingEffect[] = [];
      if (agentId === null) {
        t.routing = { ...t.routing, pinnedAgentId: null, pinnedAgentName: null };
        effects.push(ticketEffect(t, 'unpinned', null, null, byName, null));
        if (t.assigneeId === null) {
          t.queuedCause = null;
          drain(now, effects);
          markQueued(t, now, effects);
        }
        return { ok: true, effects };
      }
      const a = agents.get(agentId);
      if (!a || a.user.role !== 'agent' || !skilled(a, t)) {
        return { ok: false, code: 'not_eligible', message: `${a?.user.displayName ?? agentId} lacks the skills for ticket ${ticketId}` };
      }
      const offer = t.offer && t.offer.agentId !== agentId ? clearOffer(t) : null;
      if (offer) effects.push({ kind: 'withdrawn', ticketId, agentId: offer.agentId, reason: 'reassigned' });
      t.routing = { ...t.routing, pinnedAgentId: agentId, pinnedAgentName: a.user.displayName };
      t.pinnedBy = byName;
      t.declined.delete(agentId);
      effects.push(ticketEffect(t, 'pinned', null, { code: 'pinned', byName }, byName, agentId));
      if (t.assigneeId !== null && t.assigneeId !== agentId) {
        // The pin takes the ticket from its holder; it goes to the pinned agent when they have room.
        const from = t.assigneeId;
        unassign(t, now);
        t.queuedCause = null;
        const reason: AssignmentReason = { code: 'queued', channel: t.channel, cause: 'waiting_for_pinned_agent' };
        effects.push(ticketEffect(t, 'queued', reason, reason, byName, from));
        t.queuedCause = 'waiting_for_pinned_agent';
      }
      if (t.assigneeId === null && !t.offer) {
        place(t, now, effects, false);
        markQueued(t, now, effects);
      }
      return { ok: true, effects };
    },

    tick(now) {
      const effects: RoutingEffect[] = [];
      const timedOut: TicketState[] = [];
      for (const t of compact()) {
        const offer = t.offer;
        if (!offer || offer.expiresAt > now) continue;
        clearOffer(t);
        const a = agents.get(offer.agentId);
        t.declined.set(offer.agentId, now + config.declineCooldownMs);
        effects.push({ kind: 'withdrawn', ticketId: t.id, agentId: offer.agentId, reason: 'timeout' });
        effects.push(ticketEffect(t, 'offer_timeout', null, null, null, offer.agentId));
        t.queuedCause = null;
        timedOut.push(t);
        if (a) {
          a.consecutiveTimeouts++;
          if (a.consecutiveTimeouts >= config.maxConsecutiveTimeouts && a.presence === 'available') {
            a.consecutiveTimeouts = 0;
            presenceEffect(a, 'away', 'offer_timeouts', null, now, effects);
            withdrawAgentOffers(a, 'agent_unavailable', now, effects);
          }
        }
      }
      for (const a of agents.values()) {
        if (a.disconnectedAt !== null && a.connections === 0 && now - a.disconnectedAt >= config.disconnectGraceMs) {
          a.disconnectedAt = null;
          if (a.presence !== 'offline' || a.presenceCause !== 'disconnected') goOffline(a, 'disconnected', null, now, effects);
        }
        if (config.idleAwayMs !== null && a.presence === 'available' && a.offers === 0 && now - a.lastActivityAt >= config.idleAwayMs) {
          presenceEffect(a, 'away', 'idle', null, now, effects);
        }
      }
      drain(now, effects);
      for (const t of timedOut) markQueued(t, now, effects);
      // Causes change as agents come and go; refreshed for tickets the engine has queued before (bounded, it scans agents).
      if (compact().length <= 500) for (const t of queue) if (!t.offer && t.queuedCause !== null) markQueued(t, now, effects);
      return effects;
    },

    nextWakeAt(now) {
      let next = Number.POSITIVE_INFINITY;
      let pacedWaiting = false;
      for (const t of compact()) {
        if (t.offer) next = Math.min(next, t.offer.expiresAt);
        else if (t.queuedCause === 'pacing') pacedWaiting = true;
        for (const until of t.declined.values()) if (until > now) next = Math.min(next, until);
      }
      for (const a of agents.values()) {
        if (a.disconnectedAt !== null) next = Math.min(next, a.disconnectedAt + config.disconnectGraceMs);
        if (config.idleAwayMs !== null && a.presence === 'available' && a.connections > 0) next = Math.min(next, a.lastActivityAt + config.idleAwayMs);
      }
      if (pacedWaiting) next = Math.min(next, (Math.floor(now / config.drainIntervalMs) + 1) * config.drainIntervalMs);
      if (queue.length > 0 && nextBandFlipAt > now) next = Math.min(next, nextBandFlipAt);
      return next === Number.POSITIVE_INFINITY ? null : Math.max(next, now);
    },

    agentStatus(agentId) {
      const a = agents.get(agentId);
      return a ? statusOf(a) : null;
    },

    agentStatuses() {
      return [...agents.values()].filter((a) => a.user.role === 'agent').map(statusOf);
    },

    queuedTicketIds(now) {
      if (now >= nextBandFlipAt) resortQueue(now);
      return compact().map((t) => t.id);
    },

    ticketView(ticketId) {
      const t = tickets.get(ticketId);
      return t ? { assigneeId: t.assigneeId, offerAgentId: t.offer?.agentId ?? null, offerBasis: t.offer?.basis ?? null, status: t.status, routing: routingOf(t) } : null;
    },

    isEligible(agentId, ticketId, now, ignoreCapacity = false) {
      const a = agents.get(agentId);
      const t = tickets.get(ticketId);
      return !!a && !!t && eligible(a, t, now, ignoreCapacity);
    },
  };
  return engine;
}
