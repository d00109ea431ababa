/**
 * The socket.io side of routing: presence follows connections, the routing requests of
 * shared/routing.ts (each validated with its zod schema, answered through an ack), and the
 * live routing events sent to each agent's room (`user:<id>`) and to the leads' room.
 */
import {
  leadAgentsRequestSchema,
  leadPinRequestSchema,
  leadReassignRequestSchema,
  leadSetCapacityRequestSchema,
  leadSetPresenceRequestSchema,
  offerRespondRequestSchema,
  presenceSetRequestSchema,
  routingAuditRequestSchema,
  transferTargetsRequestSchema,
  type RoutingAuditActor,
} from '../../shared/routing.js';
import type { User } from '../../shared/domain.js';
import type { SyncServer } from '../liveHub.js';
import { forRole, maskOffer, maskOfferResponse, maskRoutingAudit } from '../piiMasking.js';
import type { ServerStore } from '../store.js';
import { handle, SyncRefusal } from '../sync.js';
import type { RoutingPort } from './port.js';
import { transferCandidates } from './transfer.js';
import { readRoutingAudit, type RoutingOutlet } from './service.js';

const LEADS_ROOM = 'leads';

/** The socket.io room of one user's sockets (every device they are signed in on). */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** The lead as the admin audit names them (their presence and capacity changes of agents are audited). */
function leadAuditActor(user: User): RoutingAuditActor {
  return { id: user.id, name: user.displayName || user.username };
}

function isLead(user: User): boolean {
  return user.role !== 'agent';
}

export interface RoutingSocketDependencies {
  port: RoutingPort;
  store: ServerStore;
  now: () => number;
  log: (line: string) => void;
}

/** Where a routing service sends its live events: the rooms of every node's sockets (through the adapter when there are several). */
export function routingOutlet(io: SyncServer): RoutingOutlet {
  return {
    offer: (agentId, offer, role) => io.to(userRoom(agentId)).emit('routing:offer', forRole(role, offer, maskOffer)),
    offerWithdrawn: (agentId, withdrawn) => io.to(userRoom(agentId)).emit('routing:offerWithdrawn', withdrawn),
    presence: (agentId, change) => io.to(userRoom(agentId)).emit('presence:changed', change),
    // Nobody in the leads' room on any node: nothing to serialise (routing knows every node's connections).
    agents: (push, watched) => {
      if (watched) io.to(LEADS_ROOM).emit('lead:agents', push);
    },
  };
}

/** The roster's epoch as the field of a push or an answer: absent when none is known. */
function rosterEpochOf(port: RoutingPort): { epoch?: number } {
  const epoch = port.rosterEpoch();
  return epoch === null ? {} : { epoch };
}

/** Wires routing into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachRouting(io: SyncServer, deps: RoutingSocketDependencies): void {
  const { port } = deps;

  io.on('connection', (socket) => {
    const { user } = socket.data;
    void socket.join(userRoom(user.id));
    if (user.role !== 'agent') void socket.join(LEADS_ROOM);
    const log = (what: string) => (error: unknown) =>
      deps.log(`routing ${what} for ${user.username} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    // Offers already open (this user on another device) first; offers the sign-in itself makes reach the room.
    port
      // A copy: the engine keeps the user it is given, and server/sync.ts updates the socket's own in place when an admin changes it (routing hears that through userChanged).
      .connect({ ...user }, socket.id)
      .then(({ offers, presence }) => {
        for (const offer of offers) socket.emit('routing:offer', forRole(user.role, offer, maskOffer));
        if (presence) socket.emit('presence:changed', presence);
        if (user.role !== 'agent') socket.emit('lead:agents', { agents: port.agents(), at: deps.now(), complete: true, removed: [], ...rosterEpochOf(port) });
      })
      .catch(log('connect'));
    socket.on('disconnect', () => void port.disconnect(user, socket.id).catch(log('disconnect')));

    /** Leads' requests: an agent is refused before anything is read. */
    const leadOnly =
      <Request, Result>(run: (request: Request) => Promise<Result>) =>
      (request: Request): Promise<Result> =>
        isLead(user) ? run(request) : Promise.reject(new SyncRefusal('forbidden', 'this request is for leads and admins'));
    handle(socket, deps, 'presence:set', presenceSetRequestSchema, async (request) => {
      const status = await port.setPresence(user.id, request.presence, 'self', null, request.awayReason ?? null);
      return { presence: status.presence, cause: status.presenceCause, awayReason: status.awayReason, at: status.presenceSince };
    });
    handle(socket, deps, 'offer:respond', offerRespondRequestSchema, async (request) =>
      forRole(user.role, await port.respond(user.id, request.ticketId, request.accept), maskOfferResponse),
    );
    handle(socket, deps, 'routing:audit', routingAuditRequestSchema, async (request) =>
      forRole(user.role, { entries: await readRoutingAudit(deps.store, user, request.ticketId) }, maskRoutingAudit),
    );
    handle(socket, deps, 'ticket:transferTargets', transferTargetsRequestSchema, async (request) => ({
      agents: await transferCandidates(deps.store, port.agents(), user, request.ticketId),
    }));
    handle(
      socket,
      deps,
      'lead:agents',
      leadAgentsRequestSchema,
      leadOnly(() => Promise.resolve({ agents: port.agents(), ...rosterEpochOf(port) })),
    );
    handle(
      socket,
      deps,
      'lead:reassign',
      leadReassignRequestSchema,
      leadOnly(async (request) => ({ results: await port.reassign(user, request.ticketIds, request.to) })),
    );
    handle(
      socket,
      deps,
      'lead:pin',
      leadPinRequestSchema,
      leadOnly(async (request) => ({ ticket: await port.pin(user, request.ticketId, request.agentId) })),
    );
    handle(
      socket,
      deps,
      'lead:setPresence',
      leadSetPresenceRequestSchema,
      leadOnly(async (request) => ({
        agent: await port.setPresence(request.userId, request.presence, 'lead', user.displayName, request.awayReason ?? null, leadAuditActor(user)),
      })),
    );
    handle(
      socket,
      deps,
      'lead:setCapacity',
      leadSetCapacityRequestSchema,
      leadOnly(async (request) => ({ agent: await port.setCapacity(request.userId, request.capacity, request.phoneBlocksChat, leadAuditActor(user)) })),
    );
  });
}
