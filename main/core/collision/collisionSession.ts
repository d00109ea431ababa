/**
 * Collision for one signed-in session (shared/collision.ts): the renderer says which ticket
 * it shows and whether the user is typing (`ticket.presence`), which goes to the server as a
 * fire-and-forget `ticket:presence` and is said again after every reconnect (the server
 * forgets a socket's presence with the socket); the server's rosters come back as the
 * `ticketPresence` event. Ephemeral: never in the cache.
 */
import { ticketPresenceEventSchema, type TicketPresenceEvent, type TicketPresenceRequest } from '../../../shared/collision.js';
import type { RpcEventName, RpcEvents } from '../../../shared/rpc.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

export interface CollisionSessionOptions {
  socket: WorkstationSocket;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
}

export interface CollisionSession {
  /** Tells the server what this workstation shows; false when there is no connection to tell it over (said on reconnect). */
  setPresence(request: TicketPresenceRequest): { sent: boolean };
  /** The newest roster of the ticket shown, for a window that opens late. */
  current(): TicketPresenceEvent | null;
  stop(): void;
}

export function startCollisionSession(options: CollisionSessionOptions): CollisionSession {
  const { socket } = options;
  let shown: TicketPresenceRequest = { ticketId: null, typing: false };
  let roster: TicketPresenceEvent | null = null;
  let stopped = false;

  function onPresence(raw: unknown): void {
    const parsed = ticketPresenceEventSchema.safeParse(raw);
    if (stopped || !parsed.success || parsed.data.ticketId !== shown.ticketId) return;
    roster = parsed.data;
    options.emit('ticketPresence', roster);
  }

  function onConnect(): void {
    if (shown.ticketId !== null) socket.emit('ticket:presence', { ticketId: shown.ticketId, typing: false });
  }

  function onDisconnect(): void {
    // Nobody can tell us who is there while we are away.
    if (roster) options.emit('ticketPresence', { ticketId: roster.ticketId, viewers: [], count: 0 });
    roster = null;
  }

  socket.on('ticket:presence', onPresence);
  socket.on('connect', onConnect);
  socket.on('disconnect', onDisconnect);

  return {
    setPresence(request) {
      if (request.ticketId !== shown.ticketId) roster = null;
      shown = request;
      if (stopped || !socket.connected) return { sent: false };
      socket.emit('ticket:presence', request);
      return { sent: true };
    },
    current() {
      return roster;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      socket.off('ticket:presence', onPresence);
      socket.off('connect', onConnect);
      socket.off('disconnect', onDisconnect);
    },
  };
}
