/**
 * Runs the pure routing engine inside the server: loads it from the store on start, keeps
 * it in step with every committed ticket change, persists each decision (ticket change,
 * change-log entry, audit row) in ONE store transaction, announces offers, withdrawals,
 * presence and the leads' board over socket.io after the commit, and keeps the engine's
 * single timer. It is also the store's `TicketRouter`, so an inbound contact is routed in
 * the transaction that stores it.
 *
 * Every engine operation runs inside a store transaction with the engine journaling: the
 * transaction's after-commit hook keeps the engine's changes and sends the events, its
 * after-rollback hook undoes them (a rolled-back contact leaves no trace in routing).
 * Operations take turns (`store.lockRoutingTurn`): one holds the engine from its decision
 * until its transaction has ended, so no decision is made on another's uncommitted state and
 * an undo never takes a later decision with it. What an operation needs from the database it reads
 * before its turn's synchronous decision; the writes follow inside the same transaction.
 */
import { DEFAULT_POLICIES, offerTimeoutMsOf, wrapUpMsOf } from '../../shared/admin.js';
import { canUserSeeTicket, isOpenStatus, type Role, type Ticket, type User } from '../../shared/domain.js';
import {
  agentsDiff,
  type AgentsPush,
  type AgentStatus,
  type AwayReason,
  type Capacity,
  type OfferWithdrawn,
  type Presence,
  type PresenceCause,
  type PresenceChanged,
  type RoutingAuditEntry,
  type RoutingOffer,
  type RoutingSkip,
  type ReassignOutcome,
  type RoutingAuditActor,
} from '../../shared/routing.js';
import type { RoutingDecision, TicketRouter } from '../routing.js';
import { SyncRefusal } from '../sync.js';
import { LIVE_CALL_WINDOW_MS } from '../channels/cti/callStore.js';
import type { CommittedChange, ServerStore, TransactionHooks } from '../store.js';
import { createBoundedMap } from '../../shared/boundedMap.js';
import { createRoutingEngine, defaultAgentSettings, type RoutingConfig, type RoutingEffect, type RoutingEngine } from './engine.js';
import type { RoutingScheduler } from './scheduler.js';
import type { CommitSource } from '../cluster/commitStream.js';
import { createGroupCommit } from '../groupCommit.js';

/** Where the service sends live routing events (socket.io rooms in production). */
export interface RoutingOutlet {
  /** `role` is the agent's, to mask what is sent to their room; null (unknown) is masked. */
  offer(agentId: string, offer: RoutingOffer, role: Role | null): void;
  offerWithdrawn(agentId: string, withdrawn: OfferWithdrawn): void;
  presence(agentId: string, change: PresenceChanged): void;
  /**
   * The leads' roster changed: `push` is complete, or holds only what changed since the previous
   * one. `watched`: a lead or admin is connected (on any node: routing hears every node's
   * connections); without one this is only called when `followsRoster` asks for it.
   */
  agents(push: AgentsPush, watched: boolean): void;
  /** Every roster change is wanted even with no lead watching (a cluster's other nodes keep a copy for web chat and transfers). */
  readonly followsRoster?: boolean;
}

/** A refusal the socket layer turns into an error ack. */
export class RoutingRefusal extends SyncRefusal {}

export interface RoutingServiceOptions {
  store: ServerStore;
  now: () => number;
  scheduler: RoutingScheduler;
  log: (line: string) => void;
  config?: Partial<RoutingConfig>;
  /** Coalesces the leads' board pushes and the agents' "why am I skipped" pushes; default 500 ms (wall clock, it only paces the UI). */
  agentsPushThrottleMs?: number;
  /**
   * Longest an answer to an offer waits for others to share its commit (server/groupCommit.ts);
   * default RESPOND_COMMIT_DELAY_MS, 0 = only the answers of one event-loop turn share one.
   */
  respondCommitDelayMs?: number;
  /** How many customers' VIP tiers are kept in memory (the store has them all); default 10,000. */
  vipTierCacheLimit?: number;
  /** Where committed changes are heard: the store (one node, the default) or every node's commits (server/cluster/commitStream.ts). */
  commits?: CommitSource;
  /**
   * Other nodes store contacts without routing them (they do not lead): a waiting ticket first
   * heard on the commit stream is admitted, exactly as if it had been routed where it was stored.
   */
  admitsOthersContacts?: boolean;
  /**
   * Inside each routing transaction, before it writes: throws when this node may no longer
   * route (another node leads now; server/cluster/leaderLease.ts `assertEpoch`), so a deposed
   * leader's decision is rolled back, never written beside the new leader's.
   */
  fence?: () => Promise<void>;
  /**
   * The leader lease's epoch this service routes under (a cluster's leader): stamped on every
   * roster push so a late push of a deposed leader is told from its successor's. Absent on one node.
   */
  epoch?: number;
  /**
   * How often the store's waiting tickets are compared with the engine's (the sweep under the
   * commit stream: a ticket whose commit routing could not follow is routed all the same); default 5 s.
   */
  sweepMs?: number;
  /**
   * How many tickets (by id) each sweep reads of its walk over every ticket, and at most how many
   * of the tickets heard changing it compares; default 10,000 (100,000 tickets walked in 50 s).
   */
  sweepPageSize?: number;
}

/** A ticket changed this recently is left to the commit stream, which may still be on its way (the sweep only mends what it missed). */
const SWEEP_GRACE_MS = 5_000;
const DEFAULT_SWEEP_PAGE_SIZE = 10_000;
/** Tickets heard changing that the sweep has yet to compare, at most (the oldest beyond are left to its walk over every ticket). */
const HEARD_CHANGING_KEPT = 200_000;

/** Field by field: `pushSkips` compares every connected agent's list each push, and two JSON texts per agent cost more than the few fields. */
export function sameSkips(a: readonly RoutingSkip[], b: readonly RoutingSkip[]): boolean {
  if (a.length !== b.length) return false;
  return a.every(
    (skip, i) =>
      skip.channel === b[i]!.channel &&
      skip.reason === b[i]!.reason &&
      skip.load === b[i]!.load &&
      skip.capacity === b[i]!.capacity &&
      skip.waiting === b[i]!.waiting,
  );
}

/**
 * The same skips whatever the number waiting: a change of that count alone is pushed at most this
 * often. Every contact that arrives or is taken changes it for every agent at capacity on its
 * channel, which with 1,000 agents was a `presence:changed` to each of them every push (500 ms).
 */
export const SKIPS_WAITING_ONLY_PUSH_MS = 5_000;

/** Whether two skip lists differ in the number waiting alone. */
export function sameSkipsBesideWaiting(a: readonly RoutingSkip[], b: readonly RoutingSkip[]): boolean {
  return sameSkips(
    a,
    b.map((skip, i) => (a[i] ? { ...skip, waiting: a[i].waiting } : skip)),
  );
}

/**
 * Offer answers close together share one commit, like inbound contacts (server/app.ts): every
 * routed contact is offered and answered, and each answer committing alone (BEGIN, COMMIT with
 * its fsync, the commit's listeners: fan-out, routing's follow, board, alarms) cost a second
 * commit per contact. Each answer is still acknowledged only after its commit.
 */
export const RESPOND_COMMIT_DELAY_MS = 10;

/** How many closed connection ids a routing service remembers (a few minutes of reconnects of a large contact centre). */
const CLOSED_CONNECTIONS_KEPT = 10_000;

/** The routing side of the server. */
export interface RoutingService extends TicketRouter {
  readonly engine: RoutingEngine;
  setOutlet(outlet: RoutingOutlet): void;
  /**
   * A socket (`connectionId`, unique among every node's sockets) of this user connected:
   * `openOffers` hears the offers already waiting for them (another device's), then presence
   * follows the connection. Idempotent per connection id. One tracked operation, begun at
   * once, so `idle()` after a connection covers it.
   */
  connect(user: User, connectionId: string, openOffers?: (offers: RoutingOffer[]) => void): Promise<void>;
  /** That socket closed; a connection id not connected is ignored. */
  disconnect(user: User, connectionId: string): Promise<void>;
  /**
   * Makes the tracked connections exactly `live` (connection id → user): what a new routing
   * leader learns from every node's sockets, and how the sockets of a node that died without
   * saying goodbye are let go. A connection that began after `since` (its connect may still be
   * on its way) is kept.
   */
  reconcileConnections(live: ReadonlyMap<string, User>, since: number): Promise<void>;
  presenceOf(userId: string): PresenceChanged | null;
  /** Offers waiting for this agent, with their bundles. */
  openOffers(agentId: string): Promise<RoutingOffer[]>;
  /** `auditBy`: a lead's change, audited (who, before, after) in the change's transaction. */
  setPresence(
    userId: string,
    presence: Presence,
    cause: PresenceCause,
    byName: string | null,
    awayReason?: AwayReason | null,
    auditBy?: RoutingAuditActor | null,
  ): Promise<AgentStatus>;
  setCapacity(userId: string, capacity: Partial<Capacity>, phoneBlocksChat: boolean | undefined, auditBy?: RoutingAuditActor | null): Promise<AgentStatus>;
  respond(
    agentId: string,
    ticketId: string,
    accept: boolean,
  ): Promise<{ outcome: 'accepted'; ticket: Ticket } | { outcome: 'declined' } | { outcome: 'gone'; reason: 'expired' | 'not_offered' }>;
  escalate(actor: User, ticketId: string, reason: string): Promise<Ticket>;
  reassign(lead: User, ticketIds: readonly string[], to: string | null): Promise<ReassignOutcome[]>;
  pin(lead: User, ticketId: string, agentId: string | null): Promise<Ticket>;
  audit(viewer: User, ticketId: string): Promise<RoutingAuditEntry[]>;
  agents(): AgentStatus[];
  /** The lease epoch stamped on this service's roster pushes (`RoutingServiceOptions.epoch`); null on one node. */
  readonly epoch: number | null;
  /** A call started or ended on this agent's extension: the live-call state is read from the store again. */
  /** `afterTalk`: an answered call of theirs just ended, so wrap-up starts when the live state clears. */
  callStateChanged(agentId: string, afterTalk?: boolean): Promise<void>;
  /** An admin changed or (de)activated the user: re-read from the store (see RoutingPort.userChanged). */
  userChanged(userId: string, byName: string): Promise<AgentStatus | null>;
  /** Reads the stored policies' offer timeout (new offers use it; open ones keep their expiry). */
  policiesChanged(): Promise<void>;
  /** Entries held in memory (the engine's, and the VIP-tier cache): bounded, however many tickets pass. */
  footprint(): ReturnType<RoutingEngine['footprint']> & { vipTiers: number; presences: number };
  /** Runs due engine work now (the timer does this by itself). */
  tick(): Promise<void>;
  /** Settles once every operation started so far has ended (tests, shutdown). */
  idle(): Promise<void>;
  stop(): void;
}

/** A ticket's routing history, for whoever may see the ticket or was once given it. Reads the store only: any node answers it. */
export async function readRoutingAudit(store: ServerStore, viewer: User, ticketId: string): Promise<RoutingAuditEntry[]> {
  const ticket = await store.getTicket(ticketId);
  const entries = ticket ? await store.routing.listAudit(ticketId) : [];
  if (!ticket || (!canUserSeeTicket(viewer, ticket) && !entries.some((e) => e.assigneeId === viewer.id))) {
    throw new RoutingRefusal('not_found', `Ticket ${ticketId} does not exist or is not yours to see`);
  }
  return entries;
}

export async function createRoutingService(options: RoutingServiceOptions): Promise<RoutingService> {
  const { store, now, scheduler, log } = options;
  const throttleMs = options.agentsPushThrottleMs ?? 500;
  const engine = createRoutingEngine(options.config);
  let outlet: RoutingOutlet | null = null;
  /** VIP tiers of recently seen customers; the store is asked for the others. */
  const vipTiers = createBoundedMap<string, number>(options.vipTierCacheLimit ?? 10_000);
  /** What each user was last told of their presence (and why routing skips them): one entry per user. */
  const lastPresence = new Map<string, PresenceChanged>();
  /** When each user's skips were last pushed by `pushSkips` (one entry per user, like lastPresence). */
  const skipsPushedAt = new Map<string, number>();
  /** A count `pushSkips` held back is pushed when its interval ends, whatever happens meanwhile. */
  let cancelSkipsRecheck: (() => void) | null = null;
  /** When that timer fires: a count held back later whose interval ends sooner moves it earlier. */
  let skipsRecheckAt: number | null = null;
  let cancelTimer: (() => void) | null = null;
  /** Per agent on a live call: the timer that reads their calls again when the newest leaves the live-call window. */
  const liveCallRechecks = new Map<string, () => void>();
  let timerAt: number | null = null;
  let agentsPushTimer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  /** Open connections by user: connection id → when it connected. */
  const connections = new Map<string, Map<string, number>>();
  /**
   * Connection ids closed lately (the newest CLOSED_CONNECTIONS_KEPT). A socket id is never
   * used again, so a connect heard after its socket's disconnect (forwarded from another node
   * and delayed, or tried again by it) is stale and counts nothing.
   */
  const closedConnections = new Set<string>();
  /** Operations started and not yet ended (`idle`). */
  const running = new Set<Promise<unknown>>();
  /** Connected users who are leads or admins (their sockets are in the leads' room): the roster is pushed only while one is. */
  const leadUsers = new Set<string>();
  /**
   * The roster as last pushed (what every watching lead holds), the base of the next push's
   * diff; null: the next push is complete (nobody was watching, or a lead just connected).
   */
  let rosterPushed: Map<string, AgentStatus> | null = null;
  const epochStamp = options.epoch !== undefined ? { epoch: options.epoch } : {};
  /**
   * Tickets heard in commits and not yet compared by the sweep, in the order heard, with when
   * (`now()`): the sweep looks at those past the grace, not at every waiting ticket.
   */
  const heardChanging = new Map<string, number>();
  /** Where the sweep's walk over every ticket goes on ('' = from the first). */
  let sweepCursor = '';

  function track<T>(operation: Promise<T>): Promise<T> {
    running.add(operation);
    const forget = () => running.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  async function vipTierOf(customerId: string): Promise<number> {
    let tier = vipTiers.get(customerId);
    if (tier === undefined) {
      tier = await store.routing.vipTierOf(customerId);
      vipTiers.set(customerId, tier);
    }
    return tier;
  }

  /**
   * Whether a call is ringing or answered on the agent's extension, as the CTI stored it. A live
   * call stops counting once it has not been heard of for LIVE_CALL_WINDOW_MS (its `ended` was
   * lost): the state is read again then, so the chats it holds back do not wait for another call event.
   */
  async function liveCallOf(agentId: string): Promise<boolean> {
    const live = await store.cti.liveCallsOf(agentId, now() - LIVE_CALL_WINDOW_MS);
    liveCallRechecks.get(agentId)?.();
    liveCallRechecks.delete(agentId);
    const newest = live[0];
    if (newest && !stopped) {
      liveCallRechecks.set(
        agentId,
        scheduler.setTimer(newest.updatedAt + LIVE_CALL_WINDOW_MS + 1, () => {
          liveCallRechecks.delete(agentId);
          if (stopped) return;
          void service.callStateChanged(agentId).catch((error: unknown) => log(`routing could not read ${agentId}'s calls again: ${String(error)}`));
        }),
      );
    }
    return newest !== undefined;
  }

  /** An admin's stored offer timeout wins over the configured one; without a stored policy the configuration (or the default) stands. */
  async function applyPolicies(): Promise<void> {
    const stored = await store.admin.getPolicies();
    if (stored.updatedAt !== null) engine.config.offerTimeoutMs = offerTimeoutMsOf(stored.policies);
    // Wrap-up: the stored policy, else the configured one, else the policies' default (30 s phone, 15 s chat).
    engine.config.wrapUpMs = stored.updatedAt !== null ? wrapUpMsOf(stored.policies) : (options.config?.wrapUpMs ?? wrapUpMsOf({ ...DEFAULT_POLICIES }));
  }

  async function load(): Promise<void> {
    await applyPolicies();
    const t = now();
    const settings = await store.routing.loadAgentSettings();
    const users = await store.listUsers();
    for (const user of users) {
      const stored = settings.get(user.id);
      engine.upsertUser(user, stored ?? defaultAgentSettings(t));
      engine.setOnCall(user.id, await liveCallOf(user.id), t);
      // Nobody is connected at start: a stored presence gets the usual grace period.
      if (stored && stored.presence !== 'offline') {
        engine.connect(user.id, t);
        engine.disconnect(user.id, t);
      }
    }
    // Wrap-up is not stored: a wrap-up still running under the previous leader (or before a
    // restart) is resumed from what started it, to its deadline then (routing.md, Wrap-up).
    const longest = Math.max(...Object.values(engine.config.wrapUpMs));
    if (longest > 0) {
      for (const start of await store.routing.wrapUpStartsSince(t - longest)) engine.resumeWrapUp(start.agentId, start.channel, start.startedAt, t);
    }
    const stale: Ticket[] = [];
    let pinned = false;
    const active = new Set(users.map((user) => user.id));
    /** Holders who are not active users (deactivated): by id, with the name the ticket gives them. */
    const gone = new Map<string, string>();
    for (const { ticket, vipTier } of await store.routing.openTicketsForRouting()) {
      vipTiers.set(ticket.customerId, vipTier);
      engine.observeTicket({ ticket, vipTier }, t);
      if (ticket.routing.offer) stale.push(ticket);
      if (ticket.routing.pinnedAgentId !== null) pinned = true;
      if (ticket.assigneeId !== null && !active.has(ticket.assigneeId)) gone.set(ticket.assigneeId, ticket.assigneeName ?? ticket.assigneeId);
    }
    // Read again: one made or reactivated since the list above is not gone.
    for (const userId of [...gone.keys()]) if (await store.admin.isActive(userId)) gone.delete(userId);
    // Offers do not survive a restart: the stored ones are cleared and the tickets re-routed.
    if (stale.length > 0) {
      await store.withTransaction(async () => {
        for (const ticket of stale) {
          await store.routing.applyTicketRouting({
            ticketId: ticket.id,
            assignee: ticket.assigneeId ? { id: ticket.assigneeId, name: ticket.assigneeName ?? ticket.assigneeId } : null,
            reason: null,
            routing: { ...ticket.routing, offer: null },
            audit: {
              decision: 'offer_timeout',
              reason: null,
              actorName: null,
              agentId: ticket.routing.offer?.agentId ?? null,
              agentName: ticket.routing.offer?.agentName ?? null,
            },
            now: t,
          });
        }
      });
    }
    // A pin stored before its agent was deactivated, made a lead or lost a skill the ticket needs
    // (an older version kept such pins, or routing never heard of the change: the admin's commit
    // came, the call to routing failed) is let go now, written and audited, and what a deactivated
    // user still holds goes back to the queue, as userChanged does: those tickets waited for
    // someone who is not coming, and a restart or a new leader wrote nothing (routing.md, Pins).
    if (pinned || gone.size > 0) {
      await decide(null, () => {
        const effects = [...gone].flatMap(([userId, name]) => engine.requeueHeldBy(userId, name, now()));
        return effectsOnly(pinned ? [...effects, ...engine.releaseUnhonourablePins(now())] : effects);
      });
    }
  }

  // --- deciding, persisting and announcing -------------------------------------------------
  function presenceChange(
    agentId: string,
    presence: Presence,
    cause: PresenceCause,
    awayReason: AwayReason | null,
    byName: string | null,
    at: number,
  ): PresenceChanged {
    // Skips only concern an available agent; the next board push refreshes them.
    const skipped = presence === 'available' ? (lastPresence.get(agentId)?.skipped ?? []) : [];
    const status = engine.agentStatus(agentId);
    return { presence, cause, awayReason, byName, at, skipped, wrapUpUntil: status?.wrapUpUntil ?? null, wrapUpChannel: status?.wrapUpChannel ?? null };
  }

  /** The socket events of a batch of effects, sent once the transaction that decided them has committed. */
  function announcementsOf(effects: RoutingEffect[]): Array<() => Promise<void> | void> {
    const out: Array<() => Promise<void> | void> = [];
    for (const effect of effects) {
      switch (effect.kind) {
        case 'offer':
          out.push(async () => {
            const bundle = await store.getTicketBundle(effect.ticketId);
            if (!bundle || bundle.ticket.routing.offer?.agentId !== effect.agentId) return;
            const role = (await store.getUser(effect.agentId))?.role ?? null;
            outlet?.offer(
              effect.agentId,
              { ticketId: effect.ticketId, bundle, offeredAt: effect.offeredAt, expiresAt: effect.expiresAt, basis: effect.basis },
              role,
            );
          });
          break;
        case 'withdrawn':
          out.push(() => outlet?.offerWithdrawn(effect.agentId, { ticketId: effect.ticketId, reason: effect.reason }));
          break;
        case 'presence':
          out.push(() => {
            const change = presenceChange(effect.agentId, effect.presence, effect.cause, effect.awayReason, effect.byName, effect.at);
            lastPresence.set(effect.agentId, change);
            outlet?.presence(effect.agentId, change);
          });
          break;
        case 'wrapUp':
          // The agent's header counts down (or stops); their presence is as it was.
          out.push(() => {
            const known = lastPresence.get(effect.agentId);
            const status = engine.agentStatus(effect.agentId);
            if (!status) return;
            const base = known ?? presenceChange(effect.agentId, status.presence, status.presenceCause, status.awayReason, null, status.presenceSince);
            const change: PresenceChanged = { ...base, wrapUpUntil: effect.until, wrapUpChannel: effect.channel };
            lastPresence.set(effect.agentId, change);
            outlet?.presence(effect.agentId, change);
          });
          break;
        case 'ticket':
          break;
      }
    }
    return out;
  }

  async function persistSettings(agentId: string): Promise<void> {
    const status = engine.agentStatus(agentId);
    if (!status) return;
    await store.routing.saveAgentSettings(
      agentId,
      {
        presence: status.presence,
        presenceCause: status.presenceCause,
        presenceSince: status.presenceSince,
        awayReason: status.awayReason,
        capacity: status.capacity,
        phoneBlocksChat: status.phoneBlocksChat,
      },
      now(),
    );
  }

  /**
   * Runs an engine operation in its turn and writes its effects in one store transaction:
   * the caller's (`tx`, routing an inbound contact) or a new one. The engine journals what
   * it changes; the transaction's outcome decides whether that stays (and the events go out)
   * or is undone, and only then does the next operation get its turn.
   */
  async function decide<R>(tx: TransactionHooks | null, operate: () => { effects: RoutingEffect[]; result: R }, ownTicketId?: string): Promise<R> {
    if (!tx) return store.withTransaction((own) => decide(own, operate, ownTicketId));
    await store.lockRoutingTurn();
    await options.fence?.();
    const mark = engine.begin();
    tx.afterRollback(() => {
      engine.end(mark, false);
      scheduleWake();
    });
    const { effects, result } = operate();
    const at = now();
    for (const effect of effects) {
      if (effect.kind === 'ticket') {
        // The ticket being stored right now is written by the store itself, with this decision.
        if (effect.ticketId === ownTicketId) continue;
        await store.routing.applyTicketRouting({
          ticketId: effect.ticketId,
          assignee: effect.assignee,
          reason: effect.reason,
          routing: effect.routing,
          audit: effect.audit,
          now: at,
        });
      } else if (effect.kind === 'presence' || (effect.kind === 'wrapUp' && effect.until === null)) {
        // A wrap-up's end (Ready, or its deadline) writes the settings: their time tells a new leader it is over.
        await persistSettings(effect.agentId);
      }
    }
    const announcements = announcementsOf(effects);
    tx.afterCommit(() => {
      engine.end(mark, true);
      // Stopping: the store closes once idle() has seen the tracked work end, so a decision that commits
      // after that (a request still in flight) announces nothing; its offer is in the database for the next leader.
      if (stopped) return;
      for (const announce of announcements) {
        // Tracked: an announcement reads the store (an offer's bundle), so idle() (and shutdown) waits for it.
        void track(
          Promise.resolve()
            .then(announce)
            .catch((error: unknown) => log(`routing event failed: ${error instanceof Error ? error.message : String(error)}`)),
        );
      }
      scheduleAgentsPush();
      scheduleWake();
    });
    return result;
  }

  /**
   * An agent's presence or capacity changed and their settings written in one transaction, with
   * the audit row of a lead's change (who, before, after) in it too: the before is read in the
   * routing turn, so it is what this change replaced.
   */
  async function changeAgentSettings(
    userId: string,
    operate: () => RoutingEffect[],
    audit: { by: RoutingAuditActor; action: 'presence_set' | 'capacity_set'; fields: (status: AgentStatus) => Record<string, unknown> } | null,
  ): Promise<void> {
    await ensureUser(userId);
    statusOrThrow(userId);
    await track(
      store.withTransaction(async (tx) => {
        const seen: { before: AgentStatus | null } = { before: null };
        await decide(tx, () => {
          seen.before = statusOrThrow(userId);
          return effectsOnly(operate());
        });
        await persistSettings(userId);
        if (audit && seen.before) {
          const after = statusOrThrow(userId);
          await store.admin.recordAudit(audit.by, audit.action, { id: userId, name: after.displayName }, audit.fields(seen.before), audit.fields(after), now());
        }
      }),
    );
  }

  function effectsOnly(effects: RoutingEffect[]): { effects: RoutingEffect[]; result: undefined } {
    return { effects, result: undefined };
  }

  /** Tells agents whose reasons for being passed over changed (the header shows them), throttled with the leads' board. */
  function pushSkips(): void {
    const at = now();
    const skips = engine.skips(at);
    let recheckAt = Infinity;
    for (const agentId of connections.keys()) {
      const known = lastPresence.get(agentId);
      const status = engine.agentStatus(agentId);
      if (!known || !status || status.presence !== known.presence) continue;
      const skipped = status.presence === 'available' ? (skips.get(agentId) ?? []) : [];
      if (sameSkips(skipped, known.skipped)) continue;
      const due = (skipsPushedAt.get(agentId) ?? -Infinity) + SKIPS_WAITING_ONLY_PUSH_MS;
      if (at < due && sameSkipsBesideWaiting(skipped, known.skipped)) {
        recheckAt = Math.min(recheckAt, due);
        continue;
      }
      const change: PresenceChanged = { ...known, skipped };
      lastPresence.set(agentId, change);
      skipsPushedAt.set(agentId, at);
      outlet?.presence(agentId, change);
    }
    // A queue that stops changing must not leave an agent reading the count held back: the timer
    // is set for the first interval to end, and set again when a count held back now (another
    // agent's, last pushed earlier) ends before the one it waits for.
    if (recheckAt !== Infinity && !stopped && (skipsRecheckAt === null || recheckAt < skipsRecheckAt)) {
      cancelSkipsRecheck?.();
      skipsRecheckAt = recheckAt;
      cancelSkipsRecheck = scheduler.setTimer(recheckAt, () => {
        cancelSkipsRecheck = null;
        skipsRecheckAt = null;
        if (!stopped) pushSkips();
      });
    }
  }

  function leadsWatching(): boolean {
    for (const userId of leadUsers) if ((connections.get(userId)?.size ?? 0) > 0) return true;
    return false;
  }

  /**
   * The leads' roster: nothing is built while no lead or admin is connected anywhere (and no
   * other node keeps a copy); otherwise only the agents changed since the previous push, or the
   * whole roster when there is no previous push to build on.
   */
  function pushRoster(): void {
    if (!outlet) return;
    const watched = leadsWatching();
    if (!watched && outlet.followsRoster !== true) {
      rosterPushed = null;
      return;
    }
    const at = now();
    const current = engine.agentStatuses();
    if (!rosterPushed) {
      rosterPushed = new Map(current.map((agent) => [agent.userId, agent]));
      outlet.agents({ agents: current, at, complete: true, removed: [], ...epochStamp }, watched);
      return;
    }
    const push = agentsDiff(rosterPushed, current, at, options.epoch);
    if (push.agents.length === 0 && push.removed.length === 0) return;
    for (const userId of push.removed) rosterPushed.delete(userId);
    for (const agent of push.agents) rosterPushed.set(agent.userId, agent);
    outlet.agents(push, watched);
  }

  function scheduleAgentsPush(): void {
    if (agentsPushTimer || !outlet || stopped) return;
    agentsPushTimer = setTimeout(() => {
      agentsPushTimer = null;
      if (stopped) return;
      pushRoster();
      pushSkips();
    }, throttleMs);
    agentsPushTimer.unref?.();
  }

  function scheduleWake(): void {
    if (stopped) return;
    const at = engine.nextWakeAt(now());
    if (at === timerAt) return;
    cancelTimer?.();
    cancelTimer = null;
    timerAt = at;
    if (at === null) return;
    cancelTimer = scheduler.setTimer(at, () => {
      cancelTimer = null;
      timerAt = null;
      void runTick();
    });
  }

  function runTick(): Promise<void> {
    if (stopped) return Promise.resolve();
    return track(
      decide(null, () => effectsOnly(engine.tick(now())))
        .catch((error: unknown) => log(`routing tick failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
        .finally(scheduleWake),
    );
  }

  /**
   * Brings the engine in step with committed snapshots. A waiting ticket it has not heard of
   * (another node stored it, and does not route; or the sweep found it) is admitted, as if
   * routed where it was stored.
   */
  function follow(inputs: ReadonlyArray<{ ticket: Ticket; vipTier: number }>, admitUnheard: boolean): RoutingEffect[] {
    const effects: RoutingEffect[] = [];
    for (const input of inputs) {
      const admit = admitUnheard && engine.ticketView(input.ticket.id) === null && input.ticket.assigneeId === null && input.ticket.routing.offer === null;
      effects.push(...(admit ? engine.admit(input, now()) : engine.observeTicket(input, now())));
    }
    return effects;
  }

  /**
   * The safety net under the commit stream: a waiting ticket in the store that the engine does
   * not see waiting (a commit whose decision failed and was rolled back, so the engine forgot
   * it) would otherwise wait until something else touched it. Compared in the routing turn with
   * the store's current snapshot, so a decision committed meanwhile is not undone.
   *
   * Each run costs what changed, not what exists: it compares the tickets heard changing (once
   * past the grace) and one page of a walk over every ticket by id. The walk catches what no
   * commit told of (a commit stream that lost a message, a write from outside), within
   * tickets ÷ page size runs. Reading every waiting ticket each run took ~220 ms of every 5 s at 100,000.
   */
  async function sweepUnrouted(): Promise<void> {
    const changedBefore = now() - SWEEP_GRACE_MS;
    const pageSize = options.sweepPageSize ?? DEFAULT_SWEEP_PAGE_SIZE;
    const heard: string[] = [];
    for (const [ticketId, heardAt] of heardChanging) {
      // After a bulk import, a page's worth per run; the rest waits for the next.
      if (heardAt >= changedBefore || heard.length === pageSize) break;
      heard.push(ticketId);
      heardChanging.delete(ticketId);
    }
    const page = await store.routing.waitingTicketIdsPage(sweepCursor, pageSize, changedBefore);
    sweepCursor = page.last ?? '';
    const waiting = new Set([...(await store.routing.waitingTicketIdsAmong(heard, changedBefore)), ...page.waiting]);
    // A view with nobody assigned is the engine's own; a missing one or one with an assignee is behind the store.
    const behind = [...waiting].sort().filter((id) => engine.ticketView(id)?.assigneeId !== null);
    if (behind.length === 0 || stopped) return;
    await store.withTransaction(async (tx) => {
      await store.lockRoutingTurn();
      const inputs: Array<{ ticket: Ticket; vipTier: number }> = [];
      for (const id of behind) {
        const ticket = await store.getTicket(id);
        if (!ticket || ticket.assigneeId !== null || !isOpenStatus(ticket.status) || engine.ticketView(id)?.assigneeId === null) continue;
        inputs.push({ ticket, vipTier: await vipTierOf(ticket.customerId) });
      }
      if (inputs.length === 0) return;
      // What the engine thought of each (not heard of, or someone's) says which kind of miss it was.
      const shown = inputs.slice(0, 10).map(({ ticket }) => {
        const view = engine.ticketView(ticket.id);
        return `${ticket.id} ${view ? `held by ${String(view.assigneeId)}` : 'not heard of'}`;
      });
      log(`routing had not followed ${String(inputs.length)} waiting ticket(s) (${shown.join(', ')}${inputs.length > 10 ? ', …' : ''}): routed now`);
      await decide(tx, () => effectsOnly(follow(inputs, true)));
    });
  }

  /**
   * Commits heard while the engine loads wait for the load: the engine journals every change
   * made while a decision is open, so a decision that rolled back in the middle of the load
   * would undo the load's work done meanwhile (tickets forgotten, as if never heard of).
   */
  let loadEnded: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => (loadEnded = resolve));
  /**
   * Batches are followed one after another, in commit order, starting once the engine is loaded.
   * Followed side by side, a batch that waited longer (a VIP tier read) could apply a ticket's
   * older snapshot after a newer one: a ticket a lead had just assigned would look waiting again,
   * and the next drain would give it to someone else.
   */
  let following: Promise<void> = loaded;

  // Every committed ticket snapshot keeps the engine in step (agents working tickets, completions, priority changes).
  const stopListening = (options.commits ?? store).onDidCommitChanges((batch: CommittedChange[]) => {
    if (stopped) return;
    const heardAt = now();
    for (const { change } of batch) {
      if (change.kind === 'customer') continue;
      const ticketId = change.kind === 'bundle' ? change.bundle.ticket.id : change.ticket.id;
      // Moved to the end: the map stays in the order heard, so the sweep stops at the first within the grace.
      heardChanging.delete(ticketId);
      heardChanging.set(ticketId, heardAt);
      if (heardChanging.size > HEARD_CHANGING_KEPT) heardChanging.delete(heardChanging.keys().next().value!);
    }
    const observe = async () => {
      if (stopped) return;
      const inputs: Array<{ ticket: Ticket; vipTier: number }> = [];
      for (const { change } of batch) {
        if (change.kind === 'customer') {
          vipTiers.set(change.customer.id, change.customer.vipTier);
          continue;
        }
        const ticket = change.kind === 'bundle' ? change.bundle.ticket : change.ticket;
        if (change.kind === 'bundle') vipTiers.set(change.bundle.customer.id, change.bundle.customer.vipTier);
        inputs.push({ ticket, vipTier: await vipTierOf(ticket.customerId) });
      }
      // Most commits (a contact routed as it was stored, a reply) change nothing routing must
      // write: kept without a transaction (three round trips on PostgreSQL). Otherwise undone,
      // and decided again in a transaction of its own.
      const settledWithoutWrites = await store.inRoutingTurn(() => {
        const mark = engine.begin();
        const effects = follow(inputs, options.admitsOthersContacts === true);
        engine.end(mark, effects.length === 0);
        return effects.length === 0;
      });
      if (settledWithoutWrites) {
        scheduleAgentsPush();
        scheduleWake();
        return;
      }
      await decide(null, () => effectsOnly(follow(inputs, options.admitsOthersContacts === true)));
    };
    following = following.then(observe).catch((error: unknown) =>
      // Undone in the engine; the sweep routes what it left waiting.
      log(`routing could not follow a commit: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    );
    void track(following);
  });

  /** Users created or changed since start are read on first mention. */
  async function ensureUser(userId: string): Promise<void> {
    if (engine.agentStatus(userId)) return;
    const user = await store.getUser(userId);
    if (user) engine.upsertUser(user, (await store.routing.loadAgentSettings()).get(user.id) ?? defaultAgentSettings(now()));
  }

  function statusOrThrow(userId: string): AgentStatus {
    const status = engine.agentStatus(userId);
    if (!status) throw new RoutingRefusal('not_found', `No agent ${userId}`);
    return status;
  }

  async function requireTicket(ticketId: string): Promise<Ticket> {
    const ticket = await store.getTicket(ticketId);
    if (!ticket) throw new RoutingRefusal('not_found', `No ticket ${ticketId}`);
    return ticket;
  }

  try {
    await load();
  } catch (error) {
    // No service comes of it: nothing may keep listening, and what waits for the load ends.
    stopped = true;
    stopListening();
    throw error;
  } finally {
    loadEnded();
  }
  scheduleWake();
  // Started once the engine is loaded: until then every stored ticket is "unheard".
  const sweepTimer = setInterval(() => {
    if (stopped) return;
    void track(
      sweepUnrouted().catch((error: unknown) => log(`routing sweep failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)),
    );
  }, options.sweepMs ?? 5_000);
  sweepTimer.unref();

  /**
   * Each answer decided in its own savepoint (its own transaction when alone), in arrival order,
   * so one that fails rolls back alone, with its engine changes; the others commit together.
   */
  const respondGrouped = createGroupCommit(
    (fn) => store.withTransaction(() => fn()),
    (answer: { agentId: string; ticketId: string; accept: boolean }) =>
      decide(null, () => {
        const result = engine.respond(answer.ticketId, answer.agentId, answer.accept, now());
        return { effects: result.effects, result: result.outcome };
      }),
    { commitDelayMs: options.respondCommitDelayMs ?? RESPOND_COMMIT_DELAY_MS },
  );

  const service: RoutingService = {
    engine,
    setOutlet(next) {
      outlet = next;
    },

    async route(ticket, tx, customer): Promise<RoutingDecision> {
      if (customer) vipTiers.set(ticket.customerId, customer.vipTier);
      const input = {
        ticket,
        vipTier: await vipTierOf(ticket.customerId),
        lastAgent: customer?.newCustomer ? null : await store.routing.lastAgentOf(ticket.customerId, ticket.id),
      };
      // Other tickets the same drain placed are written in this transaction too; this one is written by the store.
      const own = await decide(
        tx,
        () => {
          const effects = engine.admit(input, now());
          return { effects, result: effects.filter((e): e is Extract<RoutingEffect, { kind: 'ticket' }> => e.kind === 'ticket' && e.ticketId === ticket.id) };
        },
        ticket.id,
      );
      const last = own[own.length - 1];
      if (!last)
        return {
          assignee: ticket.assigneeId ? { id: ticket.assigneeId, username: ticket.assigneeId, displayName: ticket.assigneeName ?? '' } : null,
          reason: null,
          audit: null,
        };
      return {
        assignee: last.assignee ? { id: last.assignee.id, username: last.assignee.id, displayName: last.assignee.name } : null,
        reason:
          own
            .map((e) => e.reason)
            .filter((r) => r !== null)
            .pop() ?? null,
        routing: last.routing,
        audit: last.audit,
      };
    },

    connect(user, connectionId, openOffers) {
      if (stopped || closedConnections.has(connectionId)) return Promise.resolve();
      let mine = connections.get(user.id);
      if (!mine) connections.set(user.id, (mine = new Map<string, number>()));
      const known = mine.has(connectionId);
      mine.set(connectionId, mine.get(connectionId) ?? now());
      if (user.role !== 'agent' && !known) {
        leadUsers.add(user.id);
        // Everyone watching gets the whole roster next, through the same room as the diffs: on a
        // cluster the roster this lead's node sent on connect may be older than a diff it got first.
        rosterPushed = null;
      }
      return track(
        (async () => {
          if (openOffers) openOffers(await service.openOffers(user.id));
          // Users created after start (or changed since) are (re)read on connect.
          const settings = (await store.routing.loadAgentSettings()).get(user.id) ?? defaultAgentSettings(now());
          await decide(null, () => {
            engine.upsertUser(user, settings);
            // Already counted, or closed again before its turn: nothing to count.
            return effectsOnly(known || !connections.get(user.id)?.has(connectionId) ? [] : engine.connect(user.id, now()));
          });
          if (!lastPresence.has(user.id)) {
            const status = engine.agentStatus(user.id);
            if (status)
              lastPresence.set(user.id, presenceChange(user.id, status.presence, status.presenceCause, status.awayReason, null, status.presenceSince));
          }
          if (user.role !== 'agent') scheduleAgentsPush();
        })(),
      );
    },

    async disconnect(user, connectionId) {
      // Closing the server disconnects everyone: that is no reason to re-route their work.
      if (stopped) return;
      closedConnections.add(connectionId);
      if (closedConnections.size > CLOSED_CONNECTIONS_KEPT) closedConnections.delete(closedConnections.values().next().value!);
      const mine = connections.get(user.id);
      if (!mine?.delete(connectionId)) return;
      if (mine.size === 0) {
        connections.delete(user.id);
        leadUsers.delete(user.id);
      }
      await track(decide(null, () => effectsOnly(engine.disconnect(user.id, now()))));
    },

    async reconcileConnections(live, since) {
      for (const [userId, mine] of [...connections]) {
        for (const [connectionId, connectedAt] of [...mine]) {
          if (live.has(connectionId) || connectedAt > since) continue;
          const user = live.get(connectionId) ?? (await store.getUser(userId));
          if (user) await service.disconnect(user, connectionId);
          else mine.delete(connectionId);
        }
      }
      for (const [connectionId, user] of live) {
        if (!connections.get(user.id)?.has(connectionId)) await service.connect(user, connectionId);
      }
    },

    presenceOf(userId) {
      const known = lastPresence.get(userId);
      if (known) return known;
      const status = engine.agentStatus(userId);
      return status ? presenceChange(userId, status.presence, status.presenceCause, status.awayReason, null, status.presenceSince) : null;
    },

    async openOffers(agentId) {
      const offers: RoutingOffer[] = [];
      for (const ticketId of engine.queuedTicketIds(now())) {
        const view = engine.ticketView(ticketId);
        if (view?.offerAgentId !== agentId || !view.routing.offer) continue;
        const offer = view.routing.offer;
        const basis = view.offerBasis ?? 'least_loaded';
        const bundle = await store.getTicketBundle(ticketId);
        if (!bundle) continue;
        offers.push({ ticketId, bundle, offeredAt: offer.offeredAt, expiresAt: offer.expiresAt, basis });
      }
      return offers.sort((a, b) => a.expiresAt - b.expiresAt);
    },

    async setPresence(userId, presence, cause, byName, awayReason = null, auditBy = null) {
      await changeAgentSettings(
        userId,
        () => engine.setPresence(userId, presence, cause, byName, now(), awayReason),
        auditBy && { by: auditBy, action: 'presence_set', fields: (status) => ({ presence: status.presence, awayReason: status.awayReason }) },
      );
      return statusOrThrow(userId);
    },

    async setCapacity(userId, capacity, phoneBlocksChat, auditBy = null) {
      await changeAgentSettings(
        userId,
        () => engine.setCapacity(userId, capacity, phoneBlocksChat, now()),
        auditBy && { by: auditBy, action: 'capacity_set', fields: (status) => ({ capacity: { ...status.capacity }, phoneBlocksChat: status.phoneBlocksChat }) },
      );
      return statusOrThrow(userId);
    },

    async respond(agentId, ticketId, accept) {
      const outcome = await track(respondGrouped({ agentId, ticketId, accept }));
      if (outcome === 'accepted') return { outcome: 'accepted', ticket: await requireTicket(ticketId) };
      if (outcome === 'declined') return { outcome: 'declined' };
      if (accept && outcome === 'not_offered') {
        // Asked again after an answer that came too late to be confirmed (a slow routing leader): the ticket is
        // theirs already, and "accepted" is the true answer, not "gone".
        const ticket = await store.getTicket(ticketId);
        if (ticket?.assigneeId === agentId && ticket.status !== 'completed' && ticket.status !== 'closed') return { outcome: 'accepted', ticket };
      }
      return { outcome: 'gone', reason: outcome };
    },

    async escalate(actor, ticketId, reason) {
      const ticket = await requireTicket(ticketId);
      if (!canUserSeeTicket(actor, ticket)) throw new RoutingRefusal('not_found', `Ticket ${ticketId} does not exist or is not yours to see`);
      await track(
        decide(null, () => {
          const result = engine.escalate(ticketId, actor, reason, now());
          if (!result.ok) throw new RoutingRefusal(result.code, result.message);
          return effectsOnly(result.effects);
        }),
      );
      return requireTicket(ticketId);
    },

    async reassign(lead, ticketIds, to) {
      if (to !== null) await ensureUser(to);
      const outcomes = await track(
        decide(null, () => {
          const result = engine.reassign(ticketIds, to, lead.displayName, now());
          return { effects: result.effects, result: result.outcomes };
        }),
      );
      const answers: ReassignOutcome[] = [];
      for (const outcome of outcomes) {
        if (outcome.ok) answers.push({ ticketId: outcome.ticketId, ok: true, ticket: await requireTicket(outcome.ticketId) });
        else if (outcome.code !== 'not_found') answers.push(outcome);
        else {
          // The engine holds open tickets only: a closed one is "not open", not "not found".
          const stored = await store.getTicket(outcome.ticketId);
          answers.push(
            stored
              ? { ticketId: outcome.ticketId, ok: false, code: 'not_open', message: `Ticket ${outcome.ticketId} is ${stored.status}` }
              : { ...outcome, message: `No ticket ${outcome.ticketId}` },
          );
        }
      }
      return answers;
    },

    async pin(lead, ticketId, agentId) {
      await requireTicket(ticketId);
      if (agentId !== null) await ensureUser(agentId);
      await track(
        decide(null, () => {
          const result = engine.pin(ticketId, agentId, lead.displayName, now());
          if (!result.ok) throw new RoutingRefusal(result.code === 'not_eligible' ? 'conflict' : 'not_found', result.message);
          return effectsOnly(result.effects);
        }),
      );
      return requireTicket(ticketId);
    },

    audit: (viewer, ticketId) => readRoutingAudit(store, viewer, ticketId),

    agents: () => engine.agentStatuses(),
    epoch: options.epoch ?? null,

    async callStateChanged(agentId, afterTalk = false) {
      if (stopped) return;
      await ensureUser(agentId);
      const live = await liveCallOf(agentId);
      await track(decide(null, () => effectsOnly(engine.setOnCall(agentId, live, now(), afterTalk))));
    },

    async userChanged(userId, byName) {
      const user = await store.getUser(userId);
      if (!user) throw new RoutingRefusal('not_found', `No user ${userId}`);
      const active = await store.admin.isActive(userId);
      const settings = (await store.routing.loadAgentSettings()).get(userId) ?? defaultAgentSettings(now());
      // Read before the turn: the tickets they hold go back to the queue in the same decision.
      const held = active ? [] : await store.admin.openTicketIdsOf(userId);
      await track(
        decide(null, () => {
          // A deactivated user stays known to routing (their tickets name them) but with no channel nothing is theirs to take.
          engine.upsertUser(active ? user : { ...user, channels: [] }, settings);
          // What is pinned to them waits for them only while they can take it (a lead, or deactivated, never comes).
          if (active) return effectsOnly([...engine.releasePinsTo(userId, byName, now()), ...engine.tick(now())]);
          const effects = engine.setPresence(userId, 'offline', 'lead', byName, now());
          if (held.length > 0) effects.push(...engine.reassign(held, null, byName, now()).effects);
          effects.push(...engine.releasePinsTo(userId, byName, now()));
          return effectsOnly(effects);
        }),
      );
      if (!active) await persistSettings(userId);
      return engine.agentStatus(userId);
    },

    async policiesChanged() {
      await applyPolicies();
      // A running wrap-up follows a shorter time at once: an admin who sets none expects the agents back now, not after the old time.
      await track(decide(null, () => effectsOnly(engine.wrapUpTimesChanged(now()))));
    },

    footprint: () => ({ ...engine.footprint(), vipTiers: vipTiers.size, presences: lastPresence.size }),

    tick: runTick,

    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },

    stop() {
      stopped = true;
      stopListening();
      clearInterval(sweepTimer);
      cancelTimer?.();
      for (const cancel of liveCallRechecks.values()) cancel();
      liveCallRechecks.clear();
      cancelSkipsRecheck?.();
      if (agentsPushTimer) clearTimeout(agentsPushTimer);
    },
  };
  return service;
}
