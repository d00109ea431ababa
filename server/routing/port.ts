/**
 * What the socket layer and the channels ask of routing, wherever routing runs: in this
 * process (one node, or the routing leader of several) or on another node (a follower
 * carries the request to the leader, server/cluster/routingLeader.ts). Every request is
 * asynchronous, so the caller never knows which it is.
 */
import type { Ticket, User } from '../../shared/domain.js';
import type {
  AgentStatus,
  AwayReason,
  Capacity,
  Presence,
  PresenceCause,
  PresenceChanged,
  ReassignOutcome,
  RoutingAuditActor,
  RoutingOffer,
} from '../../shared/routing.js';
import type { RoutingService } from './service.js';

export type OfferResponse = Awaited<ReturnType<RoutingService['respond']>>;

export interface RoutingPort {
  /** A socket connected: the offers already waiting for its user, and their presence once the connection counts. */
  connect(user: User, connectionId: string): Promise<{ offers: RoutingOffer[]; presence: PresenceChanged | null }>;
  disconnect(user: User, connectionId: string): Promise<void>;
  /** Every agent's status as last known here (the leader's own, or its latest push). */
  agents(): AgentStatus[];
  /** The routing leader's epoch whose roster `agents()` is (shared/routing.ts `agentsPushVerdict`); null when none is known. */
  rosterEpoch(): number | null;
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
  respond(agentId: string, ticketId: string, accept: boolean): Promise<OfferResponse>;
  escalate(actor: User, ticketId: string, reason: string): Promise<Ticket>;
  reassign(lead: User, ticketIds: readonly string[], to: string | null): Promise<ReassignOutcome[]>;
  pin(lead: User, ticketId: string, agentId: string | null): Promise<Ticket>;
  /** `afterTalk`: an answered call of theirs just ended (wrap-up starts). */
  callStateChanged(agentId: string, afterTalk?: boolean): Promise<void>;
  /**
   * An admin changed the user's directory entry (skills, role) or deactivated/reactivated them:
   * routing reads them from the store again. A deactivated agent goes offline, loses their
   * offers, and every open ticket they hold goes back to the queue and is routed again.
   * Null when the user is unknown to routing (never signed in, not an agent).
   */
  userChanged(userId: string, byName: string): Promise<AgentStatus | null>;
  /** An admin changed the policies: routing reads the offer timeout from the store again. */
  policiesChanged(): Promise<void>;
}

/** Routing in this process. */
export function localRoutingPort(service: RoutingService): RoutingPort {
  return {
    async connect(user, connectionId) {
      let offers: RoutingOffer[] = [];
      await service.connect(user, connectionId, (open) => (offers = open));
      return { offers, presence: service.presenceOf(user.id) };
    },
    disconnect: (user, connectionId) => service.disconnect(user, connectionId),
    agents: () => service.agents(),
    rosterEpoch: () => service.epoch,
    setPresence: (userId, presence, cause, byName, awayReason, auditBy) => service.setPresence(userId, presence, cause, byName, awayReason, auditBy),
    setCapacity: (userId, capacity, phoneBlocksChat, auditBy) => service.setCapacity(userId, capacity, phoneBlocksChat, auditBy),
    respond: (agentId, ticketId, accept) => service.respond(agentId, ticketId, accept),
    escalate: (actor, ticketId, reason) => service.escalate(actor, ticketId, reason),
    reassign: (lead, ticketIds, to) => service.reassign(lead, ticketIds, to),
    pin: (lead, ticketId, agentId) => service.pin(lead, ticketId, agentId),
    callStateChanged: (agentId, afterTalk) => service.callStateChanged(agentId, afterTalk),
    userChanged: (userId, byName) => service.userChanged(userId, byName),
    policiesChanged: () => service.policiesChanged(),
  };
}
