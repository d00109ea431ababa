/** The twin of SQLite migration 027: the per-user upload quota read from an index (see server/migrations/027-reply-upload-quota.ts). */
import { REPLY_UPLOAD_QUOTA_INDEX } from '../027-reply-upload-quota.js';
import type { PostgresMigration } from './migration.js';

export const postgresMigration018ReplyUploadQuota: PostgresMigration = {
  version: 18,
  name: 'reply-upload-quota',
  sql: REPLY_UPLOAD_QUOTA_INDEX,
};
