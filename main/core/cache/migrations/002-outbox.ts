/**
 * Sync bookkeeping: the outbox of local mutations waiting for the server's ack, the
 * needs-attention list of refused ones, and the single-row sync state (last applied seq,
 * bootstrap cursor and generation).
 */
import type { CacheMigration } from './migration.js';

export const migration002Outbox: CacheMigration = {
  version: 2,
  name: 'outbox',
  up(db) {
    db.exec(`
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        mutation_id TEXT NOT NULL UNIQUE,
        ticket_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX outbox_by_ticket ON outbox (ticket_id, seq);

      CREATE TABLE attention (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id TEXT NOT NULL,
        mutation_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX attention_by_ticket ON attention (ticket_id);

      CREATE TABLE sync_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_seq INTEGER NOT NULL DEFAULT 0,
        bootstrapped INTEGER NOT NULL DEFAULT 0,
        -- Ticket id the next bootstrap page continues after (NULL: from the start).
        bootstrap_after TEXT,
        -- Server seq read by the first bootstrap page: pull from here when the bootstrap ends.
        bootstrap_seq INTEGER,
        generation INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO sync_state (id) VALUES (1);
    `);
  },
};
