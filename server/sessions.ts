/**
 * A signed-in socket lives no longer than its token. Each socket is disconnected when its
 * token expires (one timer per socket on the server's scheduler, cancelled on disconnect)
 * and when its token is revoked by signing out; both times it is told why first
 * (`session:ended`), so the workstation signs out at once instead of on its next request.
 * Sockets join a room per token, so a revocation reaches them on whichever node holds them
 * once nodes share a socket.io adapter.
 */
import type { SessionEnded } from '../shared/sync.js';
import type { SyncServer, SyncSocket } from './liveHub.js';
import type { RoutingScheduler } from './routing/scheduler.js';

/** The room of every socket signed in with one token (by the token's SHA-256, never the token). */
export function tokenRoom(tokenHash: string): string {
  return `token:${tokenHash}`;
}

const MESSAGES: Record<SessionEnded['reason'], string> = {
  expired: 'The sign-in token has expired; sign in again.',
  revoked: 'This session was signed out; sign in again.',
};

/** Ends sockets whose token is no longer good. */
export interface SessionEnds {
  /** Starts watching the sockets of `io` (call after `attachSync`, whose middleware sets `socket.data`). */
  attach(io: SyncServer): void;
  /** Tells every socket of the token why, then disconnects them (sign-out). */
  endToken(tokenHash: string, reason: SessionEnded['reason']): void;
  /** The same for one socket (one whose token was revoked before it joined the token's room). */
  endSocket(socket: SyncSocket, reason: SessionEnded['reason']): void;
}

export interface SessionEndsDependencies {
  scheduler: RoutingScheduler;
  log: (line: string) => void;
}

export function createSessionEnds(deps: SessionEndsDependencies): SessionEnds {
  let server: SyncServer | null = null;

  function end(socket: SyncSocket, reason: SessionEnded['reason']): void {
    socket.emit('session:ended', { reason, message: MESSAGES[reason] });
    // Not `close`: the disconnect packet follows the event on the same connection, so it arrives first.
    socket.disconnect();
  }

  return {
    attach(io) {
      server = io;
      io.on('connection', (socket) => {
        void socket.join(tokenRoom(socket.data.tokenHash));
        const cancel = deps.scheduler.setTimer(socket.data.tokenExpiresAt, () => {
          if (!socket.connected) return;
          deps.log(`session of ${socket.data.user.username} (client ${socket.data.clientId}) ended: its token expired`);
          end(socket, 'expired');
        });
        socket.on('disconnect', cancel);
      });
    },
    endToken(tokenHash, reason) {
      if (!server) return;
      const sockets = server.in(tokenRoom(tokenHash));
      sockets.emit('session:ended', { reason, message: MESSAGES[reason] });
      sockets.disconnectSockets();
    },
    endSocket: end,
  };
}
