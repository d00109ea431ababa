/**
 * Transfer (转办) targets as routing knows them, wherever routing runs: from the agents'
 * statuses this node has (`RoutingPort.agents()`: the engine's own on the routing node, the
 * leader's latest push on the others) and the users in the store. The decision itself is
 * shared/ticketRules.ts (`transferRefusalFor`), the same the store applies to the mutation.
 */
import { canUserSeeTicket, type User } from '../../shared/domain.js';
import type { AgentStatus, TransferCandidate } from '../../shared/routing.js';
import { isOwnerOrLead, staticTransferFacts, transferRefusalFor, type TransferAgentFacts } from '../../shared/ticketRules.js';
import type { ServerStore } from '../store.js';
import { RoutingRefusal } from './service.js';

/** A user's transfer facts: their live status when routing has one, else offline (never signed in since routing started). */
function factsOf(user: User, status: AgentStatus | undefined): TransferAgentFacts {
  return status ? { ...status, role: user.role } : { ...staticTransferFacts(user), presence: 'offline', connected: false };
}

/** The named target of a transfer as routing sees them now; null = no such user. */
export async function transferFactsOf(store: ServerStore, agents: readonly AgentStatus[], agentId: string): Promise<TransferAgentFacts | null> {
  const user = await store.getUser(agentId);
  return user
    ? factsOf(
        user,
        agents.find((agent) => agent.userId === agentId),
      )
    : null;
}

/** Every agent but the caller, with why they cannot receive this ticket now (the Transfer dialog); its holder or a lead only. */
export async function transferCandidates(store: ServerStore, agents: readonly AgentStatus[], actor: User, ticketId: string): Promise<TransferCandidate[]> {
  const ticket = await store.getTicket(ticketId);
  // The same answer for "no such ticket" and "not yours to pass on": nothing leaks.
  if (!ticket || !canUserSeeTicket(actor, ticket) || !isOwnerOrLead(actor, ticket)) {
    throw new RoutingRefusal('not_found', `Ticket ${ticketId} does not exist or is not yours to transfer`);
  }
  const statuses = new Map(agents.map((agent) => [agent.userId, agent]));
  const candidates: TransferCandidate[] = [];
  for (const user of await store.listUsers()) {
    if (user.role !== 'agent' || user.id === actor.id) continue;
    const facts = factsOf(user, statuses.get(user.id));
    candidates.push({ userId: user.id, displayName: user.displayName, presence: facts.presence, refusal: transferRefusalFor(ticket, facts) });
  }
  return candidates.sort((a, b) => Number(a.refusal !== null) - Number(b.refusal !== null) || a.displayName.localeCompare(b.displayName));
}
