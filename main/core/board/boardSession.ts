/**
 * The client half of the leads' channel board for one signed-in session: the server pushes
 * `board:snapshot` to leads and admins (on connect and whenever the figures change); each
 * push is checked against its schema, kept here (for a window that opens late, `board.get`)
 * and passed on as the `board` event. Agents are never sent a board, so theirs stays null.
 * See docs/technical/core.md ("The channel board").
 */
import { boardSnapshotSchema, type BoardSnapshot } from '../../../shared/board.js';
import type { RpcEventName, RpcEvents } from '../../../shared/rpc.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

export interface BoardSessionOptions {
  socket: WorkstationSocket;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
  log?: (line: string) => void;
}

export interface BoardSession {
  /** The board as last heard from the server this session; null before the first push. */
  current(): BoardSnapshot | null;
  stop(): void;
}

export function startBoardSession(options: BoardSessionOptions): BoardSession {
  let current: BoardSnapshot | null = null;
  let stopped = false;

  function onSnapshot(raw: unknown): void {
    if (stopped) return;
    const parsed = boardSnapshotSchema.safeParse(raw);
    if (!parsed.success) {
      options.log?.(`board: ignored a push that is not a board (${parsed.error.issues[0]?.message ?? 'invalid'})`);
      return;
    }
    // A late push of an older board never replaces a newer one.
    if (current && parsed.data.at < current.at) return;
    current = parsed.data;
    options.emit('board', { board: current });
  }

  options.socket.on('board:snapshot', onSnapshot);

  return {
    current: () => current,
    stop() {
      if (stopped) return;
      stopped = true;
      options.socket.off('board:snapshot', onSnapshot);
    },
  };
}
