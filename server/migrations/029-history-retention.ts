/**
 * What the history retention (server/retention.ts) and the cluster's commit stream read by
 * seq or by age had no index to read it with:
 * - `change_audience` is keyed (principal, seq), so `committedChangesAfter` (every node's
 *   commit stream, after every commit of any node) read the audiences of a few new seqs by
 *   scanning every audience row ever written, and pruning the log (`seq < ?`) did too;
 * - `applied_mutations` is keyed by (user, client, mutation), so dropping the idempotency
 *   records past their window (`created_at < ?`) would read them all.
 * Numbered 029; PostgreSQL 020 is its twin.
 */
import type { Migration } from './migration.js';

/** Both backends' indexes, by the same names. */
export const HISTORY_RETENTION_INDEXES = [
  'CREATE INDEX change_audience_seq ON change_audience(seq)',
  'CREATE INDEX applied_mutations_created ON applied_mutations(created_at)',
] as const;

export const migration029HistoryRetention: Migration = {
  version: 29,
  name: 'history-retention',
  up(db) {
    for (const statement of HISTORY_RETENTION_INDEXES) db.exec(statement);
  },
};
