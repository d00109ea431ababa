/**
 * The routing engine (智能分配), pure: agents with presence, capacity and load, the queue
 * of waiting tickets and the outstanding offers, all in memory. Every operation takes
 * `now` and returns the effects to persist and announce; nothing here reads a clock,
 * sets a timer or touches the store. The server feeds it from the store on start, keeps
 * it in step with committed ticket snapshots (`observeTicket`) and calls `tick(now)` at
 * `nextWakeAt()`. Modelled on Twilio TaskRouter (workers, activities, reservations with
 * a timeout) and Salesforce/Zendesk omnichannel capacity. See docs/technical/routing.md.
 *
 * It holds only what routing needs: agents, OPEN tickets (a closed one is dropped; reopened,
 * it is observed again) and a bounded memory of recent customers. Between `begin()` and
 * `end()` every change is journaled, so the server can undo what a rolled-back transaction decided.
 */
import {
  CHANNELS,
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
  noRoomReason,
  type AgentStatus,
  type Capacity,
  type OfferWithdrawn,
  type AwayReason,
  type Presence,
  type PresenceCause,
  type ReassignOutcome,
  type RoutingDecisionKind,
  type RoutingSkip,
} from '../../shared/routing.js';
import { createBoundedMap } from '../../shared/boundedMap.js';

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
  /** How many customers' last agent (for returning customers) are remembered; the oldest are forgotten first. */
  recentCustomerLimit: number;
  /**
   * Wrap-up (话后处理) per channel, ms: after a call ends (phone) or the agent completes a
   * ticket of the channel (chat, social, email) they get no new work this long. 0 = none.
   * The engine's default is none; the server applies the policies (shared/admin.ts).
   */
  wrapUpMs: Record<Channel, number>;
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
  recentCustomerLimit: 10_000,
  wrapUpMs: { phone: 0, chat: 0, social: 0, email: 0 },
};

/** Stored per-agent routing settings (presence and capacity survive restarts). */
export interface AgentSettings {
  presence: Presence;
  presenceCause: PresenceCause;
  presenceSince: number;
  awayReason: AwayReason | null;
  capacity: Capacity;
  phoneBlocksChat: boolean;
}

export function defaultAgentSettings(now: number): AgentSettings {
  return {
    presence: 'offline',
    presenceCause: 'disconnected',
    presenceSince: now,
    awayReason: null,
    capacity: { ...DEFAULT_CAPACITY },
    phoneBlocksChat: true,
  };
}

/** Who last handled a customer (a returning customer goes back to them when they can take it). */
export interface LastAgent {
  agentId: string;
  ticketId: string;
  at: number;
}

/** The ticket facts routing needs (a ticket plus its customer's VIP tier). */
export interface RoutableTicket {
  ticket: Ticket;
  vipTier: number;
  /** From the store, for a customer the engine no longer (or never) remembers. */
  lastAgent?: LastAgent | null;
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
  | { kind: 'presence'; agentId: string; presence: Presence; cause: PresenceCause; awayReason: AwayReason | null; byName: string | null; at: number }
  /** Wrap-up began (`until`) or ended (null): not stored (a new leader starts without it), only announced. */
  | { kind: 'wrapUp'; agentId: string; until: number | null; channel: Channel | null };

interface AgentState {
  user: User;
  channels: Set<Channel>;
  groups: Set<string>;
  languages: Set<string>;
  presence: Presence;
  presenceCause: PresenceCause;
  presenceSince: number;
  awayReason: AwayReason | null;
  capacity: Capacity;
  phoneBlocksChat: boolean;
  connections: number;
  disconnectedAt: number | null;
  lastActivityAt: number;
  load: Capacity;
  openTickets: number;
  /** Open offers per channel (their total: offerCount). */
  offered: Capacity;
  lastAssignedAt: number | null;
  consecutiveTimeouts: number;
  tickIndex: number;
  takenThisTick: number;
  /** A call is live on their extension (told by the CTI through the server). */
  onCall: boolean;
  /** In wrap-up until then (no new work); null = not. */
  wrapUpUntil: number | null;
  wrapUpChannel: Channel | null;
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
/** Up to this many queued tickets, every waiting ticket's cause is refreshed when agents change (each refresh scans the agents). */
const REFRESH_CAUSES_UP_TO = 500;
/**
 * More agents than this (or than a quarter of all agents) whose load key changed since the last
 * placement: the load order is sorted afresh instead of moving each (a move is a list search and a
 * splice per channel, a sort ~log n comparisons per agent; with 1,000 agents they cost the same at ~250).
 */
const REORDER_IN_PLACE_UP_TO = 32;

/** An agent's open offers, all channels: derived, so it cannot drift from the per-channel counts (nor need undoing apart). */
function offerCount(a: Pick<AgentState, 'offered'>): number {
  let count = 0;
  for (const channel of CHANNELS) count += a.offered[channel];
  return count;
}

function isUrgent(t: Pick<TicketState, 'priority' | 'type'>): boolean {
  return t.priority === 'urgent' || t.type === 'complaint';
}

/** An engine decision, reported to `onDecision` for tests and the bench (the effects are what the server uses; the audit is in the store). */
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
  /** `awayReason` only counts with 'away' (see awayReasonSchema). */
  setPresence(agentId: string, presence: Presence, cause: PresenceCause, byName: string | null, now: number, awayReason?: AwayReason | null): RoutingEffect[];
  setCapacity(agentId: string, capacity: Partial<Capacity>, phoneBlocksChat: boolean | undefined, now: number): RoutingEffect[];
  /** The agent answers an offer. */
  respond(
    ticketId: string,
    agentId: string,
    accept: boolean,
    now: number,
  ): { outcome: 'accepted' | 'declined' | 'expired' | 'not_offered'; effects: RoutingEffect[] };
  escalate(
    ticketId: string,
    by: User,
    reason: string,
    now: number,
  ): { ok: true; effects: RoutingEffect[] } | { ok: false; code: 'not_found' | 'conflict'; message: string };
  reassign(ticketIds: readonly string[], to: string | null, byName: string, now: number): { outcomes: EngineReassignOutcome[]; effects: RoutingEffect[] };
  pin(
    ticketId: string,
    agentId: string | null,
    byName: string,
    now: number,
  ): { ok: true; effects: RoutingEffect[] } | { ok: false; code: 'not_found' | 'not_eligible'; message: string };
  /**
   * Lets go the pins to `agentId` they can no longer honour (deactivated: no channel left; made a
   * lead; a skill the ticket needs taken away), so those tickets stop waiting for someone who
   * cannot take them, withdraws their offers of such tickets likewise, and drains. Call after
   * `upsertUser` with their new user.
   */
  releasePinsTo(agentId: string, byName: string, now: number): RoutingEffect[];
  /**
   * Lets go every pin whose agent can no longer take its ticket, whoever they are: what a load
   * finds stored (a pin written before its agent was deactivated, made a lead or lost a skill,
   * by a version that kept such pins). Unaudited by anyone (the system); drains.
   */
  releaseUnhonourablePins(now: number): RoutingEffect[];
  /**
   * Puts what `agentId` holds back in the queue (`requeued_agent_offline`) and drains: for a holder
   * who can never come back to it (deactivated, as a load finds them), every channel, email too.
   */
  requeueHeldBy(agentId: string, agentName: string, now: number): RoutingEffect[];
  /**
   * The wrap-up times in `config.wrapUpMs` changed (an admin's policies): a running wrap-up ends
   * no later than its channel's new time from now (at once when that is 0), then the queue drains.
   */
  wrapUpTimesChanged(now: number): RoutingEffect[];
  /** Expires offers and grace periods, applies idle-away, drains the queue. */
  tick(now: number): RoutingEffect[];
  /** When `tick` has something to do next; null when nothing is pending. */
  nextWakeAt(now: number): number | null;
  agentStatus(agentId: string): AgentStatus | null;
  agentStatuses(): AgentStatus[];
  /** The CTI's call state: a call is ringing or answered on this agent's extension (true) or not. */
  /** `wrapUp` (default true): a call that ended after talking starts the phone wrap-up; a missed one (false) does not. */
  setOnCall(agentId: string, onCall: boolean, now: number, wrapUp?: boolean): RoutingEffect[];
  /**
   * A wrap-up that began at `startedAt` under another routing leader (or before a restart): it
   * runs to `startedAt` + the channel's wrap-up time, like the one that began then; nothing when
   * that has passed (a longer running one is kept).
   */
  resumeWrapUp(agentId: string, channel: Channel, startedAt: number, now: number): RoutingEffect[];
  /** Waiting tickets in queue order (offered ones included). */
  queuedTicketIds(now: number): string[];
  /** An open ticket as the engine sees it; null for a ticket it does not hold (closed ones are dropped). */
  ticketView(
    ticketId: string,
  ): { assigneeId: string | null; offerAgentId: string | null; offerBasis: RoutingBasis | null; status: TicketStatus; routing: TicketRouting } | null;
  isEligible(agentId: string, ticketId: string, now: number, ignoreCapacity?: boolean): boolean;
  /**
   * Per available, connected agent: the channels on which they have no room (on a call, at
   * capacity) while tickets that match their skills wait there. Agents with none are left out.
   */
  skips(now: number): Map<string, RoutingSkip[]>;
  /** Starts journaling (nestable): every change from here can be undone with `end(mark, false)`. */
  begin(): number;
  /** Keeps (committed) or undoes (rolled back) the changes made since `mark`; journaling stops when the last mark ends. */
  end(mark: number, committed: boolean): void;
  /** How many entries the engine holds, per structure: what must stay flat however many tickets pass through. */
  footprint(): EngineFootprint;
  /** Every agent's and open ticket's inner state as plain data, for tests and debugging (e.g. that an undo restored everything). */
  inspect(): { agents: Array<Record<string, unknown>>; tickets: Array<Record<string, unknown>>; recentCustomers: number; nextBandFlipAt: number };
}

/** Entry counts of the engine's structures (see `footprint`). */
export interface EngineFootprint {
  agents: number;
  tickets: number;
  /** The queue array, tombstones included. */
  queueSlots: number;
  recentCustomers: number;
  declineEntries: number;
  journal: number;
}

/** Observers of the engine (tests and the bench count decisions; the server does not keep them). */
export interface RoutingEngineObservers {
  onDecision?: (decision: DecisionRecord) => void;
}

export function createRoutingEngine(overrides: Partial<RoutingConfig> = {}, observers: RoutingEngineObservers = {}): RoutingEngine {
  const config: RoutingConfig = { ...DEFAULT_ROUTING_CONFIG, ...overrides };
  const agents = new Map<string, AgentState>();
  /** Open tickets only: a closed ticket never routes again (a reopened one is observed anew). */
  const tickets = new Map<string, TicketState>();
  /** Tickets whose skills `sync` just changed (type, group, pin), read by `observeTicket` in the same call. */
  const regrouped = new Set<string>();
  /** Open, unassigned tickets, kept in rank order (see compareRank). */
  let queue: TicketState[] = [];
  let tombstones = 0;
  /** Agents by channel skill, so choosing scans only those who could take the channel. */
  const byChannel = new Map<Channel, AgentState[]>();
  /**
   * The same lists in `compareListed` order (least loaded first), so a placement walks from the
   * front to the first eligible agents instead of ranking every agent of the channel (with 1,000
   * agents that ranking was a sixth of a contact's CPU). Built lazily; an agent whose load key
   * changes (`openTickets`, `lastAssignedAt`, its user) is marked in `reorder` and moved back
   * into place before the next walk (an undo's restored agents too, when it left the channels'
   * agents as they were); a new agent or a channel change drops the order, built again by the next walk.
   */
  let byLoad: Map<Channel, AgentState[]> | null = null;
  const reorder = new Set<AgentState>();
  /** An agent's place in `byChannel`'s lists (creation order): the order the one-pass ranking kept among equals. */
  const listedAt = new WeakMap<AgentState, number>();
  let nextListed = 0;
  /** When the next queued ticket turns overdue (may be early, never late); the queue is re-sorted then. */
  let nextBandFlipAt = Number.POSITIVE_INFINITY;
  /** The last agent of the customers most recently assigned (bounded; the store knows the rest). */
  const lastAgentByCustomer = createBoundedMap<string, LastAgent>(config.recentCustomerLimit);
  const onDecision = observers.onDecision ?? (() => {});
  /** Agents in wrap-up, so expiry looks at them only (not at every agent on every drain). */
  const wrappingUp = new Set<AgentState>();
  /** A call or a wrap-up changed since the last drain: the waiting tickets' causes may say the wrong thing. */
  let causesMayHaveLapsed = false;
  /**
   * Every ticket whose recorded cause is `pacing` (and maybe some that no longer are: dropped as
   * met), so each drain re-records those without walking the whole queue: with 100,000 waiting
   * tickets that walk, once per ticket heard, made following a big commit quadratic. Derived,
   * rebuilt after an undo.
   */
  const pacedCause = new Set<TicketState>();
  /**
   * Every ticket with an offer or a decline cool-down (and maybe some that have neither any more:
   * dropped as met), so `nextWakeAt` looks at those, not at the whole queue: it runs after every
   * decision, and walking 100,000 waiting tickets took ~8 ms each time. Derived, rebuilt after an undo.
   */
  const timed = new Set<TicketState>();

  // --- the journal (undo log) --------------------------------------------------------------
  // While a mark is open, each change first records how to undo it. Agents and tickets are
  // restored field by field; the queue array, its tombstones and the channel index are
  // derived, and rebuilt after an undo instead of being journaled.
  let journal: Array<() => void> | null = null;
  let openMarks = 0;

  function touchAgent(a: AgentState): void {
    if (!journal) return;
    const saved: AgentState = { ...a, load: { ...a.load }, offered: { ...a.offered }, capacity: { ...a.capacity } };
    journal.push(() => {
      Object.assign(a, saved);
      loadKeyChanged(a);
    });
  }

  function touchTicket(t: TicketState): void {
    if (!journal) return;
    const saved: TicketState = { ...t, declined: new Map(t.declined) };
    journal.push(() => Object.assign(t, saved));
  }

  function putTicket(t: TicketState): void {
    tickets.set(t.id, t);
    if (t.queuedCause === 'pacing') pacedCause.add(t);
    journal?.push(() => tickets.delete(t.id));
  }

  function dropTicket(t: TicketState): void {
    tickets.delete(t.id);
    pacedCause.delete(t);
    journal?.push(() => tickets.set(t.id, t));
  }

  function rememberLastAgent(customerId: string, entry: LastAgent): void {
    const before = lastAgentByCustomer.get(customerId);
    const evicted = lastAgentByCustomer.set(customerId, entry);
    journal?.push(() => {
      lastAgentByCustomer.delete(customerId);
      if (before) lastAgentByCustomer.set(customerId, before);
      if (evicted) lastAgentByCustomer.set(evicted[0], evicted[1]);
    });
  }

  /** After an undo: the queue is every queued open ticket in rank order; the channel index follows the agents. */
  function rebuildDerived(): void {
    queue = [];
    for (const t of tickets.values()) {
      t.inArray = t.queued;
      if (t.queued) queue.push(t);
    }
    queue.sort(compareRank);
    tombstones = 0;
    reindexChannels();
    wrappingUp.clear();
    for (const a of agents.values()) if (a.wrapUpUntil !== null) wrappingUp.add(a);
    pacedCause.clear();
    timed.clear();
    for (const t of tickets.values()) {
      if (t.queuedCause === 'pacing') pacedCause.add(t);
      if (t.offer || t.declined.size > 0) timed.add(t);
    }
  }

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

  function lowerBandFlip(at: number): void {
    if (at >= nextBandFlipAt) return;
    const before = nextBandFlipAt;
    journal?.push(() => (nextBandFlipAt = before));
    nextBandFlipAt = at;
  }

  function resortQueue(now: number): void {
    compact();
    if (journal) {
      const bands = queue.map((t) => [t, t.overdueBand] as const);
      const flip = nextBandFlipAt;
      journal.push(() => {
        for (const [t, band] of bands) t.overdueBand = band;
        nextBandFlipAt = flip;
      });
    }
    nextBandFlipAt = Number.POSITIVE_INFINITY;
    for (const t of queue) {
      t.overdueBand = t.dueAt <= now ? 0 : 1;
      if (t.overdueBand === 1 && t.dueAt < nextBandFlipAt) nextBandFlipAt = t.dueAt;
    }
    queue.sort(compareRank);
  }

  function enqueue(t: TicketState, now: number): void {
    if (t.queued) return;
    touchTicket(t);
    // Its own tombstone must go first, so the ticket is in the array once.
    compact(t.inArray);
    t.queued = true;
    t.inArray = true;
    t.overdueBand = t.dueAt <= now ? 0 : 1;
    if (t.overdueBand === 1) lowerBandFlip(t.dueAt);
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
    touchTicket(t);
    t.queued = false;
    tombstones++;
  }

  // --- agents -----------------------------------------------------------------------
  function reindexChannels(): void {
    const before = new Map(byChannel);
    byChannel.clear();
    for (const a of agents.values()) {
      if (a.user.role !== 'agent') continue;
      for (const c of a.channels) {
        let list = byChannel.get(c);
        if (!list) byChannel.set(c, (list = []));
        list.push(a);
      }
    }
    // The load order survives an undo that left every channel's agents as they were (the usual
    // one: a followed commit's decisions taken back); the agents it restored are in `reorder`.
    const same = (a: readonly AgentState[] | undefined, b: readonly AgentState[]) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
    if (before.size !== byChannel.size || [...byChannel].some(([c, list]) => !same(before.get(c), list))) byLoad = null;
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
      awayReason: a.awayReason,
      connected: a.connections > 0,
      capacity: { ...a.capacity },
      phoneBlocksChat: a.phoneBlocksChat,
      onCall: a.onCall,
      wrapUpUntil: a.wrapUpUntil,
      wrapUpChannel: a.wrapUpChannel,
      load: { ...a.load },
      openTickets: a.openTickets,
      offers: offerCount(a),
      offered: { ...a.offered },
      channels: [...a.user.channels],
      groups: [...a.user.groups],
      tier: a.user.tier,
      senior: a.user.senior,
      languages: [...a.languages],
      lastAssignedAt: a.lastAssignedAt,
    };
  }

  /** Takes new work: an available, connected agent not in wrap-up (an expired wrap-up is ended before any drain). */
  function routable(a: AgentState): boolean {
    return a.user.role === 'agent' && a.presence === 'available' && a.connections > 0 && a.wrapUpUntil === null;
  }

  // --- wrap-up (话后处理) -------------------------------------------------------------------
  /** The contact of `channel` ended for this agent: no new work for the channel's wrap-up time (a longer one running is kept). */
  function startWrapUp(a: AgentState, channel: Channel, startedAt: number, effects: RoutingEffect[], now = startedAt): void {
    const ms = config.wrapUpMs[channel];
    if (a.user.role !== 'agent' || !(ms > 0)) return;
    const until = startedAt + ms;
    if (until <= now) return;
    if (a.wrapUpUntil !== null && a.wrapUpUntil >= until) return;
    touchAgent(a);
    a.wrapUpUntil = until;
    a.wrapUpChannel = channel;
    wrappingUp.add(a);
    causesMayHaveLapsed = true;
    journal?.push(() => wrappingUp.delete(a));
    effects.push({ kind: 'wrapUp', agentId: a.user.id, until, channel });
  }

  /**
   * Unpins a ticket whose pinned agent can no longer take it (not an agent any more, or a skill it
   * needs is gone: a new type, a deactivation): a pin waits for that agent only, and they are not
   * coming. The caller drains. True when it let the pin go.
   */
  function releasePinIfUnhonourable(t: TicketState, byName: string | null, effects: RoutingEffect[]): boolean {
    const pinned = t.routing.pinnedAgentId;
    if (pinned === null) return false;
    const a = agents.get(pinned);
    if (a && a.user.role === 'agent' && skilled(a, t)) return false;
    touchTicket(t);
    t.routing = { ...t.routing, pinnedAgentId: null, pinnedAgentName: null };
    effects.push(ticketEffect(t, 'unpinned', null, null, byName, null));
    if (t.assigneeId === null) setQueuedCause(t, null);
    return true;
  }

  /**
   * Lets go the pins to `agentId` (to anyone when null) that cannot be honoured, and withdraws the
   * offers they can no longer take (a channel, group or language taken away, made a lead: the
   * ticket sat on the offer until it timed out, beside agents who could take it), then drains;
   * what is still waiting is recorded queued.
   */
  function releasePins(agentId: string | null, byName: string | null, now: number): RoutingEffect[] {
    const effects: RoutingEffect[] = [];
    const released: TicketState[] = [];
    for (const t of tickets.values()) {
      const offer = t.offer;
      if (offer && (agentId === null || offer.agentId === agentId)) {
        const offered = agents.get(offer.agentId);
        if (!offered || offered.user.role !== 'agent' || !skilled(offered, t)) {
          clearOffer(t);
          effects.push({ kind: 'withdrawn', ticketId: t.id, agentId: offer.agentId, reason: 'reassigned' });
          setQueuedCause(t, null);
          released.push(t);
        }
      }
      const pinned = t.routing.pinnedAgentId;
      if (pinned === null || (agentId !== null && pinned !== agentId)) continue;
      if (releasePinIfUnhonourable(t, byName, effects) && t.assigneeId === null && !released.includes(t)) released.push(t);
    }
    if (effects.length === 0) return effects;
    drain(now, effects);
    for (const t of released) markQueued(t, now, effects);
    return effects;
  }

  /**
   * When idle-away sets this agent Away (null: it does not): Available with no presence change,
   * connect, assignment or accepted offer for `idleAwayMs`, connected or not (a lead may make a
   * disconnected agent Available). An offer out waits: its end or answer is a wake-up of its own.
   * `tick` and `nextWakeAt` both ask this, so they cannot disagree.
   */
  function idleAwayAt(a: AgentState): number | null {
    if (config.idleAwayMs === null || a.presence !== 'available' || offerCount(a) > 0) return null;
    return a.lastActivityAt + config.idleAwayMs;
  }

  /** Ends a wrap-up (deadline reached, or the agent is ready); the caller drains. */
  function endWrapUp(a: AgentState, effects: RoutingEffect[]): boolean {
    if (a.wrapUpUntil === null) return false;
    touchAgent(a);
    a.wrapUpUntil = null;
    a.wrapUpChannel = null;
    wrappingUp.delete(a);
    journal?.push(() => wrappingUp.add(a));
    effects.push({ kind: 'wrapUp', agentId: a.user.id, until: null, channel: null });
    return true;
  }

  /** Wrap-ups whose deadline has come end before anything is placed, whoever's operation it is. */
  function endDueWrapUps(now: number, effects: RoutingEffect[]): void {
    if (wrappingUp.size === 0) return;
    for (const a of [...wrappingUp]) if (a.wrapUpUntil !== null && a.wrapUpUntil <= now) endWrapUp(a, effects);
  }

  /** The shared room rule (shared/routing.ts), so the web chat's "anyone there" agrees with routing. */
  function hasRoom(a: AgentState, channel: Channel): boolean {
    return noRoomReason(a, channel) === null;
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

  // --- pacing ----------------------------------------------------------------------------
  function tickIndexAt(now: number): number {
    return Math.floor(now / config.drainIntervalMs);
  }

  /** Held back by pacing: took `perAgentPerTick` tickets in the current drain interval already. */
  function paced(a: AgentState, now: number): boolean {
    return a.tickIndex === tickIndexAt(now) && a.takenThisTick >= config.perAgentPerTick;
  }

  function countTaken(a: AgentState, now: number): void {
    touchAgent(a);
    const index = tickIndexAt(now);
    if (a.tickIndex !== index) {
      a.tickIndex = index;
      a.takenThisTick = 0;
    }
    a.takenThisTick++;
  }

  function presenceEffect(
    a: AgentState,
    presence: Presence,
    cause: PresenceCause,
    byName: string | null,
    now: number,
    effects: RoutingEffect[],
    awayReason: AwayReason | null = null,
  ): void {
    const reason = presence === 'away' ? awayReason : null;
    if (a.presence === presence && a.presenceCause === cause && a.awayReason === reason) return;
    touchAgent(a);
    // Still Away for another reason (break → meal) or by another hand: Away began when it began.
    if (a.presence !== presence) a.presenceSince = now;
    a.presence = presence;
    a.presenceCause = cause;
    a.awayReason = reason;
    a.lastActivityAt = now;
    effects.push({ kind: 'presence', agentId: a.user.id, presence, cause, awayReason: reason, byName, at: a.presenceSince });
  }

  // --- ticket bookkeeping ---------------------------------------------------------------
  function addLoad(t: TicketState, delta: number): void {
    const a = agentOf(t.assigneeId);
    if (!a || !isOpenStatus(t.status)) return;
    touchAgent(a);
    a.load[t.channel] += delta;
    a.openTickets += delta;
    loadKeyChanged(a);
  }

  function routingOf(t: TicketState): TicketRouting {
    const offer = t.offer;
    const agent = offer ? agents.get(offer.agentId) : undefined;
    return {
      ...t.routing,
      offer: offer
        ? { agentId: offer.agentId, agentName: agent?.user.displayName ?? offer.agentId, offeredAt: offer.offeredAt, expiresAt: offer.expiresAt }
        : null,
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
    touchTicket(t);
    t.offer = null;
    const a = agents.get(offer.agentId);
    if (a) {
      touchAgent(a);
      a.load[t.channel]--;
      a.offered[t.channel]--;
    }
    return offer;
  }

  function decline(t: TicketState, agentId: string, until: number): void {
    touchTicket(t);
    t.declined.set(agentId, until);
    timed.add(t);
  }

  function setQueuedCause(t: TicketState, cause: QueuedCause | null): void {
    if (t.queuedCause === cause) return;
    touchTicket(t);
    t.queuedCause = cause;
    if (cause === 'pacing') pacedCause.add(t);
  }

  function assignTo(t: TicketState, a: AgentState, now: number): void {
    dequeue(t);
    touchTicket(t);
    touchAgent(a);
    t.assigneeId = a.user.id;
    t.queuedCause = null;
    t.declined.clear();
    if (t.status === 'unassigned') t.status = 'in_progress';
    addLoad(t, +1);
    a.lastAssignedAt = now;
    loadKeyChanged(a);
    a.lastActivityAt = now;
    rememberLastAgent(t.customerId, { agentId: a.user.id, ticketId: t.id, at: now });
  }

  function unassign(t: TicketState, now: number): void {
    touchTicket(t);
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

  /** The least loaded of a sequence of agents and the one after it, by `compareLoad`, taking them in order. */
  interface Ranking {
    best: AgentState | null;
    runnerUp: AgentState | null;
    /** The customer's previous agent, if among them. */
    returning: AgentState | null;
  }

  /** `compareLoad`, then the agents' order in `byChannel`: the order in which ranking them one by one picks best and runner-up. */
  function compareListed(a: AgentState, b: AgentState): number {
    return compareLoad(a, b) || listedAt.get(a)! - listedAt.get(b)!;
  }

  function loadKeyChanged(a: AgentState): void {
    if (byLoad) reorder.add(a);
  }

  /** The channel's agents least loaded first, the order brought up to date. */
  function agentsByLoad(channel: Channel): readonly AgentState[] {
    if (byLoad && reorder.size > Math.max(REORDER_IN_PLACE_UP_TO, agents.size / 4)) byLoad = null;
    if (!byLoad) {
      reorder.clear();
      byLoad = new Map();
      for (const [c, list] of byChannel) byLoad.set(c, [...list].sort(compareListed));
    } else if (reorder.size > 0) {
      // Out first, then back in by binary search: every agent left in the lists has its key unchanged, so they are in order.
      for (const a of reorder) {
        for (const c of a.channels) {
          const list = byLoad.get(c);
          const at = list ? list.indexOf(a) : -1;
          if (at >= 0) list!.splice(at, 1);
        }
      }
      for (const a of reorder) {
        if (a.user.role !== 'agent') continue;
        for (const c of a.channels) {
          const list = byLoad.get(c);
          if (!list) continue;
          let lo = 0;
          let hi = list.length;
          while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (compareListed(list[mid]!, a) < 0) lo = mid + 1;
            else hi = mid;
          }
          list.splice(lo, 0, a);
        }
      }
      reorder.clear();
    }
    return byLoad.get(channel) ?? [];
  }

  function rank(r: Ranking, a: AgentState, returningId: string | null): void {
    if (!r.best) r.best = a;
    else if (compareLoad(a, r.best) < 0) {
      r.runnerUp = r.best;
      r.best = a;
    } else if (!r.runnerUp || compareLoad(a, r.runnerUp) < 0) r.runnerUp = a;
    if (r.returning === null && a.user.id === returningId) r.returning = a;
  }

  function choose(t: TicketState, now: number, respectPacing: boolean, candidates?: readonly AgentState[]): Choice | null {
    if (t.routing.pinnedAgentId !== null) {
      const a = agents.get(t.routing.pinnedAgentId);
      if (!a || !eligible(a, t, now)) return null;
      return { agent: a, basis: 'pinned', reason: { code: 'pinned', byName: t.pinnedBy } };
    }
    let basis: RoutingBasis = t.routing.requiredTier === 2 ? 'escalated_tier2' : 'least_loaded';
    const seniorFirst = basis === 'least_loaded' && (t.vipTier > 0 || isUrgent(t));
    const previous = lastAgentByCustomer.get(t.customerId);
    const returningId = previous && previous.ticketId !== t.id ? previous.agentId : null;
    // Given fewer candidates (a drain's open agents), one pass over them, no pool array: every eligible agent
    // is ranked, and the seniors among them separately, each in candidate order, which is what ranking
    // the pool, or the pool's seniors, in order gives.
    const all: Ranking = { best: null, runnerUp: null, returning: null };
    const seniors: Ranking = { best: null, runnerUp: null, returning: null };
    const fits = (a: AgentState) => !(respectPacing && paced(a, now)) && eligible(a, t, now);
    // A drain's first placement on a channel passes the channel's whole list: the same pool as none.
    const whole = candidates === undefined || candidates === byChannel.get(t.channel);
    if (!whole) {
      for (const a of candidates) {
        if (!fits(a)) continue;
        rank(all, a, returningId);
        if (seniorFirst && a.user.senior) rank(seniors, a, returningId);
      }
    } else {
      // Least loaded first: the first two that fit are best and runner-up (of the seniors too, when they
      // go first), as ranking every agent of the channel would find; the returning agent is looked up.
      for (const a of agentsByLoad(t.channel)) {
        const wanted = all.runnerUp === null || (seniorFirst && seniors.runnerUp === null);
        if (!wanted) break;
        if ((all.runnerUp !== null && !(seniorFirst && a.user.senior)) || !fits(a)) continue;
        if (all.runnerUp === null) rank(all, a, null);
        if (seniorFirst && a.user.senior) rank(seniors, a, null);
      }
      const returning = returningId === null ? undefined : agents.get(returningId);
      // In the channel's list (an agent with the channel) and fitting: eligible implies both.
      if (returning && fits(returning)) {
        all.returning = returning;
        if (seniorFirst && returning.user.senior) seniors.returning = returning;
      }
    }
    if (!all.best) return null;
    let chosen = all;
    if (seniorFirst && seniors.best) {
      chosen = seniors;
      basis = t.vipTier > 0 ? 'vip_senior' : 'urgent_senior';
    }
    if (previous && chosen.returning) {
      return {
        agent: chosen.returning,
        basis: 'returning_customer',
        reason: { code: 'returning_customer', channel: t.channel, previousTicketId: /^GD\d{11,}$/.test(previous.ticketId) ? previous.ticketId : null },
      };
    }
    const best = chosen.best!;
    const runnerUp = chosen.runnerUp;
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
    let wrappingUpWithRoom = false;
    let onCallWithRoom = false;
    for (const a of agents.values()) {
      if (!(a.user.role === 'agent' && a.connections > 0 && a.presence !== 'offline' && skilled(a, t))) continue;
      skilledOnline = true;
      const until = t.declined.get(a.user.id);
      if (until !== undefined && until > now) {
        declinedAll = true;
        continue;
      }
      const noRoom = noRoomReason(a, t.channel);
      // A live call holds chats back: the chat goes to them when the call ends, they are not "at capacity".
      if (noRoom === 'on_call' && a.presence === 'available') onCallWithRoom = true;
      if (noRoom !== null) continue;
      if (routable(a)) withRoom = true;
      // Available but wrapping up: not "at capacity", the contact goes to them when the wrap-up ends.
      else if (a.presence === 'available' && a.wrapUpUntil !== null) wrappingUpWithRoom = true;
    }
    if (!skilledOnline) return 'no_agent_online';
    if (withRoom) return 'pacing';
    if (wrappingUpWithRoom) return 'agents_in_wrap_up';
    if (onCallWithRoom) return 'agents_on_call';
    return declinedAll ? 'offer_declined' : 'all_at_capacity';
  }

  /** Places one waiting ticket if someone can take it: an offer (phone/chat) or a direct assignment. */
  function place(t: TicketState, now: number, effects: RoutingEffect[], respectPacing: boolean, candidates?: readonly AgentState[]): AgentState | null {
    if (t.offer || t.assigneeId !== null || !isOpenStatus(t.status)) return null;
    const choice = choose(t, now, respectPacing, candidates);
    if (!choice) return null;
    const a = choice.agent;
    countTaken(a, now);
    const offered = isRealTimeChannel(t.channel) && !config.autoAccept;
    onDecision({
      kind: offered ? 'offer' : 'assign',
      ticketId: t.id,
      agentId: a.user.id,
      channel: t.channel,
      loadBefore: a.load[t.channel],
      capacity: a.capacity[t.channel],
      at: now,
      // A pinned ticket is the lead's override: it goes to its agent whenever they have room, pacing or not.
      via: respectPacing && choice.basis !== 'pinned' ? 'drain' : 'pin',
    });
    if (offered) {
      touchTicket(t);
      t.offer = { agentId: a.user.id, offeredAt: now, expiresAt: now + config.offerTimeoutMs, basis: choice.basis, reason: choice.reason };
      timed.add(t);
      a.load[t.channel]++;
      a.offered[t.channel]++;
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
    setQueuedCause(t, cause);
    const reason: AssignmentReason = { code: 'queued', channel: t.channel, cause };
    effects.push(ticketEffect(t, 'queued', reason, reason, null, null));
  }

  /** Re-records why each waiting ticket waits (bounded: each one scans the agents). */
  function refreshQueuedCauses(now: number, effects: RoutingEffect[]): void {
    causesMayHaveLapsed = false;
    if (compact().length <= REFRESH_CAUSES_UP_TO) for (const t of queue) if (!t.offer && t.queuedCause !== null) markQueued(t, now, effects);
  }

  /** Walks the queue in rank order and places what can be placed now. */
  function drain(now: number, effects: RoutingEffect[]): void {
    endDueWrapUps(now, effects);
    if (now >= nextBandFlipAt) resortQueue(now);
    const snapshot = compact(false);
    if (snapshot.length === tombstones) return;
    // Long queues: channels with no routable agent with room are skipped without choosing. Whether a
    // channel has one is found by walking its agents only as far as the first open one (with 1,000
    // agents mostly free that is the first; listing every open agent of every channel on every drain
    // cost a fifth of a contact's CPU). No agent opens up during the walk below (a placement only adds
    // load and pacing), so the agents before a channel's cursor stay closed and each is looked at once
    // per drain. A channel's second placement in the same drain first lists its open agents, so
    // many waiting tickets choose among those, not among every agent of the channel.
    const channels = snapshot.length > 32 ? new Map<Channel, { agents: readonly AgentState[]; at: number; open: boolean; tries: number }>() : null;
    let closedChannels = 0;
    const openChannel = (c: Channel) => {
      let state = channels!.get(c);
      if (!state) channels!.set(c, (state = { agents: byChannel.get(c) ?? [], at: 0, open: true, tries: 0 }));
      if (!state.open) return null;
      const { agents: list } = state;
      while (state.at < list.length && !isOpen(list[state.at]!, c, now)) state.at++;
      if (state.at === list.length) {
        state.open = false;
        if (byChannel.has(c)) closedChannels++;
        return null;
      }
      return state;
    };
    for (const t of snapshot) {
      if (channels && closedChannels === byChannel.size) break;
      if (!t.queued || t.offer) continue;
      if (!channels) {
        place(t, now, effects, true);
        continue;
      }
      const state = openChannel(t.channel);
      if (!state) continue;
      if (++state.tries === 2) {
        state.agents = state.agents.slice(state.at).filter((a) => isOpen(a, t.channel, now));
        state.at = 0;
      }
      // The candidates (every agent of the channel, or those open when listed) hold every agent
      // `choose` would keep, in the same order: the same pool, so the same choice.
      place(t, now, effects, true, state.agents);
    }
    compact(false);
    // Recording why a ticket waits costs an agent scan: paced tickets (whose cause lapses) pay it here, and every
    // waiting ticket after a call or a wrap-up changed what an agent waits on (on a call → in wrap-up); tick refreshes the rest.
    if (causesMayHaveLapsed) refreshQueuedCauses(now, effects);
    else refreshPacedCauses(now, effects);
  }

  /** Re-records the cause of the waiting tickets last recorded as paced, in rank order (as a walk of the queue would). */
  function refreshPacedCauses(now: number, effects: RoutingEffect[]): void {
    if (pacedCause.size === 0) return;
    const paced: TicketState[] = [];
    for (const t of pacedCause) {
      if (t.queuedCause !== 'pacing') pacedCause.delete(t);
      else if (t.queued && !t.offer) paced.push(t);
    }
    paced.sort(compareRank);
    for (const t of paced) markQueued(t, now, effects);
  }

  /** Could take a ticket of this channel right now (routable, not paced, with room; the channel is theirs). */
  function isOpen(a: AgentState, c: Channel, now: number): boolean {
    return routable(a) && !paced(a, now) && hasRoom(a, c);
  }

  function withdrawAgentOffers(a: AgentState, reason: OfferWithdrawn['reason'], now: number, effects: RoutingEffect[]): void {
    if (offerCount(a) === 0) return;
    for (const t of compact()) {
      if (t.offer?.agentId !== a.user.id) continue;
      clearOffer(t);
      effects.push({ kind: 'withdrawn', ticketId: t.id, agentId: a.user.id, reason });
      setQueuedCause(t, null);
      markQueued(t, now, effects, true);
    }
  }

  function goOffline(a: AgentState, cause: PresenceCause, byName: string | null, now: number, effects: RoutingEffect[]): void {
    presenceEffect(a, 'offline', cause, byName, now, effects);
    withdrawAgentOffers(a, 'agent_unavailable', now, effects);
    for (const t of [...tickets.values()]) {
      if (t.assigneeId !== a.user.id) continue;
      if (!isRealTimeChannel(t.channel) && config.keepAsyncTicketsWhenOffline) continue;
      unassign(t, now);
      const reason: AssignmentReason = { code: 'requeued_agent_offline', channel: t.channel, agentName: a.user.displayName };
      setQueuedCause(t, null);
      effects.push(ticketEffect(t, 'requeued', reason, reason, null, a.user.id));
    }
  }

  function ticketStateFrom(input: RoutableTicket): TicketState {
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
      routing: { ...(ticket.routing ?? defaultTicketRouting()), offer: null },
      offer: null,
      declined: new Map(),
      queuedCause: ticket.assignmentReason?.code === 'queued' ? ticket.assignmentReason.cause : null,
      pinnedBy: '',
      queued: false,
      inArray: false,
      overdueBand: 1,
    };
  }

  /** What the store knows of a customer's last agent counts when the engine remembers nothing newer. */
  function learnLastAgent(customerId: string, known: LastAgent | null | undefined): void {
    if (!known) return;
    const seen = lastAgentByCustomer.get(customerId);
    if (!seen || seen.at < known.at) rememberLastAgent(customerId, known);
  }

  /**
   * Brings the engine's view of a ticket in line with a snapshot; withdraws offers it invalidates.
   * Returns null when the ticket is not open (it is dropped: closed tickets never route again).
   */
  function sync(input: RoutableTicket, now: number, effects: RoutingEffect[]): TicketState | null {
    const existing = tickets.get(input.ticket.id);
    learnLastAgent(input.ticket.customerId, input.lastAgent);
    if (!existing) {
      if (!isOpenStatus(input.ticket.status)) return null;
      const t = ticketStateFrom(input);
      putTicket(t);
      addLoad(t, +1);
      if (t.assigneeId !== null) learnLastAgent(t.customerId, { agentId: t.assigneeId, ticketId: t.id, at: input.ticket.assignedAt ?? input.ticket.createdAt });
      else enqueue(t, now);
      return t;
    }
    const { ticket } = input;
    const assigneeChanged = existing.assigneeId !== ticket.assigneeId;
    // Transferred (转办) to a queue: whoever held it passed it on, so routing must not hand it straight back.
    const passedOnBy = assigneeChanged && ticket.assigneeId === null && ticket.assignmentReason?.code === 'transferred' ? existing.assigneeId : null;
    const statusChanged = existing.status !== ticket.status;
    // A complaint ranks as urgent (`isUrgent`), so the type is part of the order too.
    const orderChanged = existing.priority !== ticket.priority || existing.dueAt !== ticket.dueAt || existing.type !== ticket.type;
    // A new type (and so topic group) or a transfer (group, pin cleared) changes who may take it.
    const incoming = ticket.routing ?? defaultTicketRouting();
    const skillsChanged =
      existing.type !== ticket.type || existing.routing.group !== incoming.group || existing.routing.pinnedAgentId !== incoming.pinnedAgentId;
    if (skillsChanged) {
      touchTicket(existing);
      existing.type = ticket.type;
      existing.routing = { ...existing.routing, group: incoming.group, pinnedAgentId: incoming.pinnedAgentId, pinnedAgentName: incoming.pinnedAgentName };
      existing.declined.clear();
      regrouped.add(existing.id);
      const stale = ticket.assigneeId === null ? existing.offer : null;
      const offered = stale ? agents.get(stale.agentId) : undefined;
      if (stale && !(offered && eligible(offered, existing, now, true))) {
        clearOffer(existing);
        effects.push({ kind: 'withdrawn', ticketId: existing.id, agentId: stale.agentId, reason: 'reassigned' });
      }
    }
    if (!assigneeChanged && !statusChanged && !orderChanged) {
      if (existing.vipTier !== input.vipTier) {
        touchTicket(existing);
        existing.vipTier = input.vipTier;
      }
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
    touchTicket(existing);
    existing.assigneeId = ticket.assigneeId;
    existing.status = ticket.status;
    existing.priority = ticket.priority;
    existing.dueAt = ticket.dueAt;
    existing.vipTier = input.vipTier;
    if (!isOpenStatus(existing.status)) {
      dropTicket(existing);
      return null;
    }
    addLoad(existing, +1);
    if (existing.assigneeId !== null) {
      existing.queuedCause = null;
      if (assigneeChanged) {
        rememberLastAgent(existing.customerId, { agentId: existing.assigneeId, ticketId: existing.id, at: ticket.assignedAt ?? now });
        const a = agents.get(existing.assigneeId);
        if (a) {
          touchAgent(a);
          a.lastActivityAt = now;
        }
      }
    } else {
      if (passedOnBy !== null) decline(existing, passedOnBy, now + config.declineCooldownMs);
      enqueue(existing, now);
    }
    return existing;
  }

  /**
   * Channels on which available agents have no room while skilled work waits. Waiting tickets
   * are grouped by what skills they need, so each agent is checked against a few groups, not the queue.
   */
  function computeSkips(now: number): Map<string, RoutingSkip[]> {
    if (now >= nextBandFlipAt) resortQueue(now);
    const kinds = new Map<string, { sample: TicketState; count: number }>();
    for (const t of compact()) {
      if (t.offer) continue;
      const key = `${t.channel}|${String(t.routing.requiredTier)}|${t.routing.group ?? ''}|${t.routing.language ?? ''}|${t.routing.pinnedAgentId ?? ''}`;
      const kind = kinds.get(key);
      if (kind) kind.count++;
      else kinds.set(key, { sample: t, count: 1 });
    }
    const skips = new Map<string, RoutingSkip[]>();
    if (kinds.size === 0) return skips;
    for (const a of agents.values()) {
      if (!routable(a)) continue;
      const list: RoutingSkip[] = [];
      for (const channel of a.user.channels) {
        const reason = noRoomReason(a, channel);
        if (reason === null) continue;
        let waiting = 0;
        for (const { sample, count } of kinds.values()) {
          if (sample.channel !== channel || !skilled(a, sample)) continue;
          if (sample.routing.pinnedAgentId !== null && sample.routing.pinnedAgentId !== a.user.id) continue;
          waiting += count;
        }
        if (waiting > 0) list.push({ channel, reason, load: a.load[channel], capacity: a.capacity[channel], waiting });
      }
      if (list.length > 0) skips.set(a.user.id, list);
    }
    return skips;
  }

  // --- operations ---------------------------------------------------------------------
  const engine: RoutingEngine = {
    config,
    upsertUser(user, settings) {
      const existing = agents.get(user.id);
      if (existing) {
        const channelsChanged = existing.user.role !== user.role || existing.user.channels.join() !== user.channels.join();
        touchAgent(existing);
        existing.user = user;
        // The username breaks ties in the load order.
        loadKeyChanged(existing);
        existing.channels = new Set(user.channels);
        existing.groups = new Set(user.groups);
        existing.languages = new Set(user.languages);
        if (channelsChanged) reindexChannels();
        return;
      }
      const added: AgentState = {
        user,
        channels: new Set(user.channels),
        groups: new Set(user.groups),
        languages: new Set(user.languages),
        presence: settings.presence,
        presenceCause: settings.presenceCause,
        presenceSince: settings.presenceSince,
        awayReason: settings.presence === 'away' ? settings.awayReason : null,
        capacity: { ...settings.capacity },
        phoneBlocksChat: settings.phoneBlocksChat,
        connections: 0,
        disconnectedAt: null,
        lastActivityAt: settings.presenceSince,
        load: emptyLoad(),
        openTickets: 0,
        offered: emptyLoad(),
        lastAssignedAt: null,
        consecutiveTimeouts: 0,
        tickIndex: -1,
        takenThisTick: 0,
        onCall: false,
        wrapUpUntil: null,
        wrapUpChannel: null,
      };
      agents.set(user.id, added);
      listedAt.set(added, nextListed++);
      byLoad = null;
      journal?.push(() => agents.delete(user.id));
      if (user.role === 'agent') {
        for (const c of added.channels) {
          let list = byChannel.get(c);
          if (!list) byChannel.set(c, (list = []));
          list.push(added);
        }
      }
      // Tickets loaded before their agent count toward the agent now.
      for (const t of tickets.values()) {
        if (t.assigneeId === user.id) {
          added.load[t.channel]++;
          added.openTickets++;
        }
      }
    },

    observeTicket(input, now) {
      const effects: RoutingEffect[] = [];
      const before = tickets.get(input.ticket.id);
      const wasAssignedTo = before?.assigneeId ?? null;
      const wasOpen = before !== undefined && isOpenStatus(before.status);
      const t = sync(input, now, effects);
      // Its holder completed it (not taken away, not closed by someone else's reassignment):
      // wrap-up for the channel. A phone ticket's wrap-up follows the CALL's end (setOnCall).
      const { ticket } = input;
      if (wasOpen && wasAssignedTo !== null && ticket.status === 'completed' && ticket.assigneeId === wasAssignedTo && ticket.channel !== 'phone') {
        const holder = agents.get(wasAssignedTo);
        if (holder) startWrapUp(holder, ticket.channel, now, effects);
      }
      // A ticket that left someone (done, taken, reassigned) may free room for the queue, and a
      // waiting ticket the engine had not seen (stored without routing) must not wait for another event.
      const freedRoom = before !== undefined && (t === null || wasAssignedTo !== t.assigneeId);
      const newlyWaiting = before === undefined && t !== null && t.assigneeId === null;
      // A waiting ticket whose skills changed (a new type, a transfer to a group) may now suit someone else.
      const regroupedWaiting = t !== null && t.assigneeId === null && regrouped.delete(t.id);
      regrouped.clear();
      // A new type the pinned agent lacks the skills for: the pin goes, or the ticket would wait for good.
      const unpinned = regroupedWaiting && releasePinIfUnhonourable(t, null, effects);
      if (freedRoom || newlyWaiting || regroupedWaiting) drain(now, effects);
      if (unpinned && t) markQueued(t, now, effects);
      return effects;
    },

    admit(input, now) {
      const effects: RoutingEffect[] = [];
      const t = sync(input, now, effects);
      if (t && t.assigneeId === null && !t.offer) {
        // Rank order: this ticket may only go ahead of tickets no agent could take anyway.
        drain(now, effects);
        if (!t.offer && t.assigneeId === null && t.queuedCause === null) markQueued(t, now, effects);
      }
      if (!t) return effects;
      // This ticket's own effect first, so the caller can put it in the ticket it is writing.
      effects.sort((a, b) => Number(b.kind === 'ticket' && b.ticketId === t.id) - Number(a.kind === 'ticket' && a.ticketId === t.id));
      return effects;
    },

    connect(agentId, now) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (!a) return effects;
      touchAgent(a);
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
      touchAgent(a);
      a.connections--;
      if (a.connections > 0) return effects;
      a.disconnectedAt = now;
      // Nobody can accept an offer on a closed socket: it moves on at once.
      withdrawAgentOffers(a, 'agent_unavailable', now, effects);
      drain(now, effects);
      return effects;
    },

    setPresence(agentId, presence, cause, byName, now, awayReason = null) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (!a) return effects;
      if (presence === 'offline') goOffline(a, cause, byName, now, effects);
      else {
        presenceEffect(a, presence, cause, byName, now, effects, awayReason);
        if (presence === 'available') {
          touchAgent(a);
          a.consecutiveTimeouts = 0;
          // Saying "available" (the agent's Ready, 就绪, or a lead) is saying the wrap-up is done.
          if (cause === 'self' || cause === 'lead') endWrapUp(a, effects);
        } else withdrawAgentOffers(a, 'agent_unavailable', now, effects);
      }
      drain(now, effects);
      return effects;
    },

    setCapacity(agentId, capacity, phoneBlocksChat, now) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (!a) return effects;
      touchAgent(a);
      a.capacity = { ...a.capacity, ...capacity };
      if (phoneBlocksChat !== undefined) a.phoneBlocksChat = phoneBlocksChat;
      drain(now, effects);
      return effects;
    },

    resumeWrapUp(agentId, channel, startedAt, now) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (a) startWrapUp(a, channel, startedAt, effects, now);
      return effects;
    },

    setOnCall(agentId, onCall, now, wrapUp = true) {
      const effects: RoutingEffect[] = [];
      const a = agents.get(agentId);
      if (!a || a.onCall === onCall) return effects;
      touchAgent(a);
      a.onCall = onCall;
      causesMayHaveLapsed = true;
      // A call that ended starts the phone wrap-up; then (wrap-up over, or none) the agent takes chats again. One that started only stops new chat offers.
      if (!onCall) {
        if (wrapUp) startWrapUp(a, 'phone', now, effects);
        drain(now, effects);
      }
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
      touchAgent(a);
      a.lastActivityAt = now;
      a.consecutiveTimeouts = 0;
      if (accept) {
        assignTo(t, a, now);
        const reason: AssignmentReason = { code: 'offer_accepted', channel: t.channel, basis: offer.basis };
        effects.push(ticketEffect(t, 'assigned', reason, offer.reason, null, agentId));
        drain(now, effects);
        return { outcome: 'accepted', effects };
      }
      decline(t, agentId, now + config.declineCooldownMs);
      effects.push(ticketEffect(t, 'declined', null, null, a.user.displayName, agentId));
      setQueuedCause(t, null);
      drain(now, effects);
      markQueued(t, now, effects);
      return { outcome: 'declined', effects };
    },

    escalate(ticketId, by, reason, now) {
      const t = tickets.get(ticketId);
      if (!t) return { ok: false, code: 'not_found', message: `Ticket ${ticketId} is not open` };
      if (t.routing.requiredTier === 2) return { ok: false, code: 'conflict', message: `Ticket ${ticketId} is already escalated to tier 2` };
      const effects: RoutingEffect[] = [];
      const offer = clearOffer(t);
      if (offer) effects.push({ kind: 'withdrawn', ticketId, agentId: offer.agentId, reason: 'reassigned' });
      touchTicket(t);
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
      setQueuedCause(t, null);
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
          // The engine holds open tickets only; the server tells "closed" from "no such ticket".
          outcomes.push({ ticketId, ok: false, code: 'not_found', message: `Ticket ${ticketId} is not open` });
          continue;
        }
        if (to !== null) {
          if (!target || target.user.role !== 'agent' || !target.channels.has(t.channel) || target.user.tier < t.routing.requiredTier) {
            outcomes.push({
              ticketId,
              ok: false,
              code: 'not_eligible',
              message: `${target?.user.displayName ?? to} cannot take ${t.channel} tickets${t.routing.requiredTier === 2 ? ' of tier 2' : ''}`,
            });
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
            outcomes.push({
              ticketId,
              ok: false,
              code: 'at_capacity',
              message: `${target.user.displayName} is at ${t.channel} capacity (${String(target.capacity[t.channel])})`,
            });
            continue;
          }
        }
        const offer = clearOffer(t);
        if (offer) effects.push({ kind: 'withdrawn', ticketId, agentId: offer.agentId, reason: 'reassigned' });
        const reason: AssignmentReason = { code: 'assigned_by_lead', byName };
        if (target) {
          if (t.assigneeId !== null) addLoad(t, -1);
          onDecision({
            kind: 'assign',
            ticketId,
            agentId: target.user.id,
            channel: t.channel,
            loadBefore: target.load[t.channel],
            capacity: target.capacity[t.channel],
            at: now,
            via: 'lead',
          });
          touchTicket(t);
          t.assigneeId = null;
          assignTo(t, target, now);
          effects.push(ticketEffect(t, 'assigned', reason, reason, byName, target.user.id));
        } else {
          const from = t.assigneeId;
          if (from !== null) unassign(t, now);
          touchTicket(t);
          t.queuedCause = 'put_back_by_lead';
          t.declined.clear();
          effects.push(ticketEffect(t, 'queued', reason, reason, byName, from));
        }
        outcomes.push({ ticketId, ok: true });
      }
      drain(now, effects);
      return { outcomes, effects };
    },

    wrapUpTimesChanged(now) {
      const effects: RoutingEffect[] = [];
      for (const a of [...wrappingUp]) {
        if (a.wrapUpUntil === null || a.wrapUpChannel === null) continue;
        const latest = now + config.wrapUpMs[a.wrapUpChannel];
        if (a.wrapUpUntil <= latest) continue;
        if (latest <= now) {
          endWrapUp(a, effects);
          continue;
        }
        touchAgent(a);
        a.wrapUpUntil = latest;
        effects.push({ kind: 'wrapUp', agentId: a.user.id, until: latest, channel: a.wrapUpChannel });
      }
      if (effects.length === 0) return effects;
      causesMayHaveLapsed = true;
      drain(now, effects);
      return effects;
    },

    releasePinsTo(agentId, byName, now) {
      return releasePins(agentId, byName, now);
    },

    releaseUnhonourablePins(now) {
      return releasePins(null, null, now);
    },

    requeueHeldBy(agentId, agentName, now) {
      const effects: RoutingEffect[] = [];
      const requeued: TicketState[] = [];
      for (const t of tickets.values()) {
        if (t.assigneeId !== agentId) continue;
        unassign(t, now);
        const reason: AssignmentReason = { code: 'requeued_agent_offline', channel: t.channel, agentName };
        setQueuedCause(t, null);
        effects.push(ticketEffect(t, 'requeued', reason, reason, null, agentId));
        requeued.push(t);
      }
      if (effects.length === 0) return effects;
      drain(now, effects);
      for (const t of requeued) markQueued(t, now, effects);
      return effects;
    },

    pin(ticketId, agentId, byName, now) {
      const t = tickets.get(ticketId);
      if (!t) return { ok: false, code: 'not_found', message: `Ticket ${ticketId} is not open` };
      const effects: RoutingEffect[] = [];
      if (agentId === null) {
        touchTicket(t);
        t.routing = { ...t.routing, pinnedAgentId: null, pinnedAgentName: null };
        effects.push(ticketEffect(t, 'unpinned', null, null, byName, null));
        if (t.assigneeId === null) {
          setQueuedCause(t, null);
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
      touchTicket(t);
      t.routing = { ...t.routing, pinnedAgentId: agentId, pinnedAgentName: a.user.displayName };
      t.pinnedBy = byName;
      t.declined.delete(agentId);
      effects.push(ticketEffect(t, 'pinned', null, { code: 'pinned', byName }, byName, agentId));
      const freedFrom = t.assigneeId !== null && t.assigneeId !== agentId;
      if (freedFrom) {
        // The pin takes the ticket from its holder; it goes to the pinned agent when they have room.
        const from = t.assigneeId;
        unassign(t, now);
        setQueuedCause(t, null);
        const reason: AssignmentReason = { code: 'queued', channel: t.channel, cause: 'waiting_for_pinned_agent' };
        effects.push(ticketEffect(t, 'queued', reason, reason, byName, from));
        setQueuedCause(t, 'waiting_for_pinned_agent');
      }
      if (t.assigneeId === null && !t.offer) {
        place(t, now, effects, false);
        markQueued(t, now, effects);
      }
      // The holder or the agent it was offered to has room again: what waits may be theirs.
      if (offer || freedFrom) drain(now, effects);
      return { ok: true, effects };
    },

    tick(now) {
      const effects: RoutingEffect[] = [];
      const timedOut: TicketState[] = [];
      for (const t of compact()) {
        const offer = t.offer;
        if (offer && offer.expiresAt <= now) {
          clearOffer(t);
          const a = agents.get(offer.agentId);
          decline(t, offer.agentId, now + config.declineCooldownMs);
          effects.push({ kind: 'withdrawn', ticketId: t.id, agentId: offer.agentId, reason: 'timeout' });
          effects.push(ticketEffect(t, 'offer_timeout', null, null, null, offer.agentId));
          setQueuedCause(t, null);
          timedOut.push(t);
          if (a) {
            touchAgent(a);
            a.consecutiveTimeouts++;
            if (a.consecutiveTimeouts >= config.maxConsecutiveTimeouts && a.presence === 'available') {
              a.consecutiveTimeouts = 0;
              presenceEffect(a, 'away', 'offer_timeouts', null, now, effects);
              withdrawAgentOffers(a, 'agent_unavailable', now, effects);
            }
          }
        }
        // Cool-downs that ended are forgotten, so a long wait does not collect them.
        if (t.declined.size > 0) {
          for (const [agentId, until] of t.declined) {
            if (until > now) continue;
            touchTicket(t);
            t.declined.delete(agentId);
          }
        }
      }
      for (const a of agents.values()) {
        if (a.disconnectedAt !== null && a.connections === 0 && now - a.disconnectedAt >= config.disconnectGraceMs) {
          touchAgent(a);
          a.disconnectedAt = null;
          if (a.presence !== 'offline' || a.presenceCause !== 'disconnected') goOffline(a, 'disconnected', null, now, effects);
        }
        const idleAt = idleAwayAt(a);
        if (idleAt !== null && now >= idleAt) presenceEffect(a, 'away', 'idle', null, now, effects);
      }
      drain(now, effects);
      for (const t of timedOut) markQueued(t, now, effects);
      // Causes change as agents come and go; refreshed for tickets the engine has queued before.
      refreshQueuedCauses(now, effects);
      return effects;
    },

    nextWakeAt(now) {
      let next = Number.POSITIVE_INFINITY;
      // Queued tickets only, as in the queue: a ticket someone holds keeps its cool-downs for when it is queued again.
      let offered = 0;
      for (const t of timed) {
        if (tickets.get(t.id) !== t || (!t.offer && t.declined.size === 0)) {
          timed.delete(t);
          continue;
        }
        if (!t.queued) continue;
        if (t.offer) {
          offered++;
          next = Math.min(next, t.offer.expiresAt);
        }
        for (const until of t.declined.values()) if (until > now) next = Math.min(next, until);
      }
      const waiting = compact().length > offered;
      let pacedWithRoom = false;
      // A wrap-up's end is a wake-up of its own: the agent may have room for what waits (no stall).
      for (const a of wrappingUp) if (a.wrapUpUntil !== null) next = Math.min(next, a.wrapUpUntil);
      for (const a of agents.values()) {
        if (a.disconnectedAt !== null) next = Math.min(next, a.disconnectedAt + config.disconnectGraceMs);
        // Tick's own rule, so neither asks for a wake-up tick will not act on (a timer spinning)
        // nor leaves out one it would (an agent Available for good, Away only at some other event's tick).
        const idleAt = idleAwayAt(a);
        if (idleAt !== null) next = Math.min(next, idleAt);
        if (!pacedWithRoom && waiting && routable(a) && paced(a, now)) for (const c of a.channels) if (hasRoom(a, c)) pacedWithRoom = true;
      }
      // Pacing held someone with room back this interval: the next interval's drain may place
      // what waits, whatever the tickets' recorded causes say (they are refreshed lazily).
      if (pacedWithRoom) next = Math.min(next, (tickIndexAt(now) + 1) * config.drainIntervalMs);
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
      return t
        ? { assigneeId: t.assigneeId, offerAgentId: t.offer?.agentId ?? null, offerBasis: t.offer?.basis ?? null, status: t.status, routing: routingOf(t) }
        : null;
    },

    isEligible(agentId, ticketId, now, ignoreCapacity = false) {
      const a = agents.get(agentId);
      const t = tickets.get(ticketId);
      return !!a && !!t && eligible(a, t, now, ignoreCapacity);
    },

    skips: computeSkips,

    begin() {
      openMarks++;
      journal ??= [];
      return journal.length;
    },

    end(mark, committed) {
      if (openMarks === 0 || !journal) throw new Error('routing engine: end() without begin()');
      if (!committed && journal.length > mark) {
        for (let i = journal.length - 1; i >= mark; i--) journal[i]!();
        journal.length = mark;
        rebuildDerived();
      }
      openMarks--;
      if (openMarks === 0) journal = null;
    },

    inspect() {
      const plain = (o: object) =>
        JSON.parse(JSON.stringify(o, (_key, value: unknown) => (value instanceof Set || value instanceof Map ? [...value] : value))) as Record<string, unknown>;
      return {
        agents: [...agents.values()].map((a) => plain({ ...a, user: a.user.id })),
        tickets: [...tickets.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((t) => plain({ ...t, inArray: undefined })),
        recentCustomers: lastAgentByCustomer.size,
        nextBandFlipAt,
      };
    },

    footprint() {
      let declineEntries = 0;
      for (const t of tickets.values()) declineEntries += t.declined.size;
      return {
        agents: agents.size,
        tickets: tickets.size,
        queueSlots: queue.length,
        recentCustomers: lastAgentByCustomer.size,
        declineEntries,
        journal: journal?.length ?? 0,
      };
    },
  };
  return engine;
}
