/**
 * The cached domain: customers, tickets, messages and notes, as the server last sent them
 * (plus the local optimistic rows, flagged `pending`). Tickets and messages get an explicit
 * integer key (`rid`) so the full-text index can point at them by a rowid VACUUM keeps.
 */
import type { CacheMigration } from './migration.js';

export const migration001Tickets: CacheMigration = {
  version: 1,
  name: 'tickets',
  up(db) {
    db.exec(`
      CREATE TABLE customers (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        phone TEXT,
        email TEXT,
        social_id TEXT,
        vip_tier INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE tickets (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        customer_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        type TEXT NOT NULL,
        subject TEXT NOT NULL,
        priority TEXT NOT NULL,
        status TEXT NOT NULL,
        assignee_id TEXT,
        assignee_name TEXT,
        assignment_reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        assigned_at INTEGER,
        first_response_at INTEGER,
        due_at INTEGER NOT NULL,
        completed_at INTEGER,
        last_message_preview TEXT NOT NULL,
        last_message_at INTEGER NOT NULL,
        -- Bootstrap generation that last wrote the row; a re-bootstrap sweeps older ones.
        generation INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX tickets_by_activity ON tickets (last_message_at DESC);
      CREATE INDEX tickets_by_customer ON tickets (customer_id, created_at DESC);

      CREATE TABLE messages (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        ticket_id TEXT NOT NULL,
        direction TEXT NOT NULL,
        channel TEXT NOT NULL,
        author_id TEXT,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        external_message_id TEXT,
        delivery_status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX messages_by_ticket ON messages (ticket_id, created_at);

      CREATE TABLE notes (
        id TEXT PRIMARY KEY NOT NULL,
        ticket_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX notes_by_ticket ON notes (ticket_id, created_at);
    `);
  },
};
