/**
 * Collision (shared/collision.ts): who else is viewing or typing on a ticket, live. Each
 * socket that shows a ticket joins the room `ticket-view:<id>` and keeps what it does in
 * `socket.data.viewing`; the roster is read with `fetchSockets()`, which on a cluster asks
 * every node through the socket.io adapter, so presence is never one process's memory and a
 * node that dies takes its sockets out of every roster. Only a user who may see the ticket
 * (`canUserSeeTicket`) joins, and each roster goes only to the room's sockets whose user still
 * may (one who lost the ticket is taken out of the room). Typing is renewed at most every
 * TICKET_TYPING_THROTTLE_MS per socket and lapses after TICKET_TYPING_TTL_MS.
 *
 * A node that dies (SIGKILL, power, a lost network) runs no disconnect handler: nobody
 * announces that its sockets are gone. So every node sweeps the rosters of the tickets its own
 * sockets view every PRESENCE_SWEEP_MS and re-sends a roster to each of its sockets whose last
 * one differs. The adapter asks only the nodes subscribed in Redis (PUBSUB NUMSUB), and a dead
 * process's Redis connections close with it, so the next sweep no longer finds its sockets
 * (docs/technical/server.md, Collision).
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
import { createPacedJob } from './pacedJob.js';
import type { ServerStore } from './store.js';

export interface CollisionDependencies {
  store: ServerStore;
  now: () => number;
  log: (line: string) => void;
  /** A socket began or stopped showing a ticket (the leads' board says what each agent has open). */
  onViewingChanged?: () => void;
  /** How often this node re-reads its viewers' rosters; default PRESENCE_SWEEP_MS. */
  sweepMs?: number;
}

/** Each node re-reads the rosters its sockets show this often: what bounds how long a dead node's viewers stay listed. */
export const PRESENCE_SWEEP_MS = 5_000;

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
export function attachCollision(io: SyncServer, deps: CollisionDependencies): { stop(): Promise<void> } {
  const lapseTimers = new Set<NodeJS.Timeout>();
  /** Per socket of this node: the last roster sent to it (from any node), as `rosterKey`. */
  const lastSent = new Map<string, string>();
  let stopped = false;

  /**
   * Tells every socket viewing the ticket (whose user may see it) who is there now; with
   * `onlyTo`, only those of this node's sockets (a sweep's repair: other nodes repair theirs).
   */
  async function announce(ticketId: string, onlyTo?: ReadonlySet<string>): Promise<void> {
    if (stopped) return;
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
    const key = rosterKey(ticketId, event.viewers, event.count);
    for (const socket of allowed) {
      // A repair skips the sockets an announcement reached since the sweep read: no twice-told roster.
      if (onlyTo && (!onlyTo.has(socket.id) || lastSent.get(socket.id) === key)) continue;
      socket.emit('ticket:presence', event);
    }
  }

  /**
   * Re-reads the rosters of the tickets this node's sockets view and re-announces, to this
   * node's sockets only, each one whose last roster no longer matches: what no disconnect
   * handler announced (a dead node's sockets), or an announcement lost on the way.
   */
  async function sweep(): Promise<void> {
    const rooms = localTicketRooms();
    if (rooms.length === 0 || stopped) return;
    const sockets = await io.in(rooms).fetchSockets();
    const now = deps.now();
    const byTicket = new Map<string, TicketViewer[]>();
    for (const { data } of sockets) {
      const { user, viewing } = data;
      if (!user || !viewing?.ticketId) continue;
      const viewers = byTicket.get(viewing.ticketId) ?? [];
      viewers.push({ userId: user.id, name: user.displayName, typing: viewing.typingUntil > now });
      byTicket.set(viewing.ticketId, viewers);
    }
    const stale = new Map<string, Set<string>>();
    for (const socket of io.sockets.sockets.values()) {
      const ticketId = socket.data.viewing?.ticketId;
      // Only those in the room: one taken out (lost the ticket) is told nothing more.
      if (!ticketId || !socket.rooms.has(ticketViewRoom(ticketId))) continue;
      // Sent a roster other than the one read now (or none yet): this socket is re-told.
      if (lastSent.get(socket.id) === rosterKey(ticketId, mergeViewers(byTicket.get(ticketId) ?? []))) continue;
      const ids = stale.get(ticketId) ?? new Set<string>();
      ids.add(socket.id);
      stale.set(ticketId, ids);
    }
    for (const [ticketId, ids] of stale) await announce(ticketId, ids);
  }

  function localTicketRooms(): string[] {
    const prefix = ticketViewRoom('');
    return [...io.sockets.adapter.rooms.keys()].filter((room) => room.startsWith(prefix));
  }

  const sweeper = createPacedJob({
    run: sweep,
    onError: (error) => deps.log(`ticket:presence sweep failed: ${error instanceof Error ? error.message : String(error)}`),
    intervalMs: deps.sweepMs ?? PRESENCE_SWEEP_MS,
    recheckMs: deps.sweepMs ?? PRESENCE_SWEEP_MS,
    wanted: () => !stopped && localTicketRooms().length > 0,
  });

  function announceLater(ticketId: string): void {
    announce(ticketId).catch((error: unknown) => deps.log(`ticket:presence for ${ticketId} failed: ${error instanceof Error ? error.message : String(error)}`));
  }

  io.on('connection', (socket: SyncSocket) => {
    // Whatever node sent it: the sweep compares against what this socket was last told.
    socket.onAnyOutgoing((event: string, payload: TicketPresenceEvent) => {
      // Not for a socket gone meanwhile (an announce waits on the other nodes): its entry would never be deleted.
      if (event === 'ticket:presence' && socket.connected) lastSent.set(socket.id, rosterKey(payload.ticketId, payload.viewers, payload.count));
    });
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
      lastSent.delete(socket.id);
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
    async stop() {
      stopped = true;
      for (const timer of lapseTimers) clearTimeout(timer);
      lapseTimers.clear();
      await sweeper.stop();
    },
  };
}

/** One viewer per user, typing if any of their sockets types: what `announce` names. */
function mergeViewers(viewers: readonly TicketViewer[]): TicketViewer[] {
  const byUser = new Map<string, TicketViewer>();
  for (const viewer of viewers) byUser.set(viewer.userId, { ...viewer, typing: viewer.typing || (byUser.get(viewer.userId)?.typing ?? false) });
  return [...byUser.values()];
}

/**
 * A roster as a comparable string: the same viewers in any order give the same key. Beyond
 * MAX_TICKET_VIEWERS the list sent is cut, so only the count is compared.
 */
function rosterKey(ticketId: string, viewers: readonly TicketViewer[], count = viewers.length): string {
  if (count > MAX_TICKET_VIEWERS) return `${ticketId}|${String(count)}`;
  const names = viewers.map((viewer) => `${viewer.userId}${viewer.typing ? '+' : ''}`).sort();
  return `${ticketId}|${String(count)}|${names.join(',')}`;
}
