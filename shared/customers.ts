/**
 * One customer across channels: the request that merges two customers (a socket event with
 * an ack, like the routing requests) and what the workstation shows when searching for one.
 */
import { z } from 'zod';
import {
  channelSchema,
  customerIdSchema,
  customerSchema,
  epochMsSchema,
  identityKindSchema,
  messageSchema,
  ticketIdSchema,
  ticketSchema,
  type Channel,
  type Customer,
} from './domain.js';
import { csatResultSchema } from './csat.js';

/**
 * Merge `mergeId` into `keepId`: its tickets and identities move to the kept customer, and it
 * is marked merged (audited). Agents may merge only customers of tickets they can see.
 */
export const customerMergeRequestSchema = z.object({ keepId: customerIdSchema, mergeId: customerIdSchema }).strict();
export type CustomerMergeRequest = z.infer<typeof customerMergeRequestSchema>;

export const customerMergeResultSchema = z.object({
  /** The kept customer as it now is (identities of both). */
  customer: customerSchema,
  mergedId: customerIdSchema,
  /** The tickets that moved from the merged customer to the kept one. */
  ticketIds: z.array(ticketIdSchema),
  /** The newest change seq once the merge committed; the workstation has the merge once it synced this far. */
  seq: z.number().int().nonnegative(),
});
export type CustomerMergeResult = z.infer<typeof customerMergeResultSchema>;

/** A customer found in the workstation's cache, with what helps tell two 张伟 apart. */
export interface CustomerSearchHit {
  customer: Customer;
  /** Tickets of this customer in the cache. */
  ticketCount: number;
  /** The channels of those tickets. */
  channels: Channel[];
  /** Newest message time over those tickets. */
  lastContactAt: number;
}

/** What two customers have in common: the same phone, email or social id, and which side proved it. */
export const sharedIdentitySchema = z.object({
  kind: identityKindSchema,
  value: z.string().min(1).max(1000),
  /** The customer asked about proved it (a channel verified it); false: only claimed. */
  oursProven: z.boolean(),
  /** The other customer proved it. */
  theirsProven: z.boolean(),
});
export type SharedIdentity = z.infer<typeof sharedIdentitySchema>;

/**
 * "Possibly the same customer": another customer sharing a phone, email or social id with
 * this one where at least one side only claimed it (two customers never prove the same one).
 * Never joined by itself; the agent merges with one click when it is the same person.
 */
export const customerMatchSchema = z.object({
  customer: customerSchema,
  shared: z.array(sharedIdentitySchema).min(1).max(50),
  /** Their tickets the asker can see, the channels of those, the newest message time. */
  ticketCount: z.number().int().nonnegative(),
  channels: z.array(channelSchema),
  lastContactAt: z.number().int().nonnegative(),
});
export type CustomerMatch = z.infer<typeof customerMatchSchema>;

/** Ask the server for the customers possibly the same as this one (online only: the server knows every customer). */
export const customerMatchesRequestSchema = z.object({ customerId: customerIdSchema }).strict();
export type CustomerMatchesRequest = z.infer<typeof customerMatchesRequestSchema>;

export const customerMatchesResultSchema = z.object({ matches: z.array(customerMatchSchema).max(20) });
export type CustomerMatchesResult = z.infer<typeof customerMatchesResultSchema>;

// ---------------------------------------------------------------------------------------
// The customer's whole history (read-only): every ticket on every channel, newest first.

/** Tickets one history page carries by default, and at most. */
export const CUSTOMER_HISTORY_PAGE_SIZE = 20;
export const MAX_CUSTOMER_HISTORY_PAGE_SIZE = 50;
/** The newest messages each history ticket carries (the rest are counted, not sent). */
export const CUSTOMER_HISTORY_MESSAGES_PER_TICKET = 20;

/** Where a history page ends: the oldest ticket it carried (pages go newest first by creation, then id). */
export const customerHistoryCursorSchema = z.object({ createdAt: epochMsSchema, id: ticketIdSchema }).strict();
export type CustomerHistoryCursor = z.infer<typeof customerHistoryCursorSchema>;

/**
 * One page of a customer's history. Whoever holds or is offered one of the customer's
 * tickets may ask, and leads; anyone else gets `not_found`, exactly like an unknown id.
 */
export const customerHistoryRequestSchema = z
  .object({
    customerId: customerIdSchema,
    /** The page after this one; null (or absent) for the newest page. */
    before: customerHistoryCursorSchema.nullable().default(null),
    limit: z.number().int().min(1).max(MAX_CUSTOMER_HISTORY_PAGE_SIZE).default(CUSTOMER_HISTORY_PAGE_SIZE),
  })
  .strict();
export type CustomerHistoryRequest = z.input<typeof customerHistoryRequestSchema>;

/** One earlier ticket: shown read-only; `mayOpen` when the asker may open it anyway (their own, or a lead). */
export const customerHistoryEntrySchema = z.object({
  ticket: ticketSchema,
  /** Its newest messages (at most CUSTOMER_HISTORY_MESSAGES_PER_TICKET), oldest first. */
  messages: z.array(messageSchema).max(CUSTOMER_HISTORY_MESSAGES_PER_TICKET),
  /** Every message of the ticket, counted. */
  messageCount: z.number().int().nonnegative(),
  mayOpen: z.boolean(),
  /** The customer's satisfaction answer on this ticket (issue 11: the score in the customer panel); null when none (absent in pages cached before = none). */
  csat: csatResultSchema.nullable().default(null),
});
export type CustomerHistoryEntry = z.infer<typeof customerHistoryEntrySchema>;

export const customerHistoryPageSchema = z.object({
  /** The customer the history is of: a merged-away id answers with the customer it was merged into (both histories). */
  customerId: customerIdSchema,
  entries: z.array(customerHistoryEntrySchema).max(MAX_CUSTOMER_HISTORY_PAGE_SIZE),
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: customerHistoryCursorSchema.nullable(),
  /** Tickets the customer has in all. */
  total: z.number().int().nonnegative(),
});
export type CustomerHistoryPage = z.infer<typeof customerHistoryPageSchema>;

/** A history page as the workstation shows it: from the server now, or from its cache as of `asOf` (offline). */
export const customerHistoryViewSchema = customerHistoryPageSchema.extend({
  /** When the server answered this (now, or when it was cached). */
  asOf: epochMsSchema,
  /** True: read from the workstation cache because the server could not be asked. */
  cached: z.boolean(),
});
export type CustomerHistoryView = z.infer<typeof customerHistoryViewSchema>;
