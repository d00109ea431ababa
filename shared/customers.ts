/**
 * One customer across channels: the request that merges two customers (a socket event with
 * an ack, like the routing requests) and what the workstation shows when searching for one.
 */
import { z } from 'zod';
import { customerIdSchema, customerSchema, ticketIdSchema, type Channel, type Customer } from './domain.js';

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
