/**
 * A new routing leader (or a restart) resumes running wrap-ups from what started them
 * (routingStore.ts `wrapUpStartsSince`: completions and answered calls of the last minutes).
 * Without these partial indexes that read every completed ticket and every call ever made, on
 * the failover path; with them, the last minutes' rows (routing.md, Wrap-up). Numbered 026.
 */
import type { Migration } from './migration.js';

/** Both backends' indexes: completed tickets by completion time, answered calls that ended by end time. */
export const WRAP_UP_STARTS_INDEXES = [
  "CREATE INDEX tickets_completed_at ON tickets(completed_at) WHERE status = 'completed'",
  "CREATE INDEX cti_calls_answered_ended ON cti_calls(ended_at) WHERE state = 'ended' AND answered_at IS NOT NULL",
];

export const migration026WrapUpStarts: Migration = {
  version: 26,
  name: 'wrap-up-starts',
  up(db) {
    for (const statement of WRAP_UP_STARTS_INDEXES) db.exec(statement);
  },
};
