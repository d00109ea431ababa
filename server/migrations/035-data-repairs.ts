/**
 * Data repairs: one row per repair of stored data that has been done (`name`, `done_at`). The
 * first is `attack-10-unreadable-rows` (server/unreadableRows.ts): messages stored before
 * attack-10 with file names or types, a file count or an inbound API id no workstation can read.
 * A repair needs the store (its rules for attachments and ids, the ticket bundle it sends to the
 * viewers again, their audiences), so this step only makes the table, empty; the store runs each
 * repair whose row is missing once at start-up and writes the row with its last batch
 * (`repairUnreadableRows`; batches and their claim since migration 038). Empty rather than holding a "to do" row: a fresh database then looks
 * empty to `npm run migrate:postgres`, and the row a SQLite database already has is copied over,
 * so PostgreSQL does not repeat the repair. Numbered 035; PostgreSQL 026 is its twin.
 */
import type { Migration } from './migration.js';

export const migration035DataRepairs: Migration = {
  version: 35,
  name: 'data-repairs',
  up(db) {
    db.exec('CREATE TABLE data_repairs (name TEXT PRIMARY KEY, done_at INTEGER NOT NULL)');
  },
};
