/**
 * The idempotency record keeps what the mutation WAS (`fingerprint`: a SHA-256 of its
 * canonical form, server/mutationFingerprint.ts) beside its result. Before, a mutation id
 * already used answered the stored result whatever the new mutation was, so a reply sent
 * under a note's id was answered "ok" and shown as sent although it was never stored.
 * Records made before this migration have no fingerprint (NULL): they keep answering their
 * stored result to any mutation under their id, as before, because a workstation may still
 * hold the very mutation unacknowledged and refusing it would show as not applied what was
 * (docs/technical/sync-protocol.md, "Outbox and acks"); they age out with the idempotency
 * window (server/retention.ts). Numbered 034; PostgreSQL 025 is its twin.
 */
import type { Migration } from './migration.js';

export const MUTATION_FINGERPRINT_STATEMENTS = ['ALTER TABLE applied_mutations ADD COLUMN fingerprint TEXT'];

export const migration034MutationFingerprints: Migration = {
  version: 34,
  name: 'mutation-fingerprints',
  up(db) {
    for (const statement of MUTATION_FINGERPRINT_STATEMENTS) db.exec(statement);
  },
};
