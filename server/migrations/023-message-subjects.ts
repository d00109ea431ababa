/**
 * The subject an agent wrote for an email reply (issue 12, shared/replySubject.ts). NULL for
 * every other message and for replies that take the default `Re: <ticket subject> [GD…]`,
 * so the rows already stored need nothing.
 */
import type { Migration } from './migration.js';

export const migration023MessageSubjects: Migration = {
  version: 23,
  name: 'message-subjects',
  up(db) {
    db.exec('ALTER TABLE messages ADD COLUMN subject TEXT');
  },
};
