/**
 * The routing seam: the store calls a `TicketRouter` inside the ingest transaction, so the
 * decision and the ticket commit together. The rules live in server/routing/ (engine.ts,
 * service.ts). See docs/technical/routing.md.
 */
import type { AssignmentReason, Ticket, TicketRouting } from '../shared/domain.js';
import type { RoutingDecisionKind } from '../shared/routing.js';
import type { TransactionHooks } from './store.js';

/** Who a routing decision gives the ticket to. */
export interface RoutingAssignee {
  id: string;
  username: string;
  displayName: string;
}

/** The outcome of routing one ticket, with the reason shown in the inbox and the audit. */
export interface RoutingDecision {
  assignee: RoutingAssignee | null;
  /** The new assignment reason; null keeps the ticket's current one (e.g. while it is only offered). */
  reason: AssignmentReason | null;
  /** New routing facts for the ticket (an offer, the queue cause); absent keeps them. */
  routing?: TicketRouting;
  /** What the audit row says; absent = derived from the ticket; null = nothing to audit (nothing changed). */
  audit?: { decision: RoutingDecisionKind; reason: AssignmentReason | null; actorName: string | null; agentId: string | null; agentName: string | null } | null;
}

/**
 * Decides who gets a new (or still queued) ticket. Called inside the store's transaction:
 * whatever the router keeps outside the store (the engine's state, events to send) it must
 * release through `tx` only once that transaction has committed, and undo if it rolls back.
 */
export interface TicketRouter {
  /**
   * `customer`, when the caller knows it: the customer's VIP tier, and whether it was created
   * in this transaction (then it has no earlier ticket, so no last agent to look up).
   */
  route(ticket: Ticket, tx: TransactionHooks, customer?: { vipTier: number; newCustomer: boolean }): Promise<RoutingDecision>;
}
