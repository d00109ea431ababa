/**
 * The leads' live channel board (shared/board.ts) on the socket server: computed ONCE per
 * interval for every lead (never per socket), only while at least one lead or admin is
 * connected to this node, after something committed (dirty-marking, as server/queueSummary.ts)
 * or every `recheckMs` (open tickets turn overdue without any commit). Each snapshot whose
 * figures changed goes to the board room, which only lead and admin sockets join; a lead
 * gets the current board when they connect and on `board:get`. Agents never join the room,
 * and `board:get` answers them `forbidden`.
 */
import { BOARD_INTERVAL_MS, boardGetRequestSchema, type BoardSnapshot } from '../../shared/board.js';
import type { SyncServer, SyncSocket } from '../liveHub.js';
import { createPacedJob } from '../pacedJob.js';
import { handle, SyncRefusal } from '../sync.js';
import type { BoardRepository } from './boardRepository.js';

/** The room of the board's pushes: lead and admin sockets only. */
export const BOARD_ROOM = 'board';

export interface BoardPublisherOptions {
  board: BoardRepository;
  now: () => number;
  log: (line: string) => void;
  /** Smallest gap between two computations (and so between two pushes); default BOARD_INTERVAL_MS. */
  intervalMs?: number;
  /** Recompute this often while leads watch even when nothing committed; default 15 s. */
  recheckMs?: number;
}

export interface BoardPublisher {
  /** Something committed: the board is recomputed within the interval, if a lead watches. */
  markDirty(): void;
  /** How many times the board was computed (the bench and tests count it: once per interval, not per lead). */
  computations(): number;
  /** Resolves once the computation in flight (if any) has ended. */
  stop(): Promise<void>;
}

function canWatch(socket: SyncSocket): boolean {
  return socket.data.user.role !== 'agent';
}

/** Wires the board into the socket server; call after `attachSync` (its middleware authenticates). */
export function attachBoard(io: SyncServer, options: BoardPublisherOptions): BoardPublisher {
  const watchers = new Set<SyncSocket>();
  let current: BoardSnapshot | null = null;
  let sentFigures = '';
  let stopped = false;

  function reportFailure(error: unknown): void {
    options.log(`board failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  function publish(snapshot: BoardSnapshot): void {
    if (stopped) return;
    // The same figures again (a recheck with nothing new) are not re-sent.
    const figures = JSON.stringify([snapshot.day, snapshot.rows]);
    if (figures === sentFigures) return;
    sentFigures = figures;
    io.to(BOARD_ROOM).emit('board:snapshot', snapshot);
  }

  const job = createPacedJob({
    run: () => options.board.snapshot(options.now()),
    after: (snapshot) => {
      current = snapshot;
      publish(snapshot);
    },
    onError: reportFailure,
    intervalMs: options.intervalMs ?? BOARD_INTERVAL_MS,
    recheckMs: options.recheckMs ?? 15_000,
    wanted: () => watchers.size > 0,
  });

  /** The board for one lead now: the last one while nothing changed, else a fresh (shared) computation. */
  function currentBoard(): Promise<BoardSnapshot> {
    if (current && !job.isDirty() && !job.isRunning()) return Promise.resolve(current);
    return job.runNow();
  }

  io.on('connection', (socket) => {
    handle(socket, options, 'board:get', boardGetRequestSchema, async () => {
      if (!canWatch(socket)) throw new SyncRefusal('forbidden', 'the channel board is for leads and admins');
      return { board: await currentBoard() };
    });
    if (!canWatch(socket)) return;
    watchers.add(socket);
    void socket.join(BOARD_ROOM);
    socket.on('disconnect', () => watchers.delete(socket));
    currentBoard().then((snapshot) => socket.emit('board:snapshot', snapshot), reportFailure);
  });

  return {
    markDirty: () => job.markDirty(),
    computations: () => job.runs(),
    stop() {
      stopped = true;
      return job.stop();
    },
  };
}
