/**
 * The alarms' first-response pass (server/alarms/alertStore.ts `firstResponsesOverdue`, and
 * `complaintsUnstarted`) looks for open tickets nobody answered yet, oldest first. Without an
 * index of those it walked `tickets_created` from the first ticket ever made up to now on every
 * pass (~150 ms over 300,000 tickets, once a second while anything commits); a partial index
 * holds only the open unanswered ones, a handful of the table (alarms.md, "The first-response alarm").
 * Numbered 024.
 */
import type { Migration } from './migration.js';

/** Both backends' index: open tickets without a first response, by creation time. */
export const TICKETS_OPEN_UNANSWERED_INDEX =
  "CREATE INDEX tickets_open_unanswered ON tickets(created_at) WHERE first_response_at IS NULL AND status IN ('unassigned', 'in_progress', 'awaiting_customer')";

export const migration024TicketsUnanswered: Migration = {
  version: 24,
  name: 'tickets-unanswered',
  up(db) {
    db.exec(TICKETS_OPEN_UNANSWERED_INDEX);
  },
};
