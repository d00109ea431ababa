/**
 * The client half of the queue view for one signed-in session. The server sends an agent
 * only what they hold or are offered; the queues of their channels arrive as a throttled
 * summary (`queue:summary`, kept here and passed on as the `queueSummary` event) and on
 * demand: `queue.list` asks the server for the waiting tickets, `ticket.fetch` brings one into
 * the cache so it can be opened and taken like any other. Fetched tickets get no changes, so
 * they are dropped again (unless taken, or still current) at each listing and each catch-up
 * (syncClient.ts). Everything here needs the server: offline, the requests fail `offline`.
 * See docs/technical/core.md ("The queue view").
 */
import type { z } from 'zod';
import type { Channel, User } from '../../../shared/domain.js';
import {
  queueListResultSchema,
  queueSummarySchema,
  ticketFetchResultSchema,
  type QueueListRequest,
  type QueueListResult,
  type QueueSummaryEntry,
} from '../../../shared/queue.js';
import type { QueueSummaryState, RpcEventName, RpcEvents, TicketDetail } from '../../../shared/rpc.js';
import type { Cache } from '../cache/cache.js';
import { askServer } from '../askServer.js';
import { RpcError } from '../errors.js';
import type { WorkstationSocket } from '../sync/syncClient.js';

/** How long a queue request waits for the server's ack. */
export const QUEUE_REQUEST_TIMEOUT_MS = 10_000;

export interface QueueSessionOptions {
  socket: WorkstationSocket;
  cache: Cache;
  user: User;
  emit<E extends RpcEventName>(event: E, payload: RpcEvents[E]): void;
  /** Tickets changed in the cache (one fetched, or fetched ones dropped). */
  onChanged(ticketIds: string[]): void;
}

export interface QueueSession {
  summary(): QueueSummaryState;
  list(request: QueueListRequest): Promise<QueueListResult>;
  fetch(ticketId: string): Promise<TicketDetail>;
  stop(): void;
}

export function startQueueSession(options: QueueSessionOptions): QueueSession {
  const { socket, cache, user } = options;
  const byChannel = new Map<Channel, QueueSummaryEntry[]>();
  let at: number | null = null;
  let stopped = false;

  function state(): QueueSummaryState {
    return { at, entries: [...byChannel.values()].flat() };
  }

  function onSummary(raw: unknown): void {
    const parsed = queueSummarySchema.safeParse(raw);
    if (stopped || !parsed.success) return;
    // Each summary replaces what it covers; an older one arriving late is ignored.
    if (at !== null && parsed.data.at < at) return;
    at = parsed.data.at;
    for (const channel of parsed.data.channels)
      byChannel.set(
        channel,
        parsed.data.entries.filter((entry) => entry.channel === channel),
      );
    options.emit('queueSummary', state());
  }

  socket.on('queue:summary', onSummary);

  async function request<S extends z.ZodType>(event: 'queue:list' | 'ticket:fetch', payload: unknown, resultSchema: S): Promise<z.output<S>> {
    if (stopped || !socket.connected) throw new RpcError('offline', 'The queue needs a connection to the server; the workstation is offline.');
    return askServer(socket, event, payload, resultSchema, QUEUE_REQUEST_TIMEOUT_MS);
  }

  return {
    summary: state,

    async list(params) {
      const result = await request('queue:list', params, queueListResultSchema);
      // A fetched ticket the listing shows unchanged is still current; the others were taken, changed or left the queue.
      const current = result.rows.filter((row) => cache.reader.ticket(row.ticket.id)?.updatedAt === row.ticket.updatedAt).map((row) => row.ticket.id);
      const dropped = cache.writer.dropFetched(user, current);
      if (dropped.length > 0) options.onChanged(dropped);
      return result;
    },

    async fetch(ticketId) {
      const { bundle } = await request('ticket:fetch', { ticketId }, ticketFetchResultSchema);
      if (cache.writer.storeFetchedBundle(bundle, user)) options.onChanged([ticketId]);
      const detail = cache.reader.ticketDetail(ticketId);
      if (!detail) throw new RpcError('not_found', `Ticket ${ticketId} was not found.`);
      return detail;
    },

    stop() {
      if (stopped) return;
      stopped = true;
      socket.off('queue:summary', onSummary);
    },
  };
}
