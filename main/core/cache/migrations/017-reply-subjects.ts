/**
 * The email subject of a reply (issue 12): on cached messages (the server's copy, or the
 * optimistic one while the outbox holds it) and on replies written offline (drafts), so a
 * subject typed offline is still there when the agent sends the draft. NULL = the default.
 */
import type { CacheMigration } from './migration.js';

export const migration017ReplySubjects: CacheMigration = {
  version: 17,
  name: 'reply-subjects',
  up(db) {
    db.exec('ALTER TABLE messages ADD COLUMN subject TEXT; ALTER TABLE drafts ADD COLUMN subject TEXT;');
  },
};
