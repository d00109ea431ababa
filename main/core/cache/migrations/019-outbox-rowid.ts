/**
 * The outbox without AUTOINCREMENT (issue 12, "Speed"): every local write appends one outbox
 * row, and AUTOINCREMENT made each append also rewrite `sqlite_sequence`, one more page to
 * encrypt, write and fsync per note or status change (11 → 10 and 6 → 5 WAL pages). `seq` only
 * orders the rows the outbox holds (nothing outside the cache keeps it), and an INTEGER PRIMARY
 * KEY still gives each new row a seq above every row present; only a drained outbox may start
 * again from 1, which orders nothing wrongly. Rows, order and indexes are kept as they were.
 */
import type { CacheMigration } from './migration.js';

export const migration019OutboxRowid: CacheMigration = {
  version: 19,
  name: 'outbox-rowid',
  up(db) {
    db.exec(`
      CREATE TABLE outbox_rowid (
        seq INTEGER PRIMARY KEY,
        mutation_id TEXT NOT NULL UNIQUE,
        ticket_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      INSERT INTO outbox_rowid (seq, mutation_id, ticket_id, kind, body, created_at)
        SELECT seq, mutation_id, ticket_id, kind, body, created_at FROM outbox ORDER BY seq;
      DROP TABLE outbox;
      ALTER TABLE outbox_rowid RENAME TO outbox;
      CREATE INDEX outbox_by_ticket ON outbox (ticket_id, seq);
      DELETE FROM sqlite_sequence WHERE name = 'outbox';
    `);
  },
};
