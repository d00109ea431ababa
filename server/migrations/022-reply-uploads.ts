/**
 * Files an agent uploads for a reply before sending it (issue 12). The upload's id is the
 * client's, so a retried upload (the outbox after a lost answer) is one row; the reply that
 * names it moves the bytes into `attachments` in its own transaction. Rows are bounded by
 * shared/attachments.ts (10 MB each); uploads no reply claimed are removed after a day
 * (docs/technical/channels.md, Attachments).
 */
import type { Migration } from './migration.js';

export const migration022ReplyUploads: Migration = {
  version: 22,
  name: 'reply-uploads',
  up(db) {
    db.exec(`
      CREATE TABLE reply_uploads (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        file_name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size > 0 AND size <= 10485760),
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX reply_uploads_created ON reply_uploads(created_at);
    `);
  },
};
