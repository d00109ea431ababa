/**
 * Messages as real channels deliver them: attachments (descriptions only; the bytes stay on
 * the server), the finer source (email, webchat, wechat:<app>, cti), the call a message
 * records, and why an outbound message could not be delivered. Existing rows read as
 * "no attachments, unknown source", which is what they were.
 */
import type { CacheMigration } from './migration.js';

export const migration006MessageChannels: CacheMigration = {
  version: 6,
  name: 'message-channels',
  up(db) {
    db.exec(`
      ALTER TABLE messages ADD COLUMN attachments_json TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE messages ADD COLUMN source TEXT;
      ALTER TABLE messages ADD COLUMN call_json TEXT;
      ALTER TABLE messages ADD COLUMN delivery_error TEXT;
    `);
  },
};
