/**
 * What the history retention (server/retention.ts) prunes since it batches every kind and
 * covers more of them had no index to find the oldest rows with:
 * - `tokens` is keyed by hash, so the user tokens expired before a time were found by reading
 *   them all (a partial index: integration tokens are never pruned);
 * - `csat_tokens` (one per rating link sent) and `ticket_drafts` (one per hand-made ticket)
 *   grew without end and are now pruned by age.
 * Numbered 030; PostgreSQL 021 is its twin.
 */
import type { Migration } from './migration.js';

/** Both backends' indexes, by the same names. */
export const RETENTION_MORE_INDEXES = [
  "CREATE INDEX tokens_user_expiry ON tokens(expires_at) WHERE kind = 'user'",
  'CREATE INDEX csat_tokens_created ON csat_tokens(created_at)',
  'CREATE INDEX ticket_drafts_created ON ticket_drafts(created_at)',
] as const;

export const migration030RetentionMore: Migration = {
  version: 30,
  name: 'retention-more',
  up(db) {
    for (const statement of RETENTION_MORE_INDEXES) db.exec(statement);
  },
};
