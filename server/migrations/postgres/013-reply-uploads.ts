/** The twin of SQLite migration 022: files uploaded for a reply before it is sent (see server/migrations/022-reply-uploads.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration013ReplyUploads: PostgresMigration = {
  version: 13,
  name: 'reply-uploads',
  sql: `
    CREATE TABLE reply_uploads (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users(id),
      file_name TEXT NOT NULL,
      content_type TEXT NOT NULL,
      size BIGINT NOT NULL CHECK (size > 0 AND size <= 10485760),
      sha256 TEXT NOT NULL,
      data BYTEA NOT NULL,
      created_at BIGINT NOT NULL
    );
    CREATE INDEX reply_uploads_created ON reply_uploads(created_at);
  `,
};
