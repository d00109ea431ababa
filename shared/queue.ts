/**
 * The queues as an agent sees them without receiving every queued contact: a compact
 * summary pushed (throttled) per channel, and on-demand reads — the queued tickets they could
 * take (`queue:list`) and one ticket's bundle (`ticket:fetch`). See docs/technical/sync-protocol.md,
 * "What each workstation is sent".
 */
import { z } from 'zod';
import { channelSchema, ticketBundleSchema, ticketGroupSchema, ticketIdSchema, ticketSchema } from './domain.js';

/** Default and smallest gap between two summaries pushed to the same channel (ms). */
export const QUEUE_SUMMARY_INTERVAL_MS = 1000;

/** One channel's queue for one topic group (null = no group known). */
export const queueSummaryEntrySchema = z.object({
  channel: channelSchema,
  group: ticketGroupSchema.nullable(),
  /** Open tickets nobody holds (offered ones included: they wait until accepted). */
  waiting: z.number().int().nonnegative(),
  /** createdAt of the oldest of them. */
  oldestSince: z.number().int().nonnegative(),
  /** How many are at risk of breaching their SLA, or have breached it (shared/sla.ts). */
  breaching: z.number().int().nonnegative(),
  /**
   * Of `breaching`, those already past their due time (shared/sla.ts "breached"); the rest are
   * at risk only. Defaults to 0 so a summary from a server older than this field still parses.
   */
  breached: z.number().int().nonnegative().default(0),
});
export type QueueSummaryEntry = z.infer<typeof queueSummaryEntrySchema>;

/**
 * The queues of `channels` as of `at`: `entries` replace everything the client knew of those
 * channels (a channel with no entry has an empty queue).
 */
export const queueSummarySchema = z.object({
  at: z.number().int().nonnegative(),
  channels: z.array(channelSchema),
  entries: z.array(queueSummaryEntrySchema),
});
export type QueueSummary = z.infer<typeof queueSummarySchema>;

/** Most queued tickets one `queue:list` answers. */
export const MAX_QUEUE_LIST = 200;

/** Where a queue listing goes on from: the last row of the page before (oldest first). */
export const queueCursorSchema = z.object({ createdAt: z.number().int().nonnegative(), id: ticketIdSchema }).strict();
export type QueueCursor = z.infer<typeof queueCursorSchema>;

/** Longest search text one `queue:list` takes, and most terms of it searched (each a LIKE over four columns). */
export const MAX_QUEUE_QUERY_LENGTH = 100;
export const MAX_QUEUE_QUERY_TERMS = 5;

/** A search's terms as the inbox search splits them (white space), at most `MAX_QUEUE_QUERY_TERMS`, duplicates once. */
export function queueQueryTerms(query: string): string[] {
  return [
    ...new Set(
      query
        .trim()
        .split(/\s+/u)
        .filter((term) => term.length > 0),
    ),
  ].slice(0, MAX_QUEUE_QUERY_TERMS);
}

/**
 * The queued tickets the caller could take, longest waiting first: of one channel or all of
 * theirs, of one group (null = tickets with no group) or all; `after` pages on. `query`
 * (issue 12) keeps those where every term is in the ticket id, subject, customer name or a
 * message's text, as the caller would read them (masked for agents).
 */
export const queueListRequestSchema = z
  .object({
    channel: channelSchema.optional(),
    group: ticketGroupSchema.nullable().optional(),
    limit: z.number().int().min(1).max(MAX_QUEUE_LIST),
    after: queueCursorSchema.optional(),
    query: z.string().max(MAX_QUEUE_QUERY_LENGTH).optional(),
  })
  .strict();
export type QueueListRequest = z.infer<typeof queueListRequestSchema>;

/** Longest excerpt of a matching message a search row carries. */
export const QUEUE_EXCERPT_LENGTH = 80;

/** `excerpt`: with a search, the text around the first hit in a message when the row's own fields do not show every term: `QUEUE_EXCERPT_LENGTH` characters and "…" where cut, bounded with room for masking to rewrite. */
export const queuedTicketSchema = z.object({
  ticket: ticketSchema,
  customerName: z.string(),
  excerpt: z
    .string()
    .max(QUEUE_EXCERPT_LENGTH * 2)
    .optional(),
});
export type QueuedTicket = z.infer<typeof queuedTicketSchema>;

export const queueListResultSchema = z.object({ rows: z.array(queuedTicketSchema), next: queueCursorSchema.nullable() });
export type QueueListResult = z.infer<typeof queueListResultSchema>;

/** One ticket's bundle, when the caller may open it (`canUserSeeTicket`); else `not_found`. */
export const ticketFetchRequestSchema = z.object({ ticketId: ticketIdSchema }).strict();
export type TicketFetchRequest = z.infer<typeof ticketFetchRequestSchema>;

export const ticketFetchResultSchema = z.object({ bundle: ticketBundleSchema });
export type TicketFetchResult = z.infer<typeof ticketFetchResultSchema>;
