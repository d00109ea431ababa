/**
 * The board's day figures count the tickets finished in the day, completed or since closed
 * (boardRepository.ts COMPLETED_IN_DAY_SQL, liveBoard.ts's load), by completion time. The
 * partial `tickets_completed_at` index (026) holds the completed ones only, so that read went
 * through every ticket ever closed (a table scan, hundreds of ms at 230,000 tickets). This one
 * holds both; its predicate is the queries' term word for word, as SQLite only uses a partial
 * index whose WHERE it finds among the query's terms. Numbered 032; PostgreSQL 023 is its twin.
 */
import type { Migration } from './migration.js';

/** Both backends' index: completed and closed tickets by completion time. */
export const FINISHED_TICKETS_INDEX = "CREATE INDEX tickets_finished_at ON tickets(completed_at) WHERE status IN ('completed', 'closed')";

export const migration032FinishedTickets: Migration = {
  version: 32,
  name: 'finished-tickets',
  up(db) {
    db.exec(FINISHED_TICKETS_INDEX);
  },
};
