/**
 * The bytes of attachments, kept in the (encrypted) cache so an agent opens the files of the
 * tickets they hold while offline (issue 12). One row per attachment id (an inbound customer
 * file or a sent reply's file): the ticket it was kept for, the type the server served it with,
 * the bytes, and when it was kept and last opened (least recently used goes first when the
 * workstation's byte budget is reached). Rows of tickets no longer held are dropped; the
 * budget and the rules live in cache/attachmentCache.ts. (020 is handed out to another branch.)
 */
import type { CacheMigration } from './migration.js';

export const migration021AttachmentBytes: CacheMigration = {
  version: 21,
  name: 'attachment-bytes',
  up(db) {
    db.exec(`
      CREATE TABLE attachment_bytes (
        attachment_id TEXT PRIMARY KEY NOT NULL,
        ticket_id TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size = length(data)),
        data BLOB NOT NULL,
        kept_at INTEGER NOT NULL,
        used_at INTEGER NOT NULL
      );
      CREATE INDEX attachment_bytes_by_use ON attachment_bytes (used_at, attachment_id);
      CREATE INDEX attachment_bytes_by_ticket ON attachment_bytes (ticket_id);
    `);
  },
};
