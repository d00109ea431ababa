/**
 * Who is connected, and the live fan-out. Sockets are indexed by principal (an agent's own
 * `agent:<id>`, leads) so a committed batch reaches exactly the live sockets in its audience
 * without scanning every socket. Agents are sent only what they hold or are offered
 * (server/viewScope.ts): a queued contact costs a socket write to leads and the offered
 * agent, not to every agent of its channel (they get server/queueSummary.ts instead); each socket gets ONE `sync:changes` per
 * committed transaction, naming the seq it follows (`after`) so a gap is detectable.
 * Agents get each change masked (server/piiMasking.ts), leads and admins clear.
 */
import type { Server, Socket } from 'socket.io';
import type { User } from '../shared/domain.js';
import { piiViewOf, type PiiView } from '../shared/masking.js';
import type { Change, ClientToServerEvents, InterServerEvents, ServerToClientEvents } from '../shared/sync.js';
import { maskChange } from './piiMasking.js';
import type { CommittedChange } from './store.js';

/** What the server keeps on each authenticated socket (`socket.data`). */
export interface SocketData {
  user: User;
  clientId: string;
  /** SHA-256 of the socket's token: its room (server/sessions.ts), so signing out reaches it. */
  tokenHash: string;
  tokenExpiresAt: number;
  /** True once a complete pull brought this socket up to `cursor`; only live sockets get pushes. */
  live: boolean;
  /** The seq this socket has been sent everything visible up to. */
  cursor: number;
  /**
   * Collision (server/collisionSocket.ts): the ticket this socket shows and until when its user
   * counts as typing there (0: not typing). Kept on the socket so `fetchSockets` reads it on
   * every node; absent = viewing nothing.
   */
  viewing?: { ticketId: string; typingUntil: number } | null;
}

export type SyncServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type SyncSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The connected sockets by principal, and the fan-out of committed changes to them. */
export interface LiveHub {
  add(socket: SyncSocket): void;
  remove(socket: SyncSocket): void;
  /** After a complete pull: the socket is live from `cursor` on. */
  markLive(socket: SyncSocket, cursor: number): void;
  markNotLive(socket: SyncSocket): void;
  /** The newest seq fanned out so far: a pull answered up to less must be read again before its socket goes live. */
  fannedOutUpTo(): number;
  /** Sends one committed batch to every live socket in its audience. */
  fanOut(batch: readonly CommittedChange[]): void;
}

function addTo<K>(index: Map<K, Set<SyncSocket>>, key: K, socket: SyncSocket): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(socket);
}

function removeFrom<K>(index: Map<K, Set<SyncSocket>>, key: K, socket: SyncSocket): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(socket);
  if (set.size === 0) index.delete(key);
}

/** `now` is the server's clock: a socket whose token has expired gets nothing more, even before its timer ends it. */
export function createLiveHub(now: () => number): LiveHub {
  const byUser = new Map<string, Set<SyncSocket>>();
  const leads = new Set<SyncSocket>();

  function targetsOf(audience: readonly string[]): Set<SyncSocket> {
    const targets = new Set<SyncSocket>(leads);
    for (const principal of audience) {
      const colon = principal.indexOf(':');
      const kind = principal.slice(0, colon);
      const key = principal.slice(colon + 1);
      // `queue:<channel>` principals reach leads only (already in `targets`).
      const sockets = kind === 'agent' ? byUser.get(key) : undefined;
      if (sockets) for (const socket of sockets) targets.add(socket);
    }
    return targets;
  }

  // Commits of one event-loop turn (many, when the server is busy) leave as ONE
  // `sync:changes` per socket: under load that divides the socket writes by the number of
  // commits per turn, and when idle it adds no delay (flushed right after this turn).
  const pending = new Map<SyncSocket, { after: number; upTo: number; changes: Change[] }>();
  let flushScheduled = false;
  let fannedOutUpTo = 0;

  function flush(): void {
    flushScheduled = false;
    // Sockets owed the same changes after the same cursor, in the same view of personal data
    // (typically every agent of a queue), get ONE broadcast: socket.io encodes the packet once
    // for all of them, and each change is masked once for all agents.
    const groups = new Map<string, { after: number; upTo: number; changes: Change[]; view: PiiView; socketIds: string[]; nsp: SyncSocket['nsp'] }>();
    for (const [socket, { after, upTo, changes }] of pending) {
      if (!socket.connected) continue;
      const view = piiViewOf(socket.data.user.role);
      const key = `${view}|${String(after)}|${String(upTo)}|${changes.map((change) => change.seq).join(',')}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { after, upTo, changes, view, socketIds: [], nsp: socket.nsp }));
      group.socketIds.push(socket.id);
    }
    pending.clear();
    const masked = new Map<number, Change>();
    const maskedOnce = (change: Change): Change => {
      let copy = masked.get(change.seq);
      if (!copy) masked.set(change.seq, (copy = maskChange(change)));
      return copy;
    };
    for (const { after, upTo, changes, view, socketIds, nsp } of groups.values()) {
      nsp.to(socketIds).emit('sync:changes', { after, upTo, changes: view === 'clear' ? changes : changes.map(maskedOnce) });
    }
  }

  return {
    add(socket) {
      const { user } = socket.data;
      addTo(byUser, user.id, socket);
      if (user.role !== 'agent') leads.add(socket);
    },
    remove(socket) {
      const { user } = socket.data;
      if (!byUser.get(user.id)?.has(socket)) return;
      removeFrom(byUser, user.id, socket);
      leads.delete(socket);
      pending.delete(socket);
      socket.data.live = false;
    },
    markLive(socket, cursor) {
      // The pull that made it live answered everything up to `cursor`, pending sends included.
      pending.delete(socket);
      socket.data.live = true;
      socket.data.cursor = cursor;
    },
    markNotLive(socket) {
      pending.delete(socket);
      socket.data.live = false;
    },
    fannedOutUpTo: () => fannedOutUpTo,
    fanOut(batch) {
      const last = batch[batch.length - 1];
      if (!last) return;
      const upTo = last.change.seq;
      fannedOutUpTo = Math.max(fannedOutUpTo, upTo);
      const at = now();
      for (const { change, audience } of batch) {
        for (const socket of targetsOf(audience)) {
          if (!socket.data.live || change.seq <= socket.data.cursor || at >= socket.data.tokenExpiresAt) continue;
          let owed = pending.get(socket);
          if (!owed) pending.set(socket, (owed = { after: socket.data.cursor, upTo, changes: [] }));
          owed.changes.push(change);
          owed.upTo = upTo;
        }
      }
      for (const [socket, owed] of pending) if (owed.upTo === upTo) socket.data.cursor = upTo;
      if (!flushScheduled && pending.size > 0) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
  };
}
