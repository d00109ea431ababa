/**
 * The first schema: directory (users, tokens), customers and tickets with their messages
 * and notes, the change log with its audience, idempotent mutations and id counters.
 * Column types are plain (TEXT, INTEGER) so the same DDL reads on PostgreSQL.
 */
import type { Migration } from './migration.js';

export const migration001Initial: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        channels TEXT NOT NULL,
        groups_json TEXT NOT NULL,
        tier INTEGER NOT NULL,
        senior INTEGER NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('user', 'integration')),
        user_id TEXT REFERENCES users(id),
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER
      );

      CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        phone TEXT,
        email TEXT,
        social_id TEXT,
        vip_tier INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX customers_phone ON customers(phone);
      CREATE INDEX customers_email ON customers(email);
      CREATE INDEX customers_social_id ON customers(social_id);

      CREATE TABLE tickets (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        channel TEXT NOT NULL,
        type TEXT NOT NULL,
        subject TEXT NOT NULL,
        priority TEXT NOT NULL,
        status TEXT NOT NULL,
        assignee_id TEXT REFERENCES users(id),
        assignee_name TEXT,
        assignment_reason TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        assigned_at INTEGER,
        first_response_at INTEGER,
        due_at INTEGER NOT NULL,
        completed_at INTEGER,
        last_message_preview TEXT NOT NULL,
        last_message_at INTEGER NOT NULL
      );
      CREATE INDEX tickets_created ON tickets(created_at, id);
      CREATE INDEX tickets_customer ON tickets(customer_id, channel, status);
      CREATE INDEX tickets_assignee ON tickets(assignee_id, status);
      CREATE INDEX tickets_queue ON tickets(channel, assignee_id);

      CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        channel TEXT NOT NULL,
        author_id TEXT,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        external_message_id TEXT,
        delivery_status TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX messages_ticket ON messages(ticket_id, created_at, id);
      -- NULLs are distinct in a UNIQUE index (SQLite and PostgreSQL alike): only real ids dedupe.
      CREATE UNIQUE INDEX messages_external ON messages(channel, external_message_id);

      CREATE TABLE notes (
        id TEXT PRIMARY KEY,
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX notes_ticket ON notes(ticket_id, created_at, id);

      CREATE TABLE changes (
        seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE change_audience (
        seq INTEGER NOT NULL REFERENCES changes(seq),
        principal TEXT NOT NULL,
        PRIMARY KEY (principal, seq)
      );

      -- One row: the last seq handed out and the first seq still retained after pruning.
      -- seq is assigned from here, not from the table's max, so pruning never reuses a seq.
      CREATE TABLE change_log_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_seq INTEGER NOT NULL,
        first_retained_seq INTEGER NOT NULL
      );
      INSERT INTO change_log_state (id, last_seq, first_retained_seq) VALUES (1, 0, 1);

      CREATE TABLE applied_mutations (
        client_id TEXT NOT NULL,
        mutation_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        result TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (client_id, mutation_id)
      );

      CREATE TABLE id_counters (
        scope TEXT NOT NULL,
        day TEXT NOT NULL,
        last_value INTEGER NOT NULL,
        PRIMARY KEY (scope, day)
      );
    `);
  },
};
