/**
 * Fewer indexes on the tables every inbound contact writes (issue 10: each index is one more
 * b-tree page written into the contact's commit). A new contact inserted its ticket into the
 * table and 9 indexes and its customer into the table and 4; now 7 and 1. Each index dropped
 * here was checked against the plan (EXPLAIN QUERY PLAN) of every statement the server's store,
 * queue view, board, alarm, report, retention, sync and routing tests prepare
 * (docs/technical/benchmarks.md "Indexes of the hot tables"):
 * - `customers_phone`, `customers_email`, `customers_social_id`: no plan uses them. A customer is
 *   found by its identities (`customer_identities`, migration 005) and claims; the customers
 *   search matches `LIKE '%…%'`, which no b-tree serves.
 * - `tickets_customer (customer_id, channel, status)`: no plan uses it. Every read of a
 *   customer's tickets, the ingest's open-ticket lookup included (its `ORDER BY created_at DESC,
 *   id DESC LIMIT 1`), goes through `tickets_customer_history (customer_id, created_at, id)`.
 * - `tickets_queue (channel, assignee_id)` and `tickets_assignee (assignee_id, status)` become
 *   one `tickets_assignee (assignee_id, status, channel)`: a channel's pending tickets (open,
 *   held by nobody: the backlog alarm's count, the queue view's waiting line and list) are then
 *   seeks at each open status that read no row for the status, and an agent's open tickets
 *   are the same seeks as before.
 * Numbered 036; PostgreSQL 027 is its twin.
 */
import type { Migration } from './migration.js';

/** Both backends' statements. */
export const HOT_TABLE_INDEX_STATEMENTS = [
  'DROP INDEX customers_phone',
  'DROP INDEX customers_email',
  'DROP INDEX customers_social_id',
  'DROP INDEX tickets_customer',
  'DROP INDEX tickets_queue',
  'DROP INDEX tickets_assignee',
  'CREATE INDEX tickets_assignee ON tickets(assignee_id, status, channel)',
] as const;

export const migration036HotTableIndexes: Migration = {
  version: 36,
  name: 'hot-table-indexes',
  up(db) {
    for (const statement of HOT_TABLE_INDEX_STATEMENTS) db.exec(statement);
  },
};
