/**
 * Collision (shared/collision.ts): who else is viewing or typing on a ticket, live. Each
 * socket that shows a ticket joins the room `ticket-view:<id>` and keeps what it does in
 * `socket.data.viewing`; the roster is read with `fetchSockets()`, which on a cluster asks
 * every node through the socket.io adapter, so presence is never one process's memory and a
 * node that dies takes its sockets out of every roster. Only a user who may see the ticket
 * (`canUserSeeTicket`) joins, and each roster goes only to the room's sockets whose user still
 * may (one who lost the ticket is taken out of the room). Typing is renewed at most every
 * TICKET_TYPING_THROTTLE_MS per socket and lapses after TICKET_TYPING_TTL_MS.
 */
import { canUserSeeTicket } from '../shared/domain.js';
import {
  MAX_TICKET_VIEWERS,
  TICKET_TYPING_THROTTLE_MS,
  TICKET_TYPING_TTL_MS,
  ticketPresenceRequestSchema,
  type TicketPresenceEvent,
  type TicketViewer,
} from '../shared/collision.js';
import type { SyncServer, SyncSocket } from './liveHub.js';
import type { ServerStore } from './store.js';

export interface CollisionDependencies {
  store: ServerStore;
  now: () => number;
  log: (line: string) => void;
  /** A socket began or stopped showing a ticket (the leads' board says what each agent has open). */
  onViewingChanged?: () => void;
}

/** The room of a ticket's viewers (on every node, through the adapter). */
export function ticketViewRoom(ticketId: string): string {
  return `ticket-view:${ticketId}`;
}

/**
 * Which ticket each agent has open on a workstation now (user id → ticket id), for the leads'
 * board: the same `socket.data.viewing` the rosters read, from every node's sockets through
 * the adapter, so there is no second tracker and a dead node's sockets drop out. An agent on
 * two devices shows one of them.
 */
export async function viewingByUser(io: SyncServer): Promise<Map<string, string>> {
  const viewing = new Map<string, string>();
  for (const socket of await io.fetchSockets()) {
    const { user, viewing: shown } = socket.data;
    if (user?.role === 'agent' && shown?.ticketId && !viewing.has(user.id)) viewing.set(user.id, shown.ticketId);
  }
  return viewing;
}

/** Wires collision into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachCollision(io: SyncServer, deps: CollisionDependencies): { stop(): void } {
  const lapseTimers = new Set<NodeJS.Timeout>();

  /** Tells every socket viewing the ticket (whose user may see it) who is there now. */
  async function announce(ticketId: string): Promise<void> {
    const ticket = await deps.store.getTicket(ticketId);
    const sockets = await io.in(ticketViewRoom(ticketId)).fetchSockets();
    if (!ticket) return;
    const now = deps.now();
    const byUser = new Map<string, TicketViewer>();
    const allowed: typeof sockets = [];
    for (const socket of sockets) {
      const { user, viewing } = socket.data;
      if (!user || viewing?.ticketId !== ticketId) continue;
      if (!canUserSeeTicket(user, ticket)) {
        // Lost the ticket since (reassigned): out of the room, told nothing more.
        socket.leave(ticketViewRoom(ticketId));
        continue;
      }
      allowed.push(socket);
      const typing = viewing.typingUntil > now;
      const known = byUser.get(user.id);
      byUser.set(user.id, { userId: user.id, name: user.displayName, typing: typing || (known?.typing ?? false) });
    }
    const viewers = [...byUser.values()];
    const event: TicketPresenceEvent = { ticketId, viewers: viewers.slice(0, MAX_TICKET_VIEWERS), count: viewers.length };
    for (const socket of allowed) socket.emit('ticket:presence', event);
  }

  function announceLater(ticketId: string): void {
    announce(ticketId).catch((error: unknown) => deps.log(`ticket:presence for ${ticketId} failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  io.on('connection', (socket: SyncSocket) => {
    let lastTypingAt = 0;
    let lapse: NodeJS.Timeout | null = null;
    const clearLapse = () => {
      if (lapse) {
        clearTimeout(lapse);
        lapseTimers.delete(lapse);
        lapse = null;
      }
    };

    async function onPresence(raw: unknown): Promise<void> {
      const parsed = ticketPresenceRequestSchema.safeParse(raw);
      if (!parsed.success) return;
      const { ticketId, typing } = parsed.data;
      const before = socket.data.viewing ?? null;
      const now = deps.now();
      if (before && before.ticketId === ticketId) {
        const wasTyping = before.typingUntil > now;
        // A renewal of "typing" faster than the throttle changes nothing anyone sees: dropped.
        if (typing && wasTyping && now - lastTypingAt < TICKET_TYPING_THROTTLE_MS) return;
        if (!typing && !wasTyping) return;
      }
      if (!before || before.ticketId !== ticketId) deps.onViewingChanged?.();
      if (before && before.ticketId !== ticketId) {
        socket.data.viewing = null;
        await socket.leave(ticketViewRoom(before.ticketId));
        announceLater(before.ticketId);
      }
      clearLapse();
      if (ticketId === null) {
        socket.data.viewing = null;
        return;
      }
      if (!before || before.ticketId !== ticketId) {
        const ticket = await deps.store.getTicket(ticketId);
        // Not theirs to see (or no such ticket): they learn nothing, and nobody learns of them.
        if (!ticket || !canUserSeeTicket(socket.data.user, ticket)) return;
        await socket.join(ticketViewRoom(ticketId));
      }
      if (typing) lastTypingAt = now;
      socket.data.viewing = { ticketId, typingUntil: typing ? now + TICKET_TYPING_TTL_MS : 0 };
      if (typing) {
        // When the signal lapses, everyone hears that the typing stopped.
        lapse = setTimeout(() => {
          lapseTimers.delete(lapse!);
          lapse = null;
          if (socket.data.viewing?.ticketId !== ticketId) return;
          socket.data.viewing = { ticketId, typingUntil: 0 };
          announceLater(ticketId);
        }, TICKET_TYPING_TTL_MS + 50);
        lapseTimers.add(lapse);
      }
      await announce(ticketId);
    }

    // One at a time per socket, so "left A, viewing B" is never overtaken by its own echo.
    let queue = Promise.resolve();
    (socket.on as unknown as (event: string, listener: (raw: unknown) => void) => void).call(socket, 'ticket:presence', (raw: unknown) => {
      queue = queue
        .then(() => onPresence(raw))
        .catch((error: unknown) =>
          deps.log(`ticket:presence from ${socket.data.user.username} failed: ${error instanceof Error ? error.message : String(error)}`),
        );
    });

    socket.on('disconnect', () => {
      clearLapse();
      const viewing = socket.data.viewing;
      socket.data.viewing = null;
      // The socket has left its rooms by now: the others hear it is gone.
      if (viewing) {
        announceLater(viewing.ticketId);
        deps.onViewingChanged?.();
      }
    });
  });

  return {
    stop() {
      for (const timer of lapseTimers) clearTimeout(timer);
      lapseTimers.clear();
    },
  };
}
