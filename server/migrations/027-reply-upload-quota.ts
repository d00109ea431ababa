/**
 * The per-user upload quota (store.ts `putReplyUpload`: the bytes of the user's uploads no reply
 * claimed yet, under the user's lock, on every upload) read every pending upload of every user:
 * reply_uploads had no index on user_id. This one holds the size too, so the sum is read from
 * the index alone, never from the rows (whose files are up to 10 MB each). The stale-upload
 * sweep (`created_at < ?`) already has `reply_uploads_created` (migration 022). Numbered 027; PostgreSQL 018 is its twin.
 */
import type { Migration } from './migration.js';

/** Both backends' index, by the same name. */
export const REPLY_UPLOAD_QUOTA_INDEX = 'CREATE INDEX reply_uploads_user ON reply_uploads(user_id, size)';

export const migration027ReplyUploadQuota: Migration = {
  version: 27,
  name: 'reply-upload-quota',
  up(db) {
    db.exec(REPLY_UPLOAD_QUOTA_INDEX);
  },
};
