/**
 * The socket.io side of routing: presence follows connections, the routing requests of
 * shared/routing.ts (each validated with its zod schema, answered through an ack), and the
 * live routing events sent to each agent's room (`user:<id>`) and to the leads' room.
 */
import type { z } from 'zod';
import {
  escalateRequestSchema,
  leadAgentsRequestSchema,
  leadPinRequestSchema,
  leadReassignRequestSchema,
  leadSetCapacityRequestSchema,
  leadSetPresenceRequestSchema,
  offerRespondRequestSchema,
  presenceSetRequestSchema,
  routingAuditRequestSchema,
} from '../../shared/routing.js';
import type { Role } from '../../shared/domain.js';
import type { Ack, ProtocolError } from '../../shared/sync.js';
import type { SyncServer, SyncSocket } from '../liveHub.js';
import { forRole, maskOffer, maskOfferResponse, maskTicketResult } from '../piiMasking.js';
import { describeIssues } from '../sync.js';
import { RoutingRefusal, type RoutingService } from './service.js';

const LEADS_ROOM = 'leads';

/** The socket.io room of one user's sockets (every device they are signed in on). */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

export interface RoutingSocketDependencies {
  service: RoutingService;
  /** The role of a user, to mask what is sent to their room; null (unknown) is masked. */
  roleOf(userId: string): Role | null;
  now: () => number;
  log: (line: string) => void;
}

type UntypedOn = (event: string, listener: (...args: unknown[]) => void) => void;

function handle<Request, Result>(
  socket: SyncSocket,
  deps: RoutingSocketDependencies,
  event: string,
  schema: z.ZodType<Request>,
  options: { leadOnly: boolean },
  run: (request: Request) => Result,
): void {
  (socket.on as unknown as UntypedOn).call(socket, event, (raw: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const reply = ack as (response: Ack<Result>) => void;
    const fail = (error: ProtocolError) => reply({ ok: false, error });
    if (deps.now() >= socket.data.tokenExpiresAt) {
      fail({ code: 'unauthorized', message: 'The sign-in token has expired; sign in again.' });
      socket.disconnect(true);
      return;
    }
    if (options.leadOnly && socket.data.user.role === 'agent') {
      fail({ code: 'forbidden', message: `${event} is for leads and admins` });
      return;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      fail({ code: 'invalid_request', message: `Invalid ${event} request: ${describeIssues(parsed.error)}` });
      return;
    }
    try {
      reply({ ok: true, result: run(parsed.data) });
    } catch (error) {
      if (error instanceof RoutingRefusal) {
        fail({ code: error.code, message: error.message });
        return;
      }
      deps.log(`${event} from ${socket.data.user.username} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      fail({ code: 'internal', message: 'The server failed to handle this request; it has been logged.' });
    }
  });
}

/** Wires routing into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachRouting(io: SyncServer, deps: RoutingSocketDependencies): void {
  const { service } = deps;

  service.setOutlet({
    offer: (agentId, offer) => io.to(userRoom(agentId)).emit('routing:offer', forRole(deps.roleOf(agentId), offer, maskOffer)),
    offerWithdrawn: (agentId, withdrawn) => io.to(userRoom(agentId)).emit('routing:offerWithdrawn', withdrawn),
    presence: (agentId, change) => io.to(userRoom(agentId)).emit('presence:changed', change),
    agents: (agents, at) => io.to(LEADS_ROOM).emit('lead:agents', { agents, at }),
  });

  io.on('connection', (socket) => {
    const { user } = socket.data;
    void socket.join(userRoom(user.id));
    if (user.role !== 'agent') void socket.join(LEADS_ROOM);
    // Offers already open (this user on another device) first; offers the sign-in itself makes reach the room.
    for (const offer of service.openOffers(user.id)) socket.emit('routing:offer', forRole(user.role, offer, maskOffer));
    service.connect(user);
    const presence = service.presenceOf(user.id);
    if (presence) socket.emit('presence:changed', presence);
    if (user.role !== 'agent') socket.emit('lead:agents', { agents: service.agents(), at: deps.now() });
    socket.on('disconnect', () => service.disconnect(user));

    const self = { leadOnly: false };
    const lead = { leadOnly: true };
    handle(socket, deps, 'presence:set', presenceSetRequestSchema, self, (request) => {
      const status = service.setPresence(user.id, request.presence, 'self', null);
      return { presence: status.presence, cause: status.presenceCause, at: status.presenceSince };
    });
    handle(socket, deps, 'offer:respond', offerRespondRequestSchema, self, (request) =>
      forRole(user.role, service.respond(user.id, request.ticketId, request.accept), maskOfferResponse),
    );
    handle(socket, deps, 'ticket:escalate', escalateRequestSchema, self, (request) =>
      forRole(user.role, { ticket: service.escalate(user, request.ticketId, request.reason.trim()) }, maskTicketResult),
    );
    handle(socket, deps, 'routing:audit', routingAuditRequestSchema, self, (request) => ({ entries: service.audit(user, request.ticketId) }));
    handle(socket, deps, 'lead:agents', leadAgentsRequestSchema, lead, () => ({ agents: service.agents() }));
    handle(socket, deps, 'lead:reassign', leadReassignRequestSchema, lead, (request) => ({ results: service.reassign(user, request.ticketIds, request.to) }));
    handle(socket, deps, 'lead:pin', leadPinRequestSchema, lead, (request) => ({ ticket: service.pin(user, request.ticketId, request.agentId) }));
    handle(socket, deps, 'lead:setPresence', leadSetPresenceRequestSchema, lead, (request) => ({
      agent: service.setPresence(request.userId, request.presence, 'lead', user.displayName),
    }));
    handle(socket, deps, 'lead:setCapacity', leadSetCapacityRequestSchema, lead, (request) => ({
      agent: service.setCapacity(request.userId, request.capacity, request.phoneBlocksChat),
    }));
  });
}
