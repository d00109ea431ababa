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
 */
import { canUserSeeTicket, type Ticket, type User } from '../../shared/domain.js';
import type {
  AgentStatus,
  Capacity,
  OfferWithdrawn,
  Presence,
  PresenceCause,
  PresenceChanged,
  RoutingAuditEntry,
  RoutingOffer,
  ReassignOutcome,
} from '../../shared/routing.js';
import type { RoutingDecision, TicketRouter } from '../routing.js';
import { LIVE_CALL_WINDOW_MS } from '../channels/cti/callStore.js';
import type { CommittedChange, ServerStore, TransactionHooks } from '../store.js';
import { createBoundedMap } from './boundedMap.js';
import { createRoutingEngine, defaultAgentSettings, type RoutingConfig, type RoutingEffect, type RoutingEngine } from './engine.js';
import type { RoutingScheduler } from './scheduler.js';

/** Where the service sends live routing events (socket.io rooms in production). */
export interface RoutingOutlet {
  offer(agentId: string, offer: RoutingOffer): void;
  offerWithdrawn(agentId: string, withdrawn: OfferWithdrawn): void;
  presence(agentId: string, change: PresenceChanged): void;
  agents(agents: AgentStatus[], at: number): void;
}

/** A refusal the socket layer turns into an error ack. */
export class RoutingRefusal extends Error {
  constructor(
    readonly code: 'forbidden' | 'not_found' | 'conflict' | 'invalid_request',
    message: string,
  ) {
    super(message);
  }
}

export interface RoutingServiceOptions {
  store: ServerStore;
  now: () => number;
  scheduler: RoutingScheduler;
  log: (line: string) => void;
  config?: Partial<RoutingConfig>;
  /** Coalesces the leads' board pushes and the agents' "why am I skipped" pushes; default 500 ms (wall clock, it only paces the UI). */
  agentsPushThrottleMs?: number;
  /** How many customers' VIP tiers are kept in memory (the store has them all); default 10,000. */
  vipTierCacheLimit?: number;
}

/** The routing side of the server. */
export interface RoutingService extends TicketRouter {
  readonly engine: RoutingEngine;
  setOutlet(outlet: RoutingOutlet): void;
  connect(user: User): void;
  disconnect(user: User): void;
  presenceOf(userId: string): PresenceChanged | null;
  /** Offers waiting for this agent, with their bundles. */
  openOffers(agentId: string): RoutingOffer[];
  setPresence(userId: string, presence: Presence, cause: PresenceCause, byName: string | null): AgentStatus;
  setCapacity(userId: string, capacity: Partial<Capacity>, phoneBlocksChat: boolean | undefined): AgentStatus;
  respond(
    agentId: string,
    ticketId: string,
    accept: boolean,
  ): { outcome: 'accepted'; ticket: Ticket } | { outcome: 'declined' } | { outcome: 'gone'; reason: 'expired' | 'not_offered' };
  escalate(actor: User, ticketId: string, reason: string): Ticket;
  reassign(lead: User, ticketIds: readonly string[], to: string | null): ReassignOutcome[];
  pin(lead: User, ticketId: string, agentId: string | null): Ticket;
  audit(viewer: User, ticketId: string): RoutingAuditEntry[];
  agents(): AgentStatus[];
  /** A call started or ended on this agent's extension: the live-call state is read from the store again. */
  callStateChanged(agentId: string): void;
  /** Entries held in memory (the engine's, and the VIP-tier cache): bounded, however many tickets pass. */
  footprint(): ReturnType<RoutingEngine['footprint']> & { vipTiers: number; presences: number };
  /** Runs due engine work now (the timer does this by itself). */
  tick(): void;
  stop(): void;
}

export function createRoutingService(options: RoutingServiceOptions): RoutingService {
  const { store, now, scheduler, log } = options;
  const throttleMs = options.agentsPushThrottleMs ?? 500;
  const engine = createRoutingEngine(options.config);
  let outlet: RoutingOutlet | null = null;
  /** VIP tiers of recently seen customers; the store is asked for the others. */
  const vipTiers = createBoundedMap<string, number>(options.vipTierCacheLimit ?? 10_000);
  /** What each user was last told of their presence (and why routing skips them): one entry per user. */
  const lastPresence = new Map<string, PresenceChanged>();
  let cancelTimer: (() => void) | null = null;
  let timerAt: number | null = null;
  let agentsPushTimer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const connections = new Map<string, number>();

  function vipTierOf(customerId: string): number {
    let tier = vipTiers.get(customerId);
    if (tier === undefined) {
      tier = store.inline.routing.vipTierOf(customerId);
      vipTiers.set(customerId, tier);
    }
    return tier;
  }

  /** Whether a call is ringing or answered on the agent's extension, as the CTI stored it. */
  function liveCallOf(agentId: string): boolean {
    return store.inline.liveCallsOf(agentId, now() - LIVE_CALL_WINDOW_MS).length > 0;
  }

  function load(): void {
    const t = now();
    const settings = store.inline.routing.loadAgentSettings();
    for (const user of store.inline.listUsers()) {
      const stored = settings.get(user.id);
      engine.upsertUser(user, stored ?? defaultAgentSettings(t));
      engine.setOnCall(user.id, liveCallOf(user.id), t);
      // Nobody is connected at start: a stored presence gets the usual grace period.
      if (stored && stored.presence !== 'offline') {
        engine.connect(user.id, t);
        engine.disconnect(user.id, t);
      }
    }
    const stale: Ticket[] = [];
    for (const { ticket, vipTier } of store.inline.routing.openTicketsForRouting()) {
      vipTiers.set(ticket.customerId, vipTier);
      engine.observeTicket({ ticket, vipTier }, t);
      if (ticket.routing.offer) stale.push(ticket);
    }
    // Offers do not survive a restart: the stored ones are cleared and the tickets re-routed.
    if (stale.length > 0) {
      store.inline.transaction(() => {
        for (const ticket of stale) {
          store.inline.routing.applyTicketRouting({
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
  }

  // --- deciding, persisting and announcing -------------------------------------------------
  function presenceChange(agentId: string, presence: Presence, cause: PresenceCause, byName: string | null, at: number): PresenceChanged {
    // Skips only concern an available agent; the next board push refreshes them.
    const skipped = presence === 'available' ? (lastPresence.get(agentId)?.skipped ?? []) : [];
    return { presence, cause, byName, at, skipped };
  }

  /** The socket events of a batch of effects, sent once the transaction that decided them has committed. */
  function announcementsOf(effects: RoutingEffect[]): Array<() => void> {
    const out: Array<() => void> = [];
    for (const effect of effects) {
      switch (effect.kind) {
        case 'offer':
          out.push(() => {
            const bundle = store.inline.getTicketBundle(effect.ticketId);
            if (!bundle || bundle.ticket.routing.offer?.agentId !== effect.agentId) return;
            outlet?.offer(effect.agentId, { ticketId: effect.ticketId, bundle, offeredAt: effect.offeredAt, expiresAt: effect.expiresAt, basis: effect.basis });
          });
          break;
        case 'withdrawn':
          out.push(() => outlet?.offerWithdrawn(effect.agentId, { ticketId: effect.ticketId, reason: effect.reason }));
          break;
        case 'presence':
          out.push(() => {
            const change = presenceChange(effect.agentId, effect.presence, effect.cause, effect.byName, effect.at);
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

  function persistSettings(agentId: string): void {
    const status = engine.agentStatus(agentId);
    if (!status) return;
    store.inline.routing.saveAgentSettings(
      agentId,
      {
        presence: status.presence,
        presenceCause: status.presenceCause,
        presenceSince: status.presenceSince,
        capacity: status.capacity,
        phoneBlocksChat: status.phoneBlocksChat,
      },
      now(),
    );
  }

  /**
   * Runs an engine operation and writes its effects in one store transaction: the caller's
   * (`tx`, routing an inbound contact) or a new one. The engine journals what it changes;
   * the transaction's outcome decides whether that stays (and the events go out) or is undone.
   */
  function decide<R>(tx: TransactionHooks | null, operate: () => { effects: RoutingEffect[]; result: R }, ownTicketId?: string): R {
    if (!tx) return store.inline.transaction((own) => decide(own, operate, ownTicketId));
    const mark = engine.begin();
    tx.afterRollback(() => {
      engine.end(mark, false);
      scheduleWake();
    });
    const { effects, result } = operate();
    const at = now();
    store.inline.transaction(() => {
      for (const effect of effects) {
        if (effect.kind === 'ticket') {
          // The ticket being stored right now is written by the store itself, with this decision.
          if (effect.ticketId === ownTicketId) continue;
          store.inline.routing.applyTicketRouting({
            ticketId: effect.ticketId,
            assignee: effect.assignee,
            reason: effect.reason,
            routing: effect.routing,
            audit: effect.audit,
            now: at,
          });
        } else if (effect.kind === 'presence') persistSettings(effect.agentId);
      }
    });
    const announcements = announcementsOf(effects);
    tx.afterCommit(() => {
      engine.end(mark, true);
      for (const announce of announcements) {
        try {
          announce();
        } catch (error) {
          log(`routing event failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      scheduleAgentsPush();
      scheduleWake();
    });
    return result;
  }

  function effectsOnly(effects: RoutingEffect[]): { effects: RoutingEffect[]; result: undefined } {
    return { effects, result: undefined };
  }

  /** Tells agents whose reasons for being passed over changed (the header shows them), throttled with the leads' board. */
  function pushSkips(): void {
    const skips = engine.skips(now());
    for (const [agentId, live] of connections) {
      if (live === 0) continue;
      const known = lastPresence.get(agentId);
      const status = engine.agentStatus(agentId);
      if (!known || !status || status.presence !== known.presence) continue;
      const skipped = status.presence === 'available' ? (skips.get(agentId) ?? []) : [];
      if (JSON.stringify(skipped) === JSON.stringify(known.skipped)) continue;
      const change: PresenceChanged = { ...known, skipped };
      lastPresence.set(agentId, change);
      outlet?.presence(agentId, change);
    }
  }

  function scheduleAgentsPush(): void {
    if (agentsPushTimer || !outlet || stopped) return;
    agentsPushTimer = setTimeout(() => {
      agentsPushTimer = null;
      if (stopped) return;
      outlet?.agents(engine.agentStatuses(), now());
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
      runTick();
    });
  }

  function runTick(): void {
    if (stopped) return;
    try {
      decide(null, () => effectsOnly(engine.tick(now())));
    } catch (error) {
      log(`routing tick failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    scheduleWake();
  }

  // Every committed ticket snapshot keeps the engine in step (agents working tickets, completions, priority changes).
  const stopListening = store.onDidCommitChanges((batch: CommittedChange[]) => {
    decide(null, () => {
      const effects: RoutingEffect[] = [];
      for (const { change } of batch) {
        if (change.kind === 'customer') {
          vipTiers.set(change.customer.id, change.customer.vipTier);
          continue;
        }
        const ticket = change.kind === 'bundle' ? change.bundle.ticket : change.ticket;
        if (change.kind === 'bundle') vipTiers.set(change.bundle.customer.id, change.bundle.customer.vipTier);
        effects.push(...engine.observeTicket({ ticket, vipTier: vipTierOf(ticket.customerId) }, now()));
      }
      return effectsOnly(effects);
    });
  });

  /** Users created or changed since start are read on first mention. */
  function ensureUser(userId: string): void {
    if (engine.agentStatus(userId)) return;
    const user = store.inline.getUser(userId);
    if (user) engine.upsertUser(user, store.inline.routing.loadAgentSettings().get(user.id) ?? defaultAgentSettings(now()));
  }

  function statusOrThrow(userId: string): AgentStatus {
    const status = engine.agentStatus(userId);
    if (!status) throw new RoutingRefusal('not_found', `No agent ${userId}`);
    return status;
  }

  function requireTicket(ticketId: string): Ticket {
    const ticket = store.inline.getTicket(ticketId);
    if (!ticket) throw new RoutingRefusal('not_found', `No ticket ${ticketId}`);
    return ticket;
  }

  load();
  scheduleWake();

  const service: RoutingService = {
    engine,
    setOutlet(next) {
      outlet = next;
    },

    route(ticket, tx): RoutingDecision {
      const input = { ticket, vipTier: vipTierOf(ticket.customerId), lastAgent: store.inline.routing.lastAgentOf(ticket.customerId, ticket.id) };
      // Other tickets the same drain placed are written in this transaction too; this one is written by the store.
      const own = decide(
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

    connect(user) {
      if (stopped) return;
      connections.set(user.id, (connections.get(user.id) ?? 0) + 1);
      decide(null, () => {
        // Users created after start (or changed since) are (re)read on connect.
        engine.upsertUser(user, store.inline.routing.loadAgentSettings().get(user.id) ?? defaultAgentSettings(now()));
        return effectsOnly(engine.connect(user.id, now()));
      });
      if (!lastPresence.has(user.id)) {
        const status = engine.agentStatus(user.id);
        if (status) lastPresence.set(user.id, presenceChange(user.id, status.presence, status.presenceCause, null, status.presenceSince));
      }
    },

    disconnect(user) {
      // Closing the server disconnects everyone: that is no reason to re-route their work.
      if (stopped) return;
      const live = Math.max(0, (connections.get(user.id) ?? 0) - 1);
      if (live === 0) connections.delete(user.id);
      else connections.set(user.id, live);
      decide(null, () => effectsOnly(engine.disconnect(user.id, now())));
    },

    presenceOf(userId) {
      const known = lastPresence.get(userId);
      if (known) return known;
      const status = engine.agentStatus(userId);
      return status ? presenceChange(userId, status.presence, status.presenceCause, null, status.presenceSince) : null;
    },

    openOffers(agentId) {
      const offers: RoutingOffer[] = [];
      for (const ticketId of engine.queuedTicketIds(now())) {
        const view = engine.ticketView(ticketId);
        if (view?.offerAgentId !== agentId || !view.routing.offer) continue;
        const bundle = store.inline.getTicketBundle(ticketId);
        if (!bundle) continue;
        const offer = view.routing.offer;
        offers.push({ ticketId, bundle, offeredAt: offer.offeredAt, expiresAt: offer.expiresAt, basis: view.offerBasis ?? 'least_loaded' });
      }
      return offers.sort((a, b) => a.expiresAt - b.expiresAt);
    },

    setPresence(userId, presence, cause, byName) {
      ensureUser(userId);
      statusOrThrow(userId);
      decide(null, () => {
        const effects = engine.setPresence(userId, presence, cause, byName, now());
        persistSettings(userId);
        return effectsOnly(effects);
      });
      return statusOrThrow(userId);
    },

    setCapacity(userId, capacity, phoneBlocksChat) {
      ensureUser(userId);
      statusOrThrow(userId);
      decide(null, () => {
        const effects = engine.setCapacity(userId, capacity, phoneBlocksChat, now());
        persistSettings(userId);
        return effectsOnly(effects);
      });
      return statusOrThrow(userId);
    },

    respond(agentId, ticketId, accept) {
      const outcome = decide(null, () => {
        const result = engine.respond(ticketId, agentId, accept, now());
        return { effects: result.effects, result: result.outcome };
      });
      if (outcome === 'accepted') return { outcome: 'accepted', ticket: requireTicket(ticketId) };
      if (outcome === 'declined') return { outcome: 'declined' };
      return { outcome: 'gone', reason: outcome };
    },

    escalate(actor, ticketId, reason) {
      const ticket = requireTicket(ticketId);
      if (!canUserSeeTicket(actor, ticket)) throw new RoutingRefusal('not_found', `Ticket ${ticketId} does not exist or is not yours to see`);
      decide(null, () => {
        const result = engine.escalate(ticketId, actor, reason, now());
        if (!result.ok) throw new RoutingRefusal(result.code, result.message);
        return effectsOnly(result.effects);
      });
      return requireTicket(ticketId);
    },

    reassign(lead, ticketIds, to) {
      if (to !== null) ensureUser(to);
      const outcomes = decide(null, () => {
        const result = engine.reassign(ticketIds, to, lead.displayName, now());
        return { effects: result.effects, result: result.outcomes };
      });
      return outcomes.map((outcome): ReassignOutcome => {
        if (outcome.ok) return { ticketId: outcome.ticketId, ok: true, ticket: requireTicket(outcome.ticketId) };
        if (outcome.code !== 'not_found') return outcome;
        // The engine holds open tickets only: a closed one is "not open", not "not found".
        const stored = store.inline.getTicket(outcome.ticketId);
        return stored
          ? { ticketId: outcome.ticketId, ok: false, code: 'not_open', message: `Ticket ${outcome.ticketId} is ${stored.status}` }
          : { ...outcome, message: `No ticket ${outcome.ticketId}` };
      });
    },

    pin(lead, ticketId, agentId) {
      requireTicket(ticketId);
      if (agentId !== null) ensureUser(agentId);
      decide(null, () => {
        const result = engine.pin(ticketId, agentId, lead.displayName, now());
        if (!result.ok) throw new RoutingRefusal(result.code === 'not_eligible' ? 'conflict' : 'not_found', result.message);
        return effectsOnly(result.effects);
      });
      return requireTicket(ticketId);
    },

    audit(viewer, ticketId) {
      const ticket = requireTicket(ticketId);
      const entries = store.inline.routing.listAudit(ticketId);
      if (!canUserSeeTicket(viewer, ticket) && !entries.some((e) => e.assigneeId === viewer.id)) {
        throw new RoutingRefusal('not_found', `Ticket ${ticketId} does not exist or is not yours to see`);
      }
      return entries;
    },

    agents: () => engine.agentStatuses(),

    callStateChanged(agentId) {
      if (stopped) return;
      ensureUser(agentId);
      const live = liveCallOf(agentId);
      decide(null, () => effectsOnly(engine.setOnCall(agentId, live, now())));
    },

    footprint: () => ({ ...engine.footprint(), vipTiers: vipTiers.size, presences: lastPresence.size }),

    tick: runTick,

    stop() {
      stopped = true;
      stopListening();
      cancelTimer?.();
      if (agentsPushTimer) clearTimeout(agentsPushTimer);
    },
  };
  return service;
}
