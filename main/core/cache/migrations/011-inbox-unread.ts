/**
 * The inbox over every cached ticket: which tickets have a customer message the agent has
 * not seen (`ticket_unread`, a row per unread ticket, kept apart from `tickets` so a server
 * snapshot overwriting the ticket row leaves it alone), and one index that holds every
 * column the inbox filters, sorts and counts by, so a window or a count over 100,000
 * tickets reads the index alone (the encrypted table is 10 times its size). It starts with
 * the activity order, so it also replaces `tickets_by_activity`.
 */
import type { CacheMigration } from './migration.js';

export const migration011InboxUnread: CacheMigration = {
  version: 11,
  name: 'inbox-unread',
  up(db) {
    db.exec(`
      CREATE TABLE ticket_unread (
        ticket_id TEXT PRIMARY KEY NOT NULL,
        -- When the first customer message the agent has not seen arrived (epoch ms).
        since INTEGER NOT NULL
      ) WITHOUT ROWID;
      DROP INDEX tickets_by_activity;
      CREATE INDEX tickets_inbox ON tickets (last_message_at DESC, id DESC, status, channel, priority, assignee_id, due_at, created_at);
    `);
  },
};
