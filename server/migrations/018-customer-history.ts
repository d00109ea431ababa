/**
 * The customer's whole history (shared/customers.ts `customer:history`) pages a customer's
 * tickets newest first by (created_at, id). `tickets_customer` leads with the channel, so a
 * customer with hundreds of tickets would be read whole and sorted for every page; this index
 * lets each page seek straight to its cursor.
 */
import type { Migration } from './migration.js';

export const migration018CustomerHistory: Migration = {
  version: 18,
  name: 'customer-history',
  up(db) {
    db.exec('CREATE INDEX tickets_customer_history ON tickets(customer_id, created_at, id)');
  },
};
