/**
 * What a mutation IS, apart from its id: the idempotency record keeps this beside the result
 * (server migration 034), so a mutation sent again under a used id is answered with the stored
 * result only when it is the same mutation — a retry — and refused (`mutation_id_reused`)
 * when it is another one (docs/technical/sync-protocol.md, "Outbox and acks").
 */
import { createHash } from 'node:crypto';
import type { Mutation } from '../shared/sync.js';

/** JSON with every object's keys sorted, so two equal mutations read the same whatever order their fields came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * SHA-256 (hex) of the mutation's kind, ticket and content; its id and its time (`createdAt`,
 * and the entry it `follows`) are left out: the same change to the same ticket made again is answered truly by "applied",
 * whenever it was made. `ticketId` is the one the server acts on (a provisional id already
 * translated to its GD ticket), so a retry sent before and after the workstation learnt the GD
 * id reads the same.
 */
export function mutationFingerprint(mutation: Mutation): string {
  const content: Record<string, unknown> = { ...mutation };
  delete content.mutationId;
  delete content.createdAt;
  // Where in the timeline it goes, like its time: not what it is.
  delete content.follows;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
