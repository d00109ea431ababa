/**
 * The customer's whole history (shared/customers.ts), kept for the customers of the tickets
 * this workstation holds so it reads offline: one row per earlier ticket as the server sent
 * it (masked for agents, like everything else in an agent's cache), and per customer when it
 * was fetched and how many tickets the server said there were. Rows are replaced by each
 * fetch of the first page, and dropped once no cached ticket is the customer's.
 */
import type { CacheMigration } from './migration.js';

export const migration015CustomerHistory: CacheMigration = {
  version: 15,
  name: 'customer-history',
  up(db) {
    db.exec(`
      CREATE TABLE customer_history (
        -- The customer the panel asked about (a merged-away id keeps its own rows).
        customer_id TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        -- The history entry (ticket, newest messages, count) as the server sent it, validated again when read.
        entry_json TEXT NOT NULL,
        PRIMARY KEY (customer_id, ticket_id)
      ) WITHOUT ROWID;
      CREATE INDEX customer_history_newest ON customer_history(customer_id, created_at, ticket_id);
      CREATE TABLE customer_history_state (
        customer_id TEXT PRIMARY KEY NOT NULL,
        -- The customer the server answered for (the kept one after a merge).
        kept_id TEXT NOT NULL,
        total INTEGER NOT NULL,
        fetched_at INTEGER NOT NULL
      ) WITHOUT ROWID;
    `);
  },
};
