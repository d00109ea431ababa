/**
 * Notes kept in a table ordered by their id (`WITHOUT ROWID`, issue 12 "Speed"). A rowid table
 * with a TEXT primary key is two b-trees, the rows by rowid and an index from id to rowid, and
 * every note written locally changed a page of each, plus one of `notes_by_ticket`: three of
 * the note's seven WAL pages (with the ticket's row and the outbox's three), each encrypted,
 * written and fsynced in the note's own commit. Keyed by id the table is its own id index: one
 * page less per note. Local note ids are UUIDv7 (time-ordered), so new notes land at the right
 * edge of the tree. The cost: a row longer than about 1,000 bytes (a note of several hundred
 * Chinese characters) overflows into pages of its own sooner than in a rowid table (about
 * 4,000); notes are short, and such a note wrote more pages already. Rows, columns and
 * `notes_by_ticket` are kept as they were; nothing reads a note's rowid.
 */
import type { CacheMigration } from './migration.js';

export const migration022NotesWithoutRowid: CacheMigration = {
  version: 22,
  name: 'notes-without-rowid',
  up(db) {
    db.exec(`
      CREATE TABLE notes_by_id (
        id TEXT PRIMARY KEY NOT NULL,
        ticket_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        author_name TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        pending INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      INSERT INTO notes_by_id (id, ticket_id, author_id, author_name, text, created_at, pending)
        SELECT id, ticket_id, author_id, author_name, text, created_at, pending FROM notes;
      DROP TABLE notes;
      ALTER TABLE notes_by_id RENAME TO notes;
      CREATE INDEX notes_by_ticket ON notes (ticket_id, created_at);
    `);
  },
};
