/** The twin of SQLite migration 018: a customer's tickets by (created_at, id), for history pages (see server/migrations/018-customer-history.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration009CustomerHistory: PostgresMigration = {
  version: 9,
  name: 'customer-history',
  sql: 'CREATE INDEX tickets_customer_history ON tickets(customer_id, created_at, id)',
};
