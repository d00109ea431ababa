/**
 * One customer across channels: the request that merges two customers (a socket event with
 * an ack, like the routing requests) and what the workstation shows when searching for one.
 */
import { z } from 'zod';
import { channelSchema, customerIdSchema, customerSchema, identityKindSchema, ticketIdSchema, type Channel, type Customer } from './domain.js';

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
