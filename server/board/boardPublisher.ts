/**
 * The leads' live channel board (shared/board.ts) on the socket server: computed ONCE per
 * interval for every lead (never per socket), only while at least one lead or admin is
 * connected to this node, after something committed (dirty-marking, as server/queueSummary.ts)
 * or every `recheckMs` (open tickets turn overdue without any commit). Each snapshot whose
 * figures changed goes to the board room, which only lead and admin sockets join; a lead
 * gets the current board when they connect and on `board:get`. Agents never join the room,
 * and `board:get` answers them `forbidden`.
 */
import { BOARD_INTERVAL_MS, MAX_BOARD_AGENTS, boardGetRequestSchema, type BoardSnapshot } from '../../shared/board.js';
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
  /**
   * Which ticket each user has open on a workstation now (user id → ticket id): the collision
   * roster (server/collisionSocket.ts), read from every node's sockets. None when not given.
   */
  viewing?: () => Promise<Map<string, string>>;
  /** Several nodes share the sockets (the cluster adapter): a viewing change here is told to the other nodes' boards. */
  acrossNodes?: boolean;
}

export interface BoardPublisher {
  /** Something committed (or someone opened another ticket): the board is recomputed within the interval, if a lead watches. */
  markDirty(): void;
  /**
   * An agent of this node opened or left a ticket: recomputed here, and on every other node, whose
   * leads get only their own node's pushes (io.local) and would see it at their next recheck.
   */
  viewingChanged(): void;
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
    const figures = JSON.stringify([snapshot.day, snapshot.rows, snapshot.agents]);
    if (figures === sentFigures) return;
    sentFigures = figures;
    // This node's watchers only: every node with a lead watching computes the board for its own,
    // so through the cluster adapter each lead got every change once per such node.
    io.local.to(BOARD_ROOM).emit('board:snapshot', snapshot);
  }

  /** The snapshot with what each agent has open on screen now joined in (an agent viewing a ticket but holding none gets a row). */
  async function compute(): Promise<BoardSnapshot> {
    const [snapshot, viewing] = await Promise.all([options.board.snapshot(options.now()), options.viewing?.() ?? Promise.resolve(new Map<string, string>())]);
    if (viewing.size === 0) return snapshot;
    const agents = snapshot.agents.map((agent) => ({ ...agent, viewingTicketId: viewing.get(agent.userId) ?? null }));
    const listed = new Set(agents.map((agent) => agent.userId));
    for (const [userId, ticketId] of viewing) if (!listed.has(userId)) agents.push({ userId, oldestOpen: null, viewingTicketId: ticketId });
    return { ...snapshot, agents: agents.slice(0, MAX_BOARD_AGENTS) };
  }

  const job = createPacedJob({
    run: compute,
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

  // Another node's agent opened or left a ticket (a commit reaches every node by itself; this does not).
  if (options.acrossNodes) io.on('board:viewingChanged', () => job.markDirty());

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
    viewingChanged() {
      job.markDirty();
      if (options.acrossNodes && !stopped) io.serverSideEmit('board:viewingChanged');
    },
    computations: () => job.runs(),
    stop() {
      stopped = true;
      return job.stop();
    },
  };
}
