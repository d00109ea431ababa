/**
 * The queue summary agents get instead of every queued contact (shared/queue.ts): per channel
 * and group, how many wait, since when, how many are at risk. Computed by ONE grouped query
 * (store.queue.summary) at most once per interval, only after something committed (or every
 * `recheckMs`, since waiting tickets drift into "at risk" without any change), and sent to a
 * channel's socket.io room (`queue:<channel>`) only when that channel's figures changed — one
 * broadcast per channel however many agents listen (on this node's sockets; below).
 * A socket gets its channels' current figures when it connects. Nothing is computed while no
 * agent socket of this node listens: at 100,000 waiting tickets one computation took 0.2–0.4 s,
 * and a node serving only leads (or nobody) recomputed it after every commit. Each node serves
 * its own sockets only (`io.local`: the pushes of several nodes carry the same figures, from one
 * database, so a broadcast through the cluster adapter reached every agent once per node).
 */
import { CHANNELS, type Channel, type User } from '../shared/domain.js';
import { QUEUE_SUMMARY_INTERVAL_MS, type QueueSummary, type QueueSummaryEntry } from '../shared/queue.js';
import type { SyncServer, SyncSocket } from './liveHub.js';
import { createPacedJob } from './pacedJob.js';
import type { ServerStore } from './store.js';

export interface QueueSummaryOptions {
  store: Pick<ServerStore, 'queue'>;
  now: () => number;
  log: (line: string) => void;
  /** Smallest gap between two computations (and so between two pushes to a channel); default 1 s. */
  intervalMs?: number;
  /** Recompute this often even when nothing committed (SLA risk moves with time); default 15 s. */
  recheckMs?: number;
}

export interface QueueSummaryPublisher {
  /** Something committed: the summary is recomputed within the interval. */
  markDirty(): void;
  /** Joins an agent's socket to its channels' rooms and sends it their current figures (computed now if something committed since). */
  greet(socket: SyncSocket): void;
  /** An admin changed the socket's user (`before`: as it had them): out of the rooms of channels taken away, into the new ones. */
  followUser(socket: SyncSocket, before: User): void;
  /** How many times the summary was computed. */
  computations(): number;
  /** Resolves once the computation in flight (if any) has ended. */
  stop(): Promise<void>;
}

/** The room of a channel's queue summary. */
export function queueRoom(channel: Channel): string {
  return `queue:${channel}`;
}

/** One computation: when, and each channel's entries. */
interface QueueFigures {
  at: number;
  byChannel: Map<Channel, QueueSummaryEntry[]>;
}

export function startQueueSummary(io: SyncServer, options: QueueSummaryOptions): QueueSummaryPublisher {
  let current: QueueFigures | null = null;
  const sentJson = new Map<Channel, string>();
  /** This node's agent sockets greeted and still connected: the summary is computed only while there is one. */
  const listeners = new Set<SyncSocket>();
  let stopped = false;

  async function compute(): Promise<QueueFigures> {
    const at = options.now();
    const byChannel = new Map<Channel, QueueSummaryEntry[]>(CHANNELS.map((channel) => [channel, []]));
    for (const entry of await options.store.queue.summary(at)) byChannel.get(entry.channel)?.push(entry);
    current = { at, byChannel };
    return current;
  }

  function reportFailure(error: unknown): void {
    options.log(`queue summary failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  function publish({ at, byChannel }: QueueFigures): void {
    if (stopped) return;
    for (const [channel, entries] of byChannel) {
      const json = JSON.stringify(entries);
      if (sentJson.get(channel) === json) continue;
      sentJson.set(channel, json);
      const summary: QueueSummary = { at, channels: [channel], entries };
      // This node's sockets only: every node with agents listening computes the same figures for
      // its own; through the cluster adapter each agent got each change once per such node.
      io.local.to(queueRoom(channel)).emit('queue:summary', summary);
    }
  }

  const job = createPacedJob({
    run: compute,
    after: publish,
    onError: reportFailure,
    intervalMs: options.intervalMs ?? QUEUE_SUMMARY_INTERVAL_MS,
    recheckMs: options.recheckMs ?? 15_000,
    wanted: () => listeners.size > 0,
  });

  function greet(socket: SyncSocket): void {
    const { user } = socket.data;
    if (user.role !== 'agent' || user.channels.length === 0) return;
    listeners.add(socket);
    socket.on('disconnect', () => listeners.delete(socket));
    // The rooms are joined only with the greeting: a run started for it publishes its figures to
    // the rooms before the greeting is sent, and a socket already in them got the same figures
    // twice. Nothing is missed meanwhile: any later run publishes after the join. The user is read
    // when the figures are ready (an admin may have changed their channels meanwhile, followUser).
    const joinAndGreet = (figures: QueueFigures | null) => {
      if (!socket.connected) return;
      const { channels } = socket.data.user;
      void socket.join(channels.map(queueRoom));
      if (!figures) return;
      const entries = channels.flatMap((channel) => figures.byChannel.get(channel) ?? []);
      socket.emit('queue:summary', { at: figures.at, channels: [...channels], entries });
    };
    // Figures computed before a commit nobody listened to are stale: computed again (shared with any other greeting).
    if (current && !job.isDirty() && !job.isRunning()) joinAndGreet(current);
    else
      job.runNow().then(joinAndGreet, (error: unknown) => {
        reportFailure(error);
        // No figures to greet with; in the rooms, the socket gets the next ones that change.
        joinAndGreet(null);
      });
  }

  return {
    markDirty: () => job.markDirty(),
    greet,
    followUser(socket, before) {
      const { user } = socket.data;
      // A channel taken away: its summary no longer reaches this socket; one given: greeted with it.
      for (const channel of before.channels) if (!user.channels.includes(channel)) void socket.leave(queueRoom(channel));
      if (user.role !== 'agent' || user.channels.length === 0) return;
      if (listeners.has(socket)) void socket.join(user.channels.map(queueRoom));
      else greet(socket);
    },
    computations: () => job.runs(),
    stop() {
      stopped = true;
      return job.stop();
    },
  };
}
