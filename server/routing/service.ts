/**
 * Runs the pure routing engine inside the server: loads it from the store on start, keeps
 * it in step with every committed ticket change, persists each decision (ticket change,
 * change-log entry, audit row) in ONE store transaction, announces offers, withdrawals,
 * presence and the leads' board over socket.io after the commit, and keeps the engine's
 * single timer. It is also the store's `TicketRouter`, so an inbound contact is routed in
 * the transaction that stores it.
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
import type { CommittedChange, ServerStore } from '../store.js';
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
  /** Coalesces the leads' board pushes; default 500 ms (wall clock, it only paces the UI). */
  agentsPushThrottleMs?: number;
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
  respond(agentId: string, ticketId: string, accept: boolean): { outcome: 'accepted'; ticket: Ticket } | { outcome: 'declined' } | { outcome: 'gone'; reason: 'expired' | 'not_offered' };
  escalate(actor: User, ticketId: string, reason: string): Ticket;
  reassign(lead: User, ticketIds: readonly string[], to: string | null): ReassignOutcome[];
  pin(lead: User, ticketId: string, agentId: string | null): Ticket;
  audit(viewer: User, ticketId: string): RoutingAuditEntry[];
  agents(): AgentStatus[];
  /** Runs due engine work now (the timer does this by itself). */
  tick(): void;
  stop(): void;
}

export function createRoutingService(options: RoutingServiceOptions): RoutingService {
  const { store, now, scheduler, log } = options;
  const throttleMs = options.agentsPushThrottleMs ?? 500;
  let engine = createRoutingEngine(options.config);
  let outlet: RoutingOutlet | null = null;
  const vipTiers = new Map<string, number>();
  const lastPresence = new Map<string, PresenceChanged>();
  /** Socket events waiting for the transaction that decided them to commit. */
  let pendingEmits: Array<() => void> = [];
  let cancelTimer: (() => void) | null = null;
  let timerAt: number | null = null;
  let agentsPushTimer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  const connections = new Map<string, number>();

  function vipTierOf(customerId: string): number {
    let tier = vipTiers.get(customerId);
    if (tier === undefined) {
      tier = store.routing.vipTierOf(customerId);
      vipTiers.set(customerId, tier);
    }
    return tier;
  }

  function load(): void {
    engine = createRoutingEngine(options.config);
    const t = now();
    const settings = store.routing.loadAgentSettings();
    for (const user of store.listUsers()) {
      const stored = settings.get(user.id);
      engine.upsertUser(user, stored ?? defaultAgentSettings(t));
      // Nobody is connected at start: a stored presence gets the usual grace period.
      const live = connections.get(user.id) ?? 0;
      if (live === 0 && stored && stored.presence !== 'offline') {
        engine.connect(user.id, t);
        engine.disconnect(user.id, t);
      }
      for (let i = 0; i < live; i++) engine.connect(user.id, t);
    }
    const stale: Ticket[] = [];
    for (const { ticket, vipTier } of store.routing.openTicketsForRouting()) {
      vipTiers.set(ticket.customerId, vipTier);
      engine.observeTicket({ ticket, vipTier }, t);
      if (ticket.routing.offer) stale.push(ticket);
    }
    // Offers do not survive a restart: the stored ones are cleared and the tickets re-routed.
    if (stale.length > 0) {
      store.transaction(() => {
        for (const ticket of stale) {
          store.routing.applyTicketRouting({
            ticketId: ticket.id,
            assignee: ticket.assigneeId ? { id: ticket.assigneeId, name: ticket.assigneeName ?? ticket.assigneeId } : null,
            reason: null,
            routing: { ...ticket.routing, offer: null },
            audit: { decision: 'offer_timeout', reason: null, actorName: null, agentId: ticket.routing.offer?.agentId ?? null, agentName: ticket.routing.offer?.agentName ?? null },
            now: t,
          });
        }
      });
    }
    engine.decisions.length = 0;
  }

  // --- persisting and announcing effects ------------------------------------------------
  function queueEmit(effect: RoutingEffect): void {
    switch (effect.kind) {
      case 'offer':
        pendingEmits.push(() => {
          const bundle = store.getTicketBundle(effect.ticketId);
          if (!bundle || bundle.ticket.routing.offer?.agentId !== effect.agentId) return;
          outlet?.offer(effect.agentId, { ticketId: effect.ticketId, bundle, offeredAt: effect.offeredAt, expiresAt: effect.expiresAt, basis: effect.basis });
        });
        break;
      case 'withdrawn':
        pendingEmits.push(() => outlet?.offerWithdrawn(effect.agentId, { ticketId: effect.ticketId, reason: effect.reason }));
        break;
      case 'presence': {
        const change: PresenceChanged = { presence: effect.presence, cause: effect.cause, byName: effect.byName, at: effect.at };
        lastPresence.set(effect.agentId, change);
        pendingEmits.push(() => outlet?.presence(effect.agentId, change));
        break;
      }
      case 'ticket':
        break;
    }
  }

  function persistPresence(agentId: string): void {
    const status = engine.agentStatus(agentId);
    if (!status) return;
    store.routing.saveAgentSettings(
      agentId,
      { presence: status.presence, presenceCause: status.presenceCause, presenceSince: status.presenceSince, capacity: status.capacity, phoneBlocksChat: status.phoneBlocksChat },
      now(),
    );
  }

  /**
   * Writes the effects and announces them. Inside the store's transaction (routing an inbound
   * contact) the announcements wait for the commit listener; otherwise they go out at once.
   */
  function persist(effects: RoutingEffect[], skipTicketId?: string, insideStoreTransaction = false): void {
    if (effects.length === 0) {
      scheduleWake();
      return;
    }
    const at = now();
    store.transaction(() => {
      for (const effect of effects) {
        if (effect.kind === 'ticket') {
          if (effect.ticketId === skipTicketId) continue;
          store.routing.applyTicketRouting({ ticketId: effect.ticketId, assignee: effect.assignee, reason: effect.reason, routing: effect.routing, audit: effect.audit, now: at });
        } else if (effect.kind === 'presence') persistPresence(effect.agentId);
        queueEmit(effect);
      }
    });
    if (!insideStoreTransaction) flushEmits();
    scheduleAgentsPush();
    scheduleWake();
  }

  function flushEmits(): void {
    const emits = pendingEmits;
    pendingEmits = [];
    for (const emit of emits) {
      try {
        emit();
      } catch (error) {
        log(`routing event failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  function checkCommitted(): void {
    // The commit listener flushes what an inbound transaction decided; still pending after
    // this tick means that transaction rolled back, so the engine starts over from the store.
    setImmediate(() => {
      if (pendingEmits.length > 0 && !stopped) {
        // Still pending after the tick: the transaction that decided them rolled back. Start over from the store.
        log('routing: a routing transaction rolled back; reloading the engine from the store');
        pendingEmits = [];
        load();
        scheduleWake();
      }
    });
  }

  function scheduleAgentsPush(): void {
    if (agentsPushTimer || !outlet || stopped) return;
    agentsPushTimer = setTimeout(() => {
      agentsPushTimer = null;
      if (!stopped) outlet?.agents(engine.agentStatuses(), now());
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
      persist(engine.tick(now()));
    } catch (error) {
      log(`routing tick failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    scheduleWake();
  }

  // Every committed ticket snapshot keeps the engine in step (agents working tickets, completions, priority changes).
  const stopListening = store.onDidCommitChanges((batch: CommittedChange[]) => {
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
    flushEmits();
    if (effects.length > 0) persist(effects);
    else scheduleAgentsPush();
  });

  /** Users created or changed since start are read on first mention. */
  function ensureUser(userId: string): void {
    if (engine.agentStatus(userId)) return;
    const user = store.getUser(userId);
    if (user) engine.upsertUser(user, store.routing.loadAgentSettings().get(user.id) ?? defaultAgentSettings(now()));
  }

  function statusOrThrow(userId: string): AgentStatus {
    const status = engine.agentStatus(userId);
    if (!status) throw new RoutingRefusal('not_found', `No agent ${userId}`);
    return status;
  }

  function requireTicket(ticketId: string): Ticket {
    const ticket = store.getTicket(ticketId);
    if (!ticket) throw new RoutingRefusal('not_found', `No ticket ${ticketId}`);
    return ticket;
  }

  load();
  scheduleWake();

  const service: RoutingService = {
    get engine() {
      return engine;
    },
    setOutlet(next) {
      outlet = next;
    },

    route(ticket): RoutingDecision {
      const effects = engine.admit({ ticket, vipTier: vipTierOf(ticket.customerId) }, now());
      const own = effects.filter((e): e is Extract<RoutingEffect, { kind: 'ticket' }> => e.kind === 'ticket' && e.ticketId === ticket.id);
      // Other tickets the same drain placed are written in this transaction too; this one is written by the store.
      persist(effects, ticket.id, true);
      if (pendingEmits.length > 0) checkCommitted();
      const last = own[own.length - 1];
      if (!last) return { assignee: ticket.assigneeId ? { id: ticket.assigneeId, username: ticket.assigneeId, displayName: ticket.assigneeName ?? '' } : null, reason: null, audit: null };
      return {
        assignee: last.assignee ? { id: last.assignee.id, username: last.assignee.id, displayName: last.assignee.name } : null,
        reason: own.map((e) => e.reason).filter((r) => r !== null).pop() ?? null,
        routing: last.routing,
        audit: last.audit,
      };
    },

    connect(user) {
      if (stopped) return;
      connections.set(user.id, (connections.get(user.id) ?? 0) + 1);
      // Users created after start (or changed since) are (re)read on connect.
      engine.upsertUser(user, store.routing.loadAgentSettings().get(user.id) ?? defaultAgentSettings(now()));
      persist(engine.connect(user.id, now()));
      if (!lastPresence.has(user.id)) {
        const status = engine.agentStatus(user.id);
        if (status) lastPresence.set(user.id, { presence: status.presence, cause: status.presenceCause, byName: null, at: status.presenceSince });
      }
    },

    disconnect(user) {
      // Closing the server disconnects everyone: that is no reason to re-route their work.
      if (stopped) return;
      connections.set(user.id, Math.max(0, (connections.get(user.id) ?? 0) - 1));
      persist(engine.disconnect(user.id, now()));
    },

    presenceOf(userId) {
      const known = lastPresence.get(userId);
      if (known) return known;
      const status = engine.agentStatus(userId);
      return status ? { presence: status.presence, cause: status.presenceCause, byName: null, at: status.presenceSince } : null;
    },

    openOffers(agentId) {
      const offers: RoutingOffer[] = [];
      for (const ticketId of engine.queuedTicketIds(now())) {
        const view = engine.ticketView(ticketId);
        if (view?.offerAgentId !== agentId || !view.routing.offer) continue;
        const bundle = store.getTicketBundle(ticketId);
        if (!bundle) continue;
        const offer = view.routing.offer;
        offers.push({ ticketId, bundle, offeredAt: offer.offeredAt, expiresAt: offer.expiresAt, basis: view.offerBasis ?? 'least_loaded' });
      }
      return offers.sort((a, b) => a.expiresAt - b.expiresAt);
    },

    setPresence(userId, presence, cause, byName) {
      ensureUser(userId);
      statusOrThrow(userId);
      const effects = engine.setPresence(userId, presence, cause, byName, now());
      persist(effects);
      persistPresence(userId);
      return statusOrThrow(userId);
    },

    setCapacity(userId, capacity, phoneBlocksChat) {
      ensureUser(userId);
      statusOrThrow(userId);
      const effects = engine.setCapacity(userId, capacity, phoneBlocksChat, now());
      persistPresence(userId);
      persist(effects);
      return statusOrThrow(userId);
    },

    respond(agentId, ticketId, accept) {
      const result = engine.respond(ticketId, agentId, accept, now());
      persist(result.effects);
      if (result.outcome === 'accepted') return { outcome: 'accepted', ticket: requireTicket(ticketId) };
      if (result.outcome === 'declined') return { outcome: 'declined' };
      return { outcome: 'gone', reason: result.outcome };
    },

    escalate(actor, ticketId, reason) {
      const ticket = requireTicket(ticketId);
      if (!canUserSeeTicket(actor, ticket)) throw new RoutingRefusal('not_found', `Ticket ${ticketId} does not exist or is not yours to see`);
      const result = engine.escalate(ticketId, actor, reason, now());
      if (!result.ok) throw new RoutingRefusal(result.code, result.message);
      persist(result.effects);
      return requireTicket(ticketId);
    },

    reassign(lead, ticketIds, to) {
      if (to !== null) ensureUser(to);
      const result = engine.reassign(ticketIds, to, lead.displayName, now());
      persist(result.effects);
      return result.outcomes.map((outcome): ReassignOutcome => (outcome.ok ? { ticketId: outcome.ticketId, ok: true, ticket: requireTicket(outcome.ticketId) } : outcome));
    },

    pin(lead, ticketId, agentId) {
      requireTicket(ticketId);
      if (agentId !== null) ensureUser(agentId);
      const result = engine.pin(ticketId, agentId, lead.displayName, now());
      if (!result.ok) throw new RoutingRefusal(result.code === 'not_eligible' ? 'conflict' : 'not_found', result.message);
      persist(result.effects);
      return requireTicket(ticketId);
    },

    audit(viewer, ticketId) {
      const ticket = requireTicket(ticketId);
      const entries = store.routing.listAudit(ticketId);
      if (!canUserSeeTicket(viewer, ticket) && !entries.some((e) => e.assigneeId === viewer.id)) {
        throw new RoutingRefusal('not_found', `Ticket ${ticketId} does not exist or is not yours to see`);
      }
      return entries;
    },

    agents: () => engine.agentStatuses(),

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
