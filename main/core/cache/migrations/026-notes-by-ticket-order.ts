/**
 * Notes kept in the order a ticket shows them (issue 12, "Speed"): `WITHOUT ROWID`, keyed by
 * (ticket_id, created_at, id), with a UNIQUE index on id. Migration 022 keyed the table by id,
 * so a note written locally (its id the renderer's random action id) landed anywhere in a tree
 * of whole note rows and split its pages now and then, and `notes_by_ticket` was a second tree
 * of (ticket_id, created_at) written by every note too. Keyed by ticket, a ticket's notes are
 * read straight off the table in the pane's order (no separate index to visit, no row look-up
 * from it), a new note goes after its ticket's last one, and the random id lands only in the
 * id index, whose entries are a small fraction of a row, so it splits far less often. Still two
 * b-trees per note, but fewer pages: the id stays unique (the UNIQUE index, which the action-id
 * look-up, the acks, `ON CONFLICT (id)` upserts and `INSERT OR IGNORE` use), and every read
 * keeps an index: by ticket the primary key, by id `notes_id`.
 */
import type { CacheMigration } from './migration.js';

export const migration026NotesByTicketOrder: CacheMigration = {
  version: 26,
  name: 'notes-by-ticket-order',
  up(db) {
    db.exec(`
      CREATE TABLE notes_in_ticket_order (
        id TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (ticket_id, created_at, id)
      ) WITHOUT ROWID;
      INSERT INTO notes_in_ticket_order (id, ticket_id, author_id, author_name, text, created_at, pending)
        SELECT id, ticket_id, author_id, author_name, text, created_at, pending FROM notes ORDER BY ticket_id, created_at, id;
      DROP TABLE notes;
      ALTER TABLE notes_in_ticket_order RENAME TO notes;
      CREATE UNIQUE INDEX notes_id ON notes (id);
    `);
  },
};
