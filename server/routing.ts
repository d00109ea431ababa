/**
 * Routing (智能分配), first rule: among the agents who have the ticket's channel skill and
 * are connected right now, the one with the fewest open tickets; tie → idle longest (oldest
 * last assignment); tie → username. Nobody eligible → the ticket stays queued (unassigned).
 * The store calls a `TicketRouter` inside the ingest transaction, so a later rule only has
 * to implement that interface. See docs/technical/routing.md.
 */
import type { AssignmentReason, Channel, Ticket, User } from '../shared/domain.js';

/** Who a routing decision gives the ticket to. */
export interface RoutingAssignee {
  id: string;
  username: string;
  displayName: string;
}

/** The outcome of routing one ticket, with the reason shown in the inbox and the audit. */
export interface RoutingDecision {
  assignee: RoutingAssignee | null;
  reason: AssignmentReason;
}

/** Decides who gets a new (or still queued) ticket. Called inside the store's transaction. */
export interface TicketRouter {
  route(ticket: Ticket): RoutingDecision;
}

/** An agent who could take the ticket, with the load figures the rule compares. */
export interface RoutingCandidate {
  user: User;
  /** Tickets assigned to this agent in in_progress or awaiting_customer. */
  openTickets: number;
  lastAssignedAt: number | null;
}

/** Who is connected now; fed by socket connect/disconnect. */
export interface Presence {
  onlineUserIds(): string[];
}

/** What the rule reads from the store. */
export interface RoutingReader {
  routingCandidates(channel: Channel, userIds: readonly string[]): RoutingCandidate[];
}

function compareCandidates(a: RoutingCandidate, b: RoutingCandidate): number {
  if (a.openTickets !== b.openTickets) return a.openTickets - b.openTickets;
  const idleA = a.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
  const idleB = b.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
  if (idleA !== idleB) return idleA - idleB;
  return a.user.username < b.user.username ? -1 : a.user.username > b.user.username ? 1 : 0;
}

/** The rule itself, pure: picks from candidates that are already known to be eligible. */
export function chooseLeastLoaded(channel: Channel, candidates: readonly RoutingCandidate[]): RoutingDecision {
  const eligible = candidates.filter((c) => c.user.role === 'agent' && c.user.channels.includes(channel));
  if (eligible.length === 0) {
    return { assignee: null, reason: { code: 'no_agent_online', channel } };
  }
  const ranked = [...eligible].sort(compareCandidates);
  const best = ranked[0]!;
  const runnerUp = ranked[1];
  let tieBreak: 'none' | 'idle_longest' | 'username' = 'none';
  if (runnerUp && runnerUp.openTickets === best.openTickets) {
    const sameIdle = (runnerUp.lastAssignedAt ?? -1) === (best.lastAssignedAt ?? -1);
    tieBreak = sameIdle ? 'username' : 'idle_longest';
  }
  const { id, username, displayName } = best.user;
  return {
    assignee: { id, username, displayName },
    reason: { code: 'least_loaded', channel, openTickets: best.openTickets, tieBreak },
  };
}

/** The first routing rule over live presence. */
export function createLeastLoadedRouter(reader: RoutingReader, presence: Presence): TicketRouter {
  return {
    route(ticket) {
      const online = presence.onlineUserIds();
      const candidates = online.length === 0 ? [] : reader.routingCandidates(ticket.channel, online);
      return chooseLeastLoaded(ticket.channel, candidates);
    },
  };
}
