/**
 * Follow-up reminders (回访): the assignee may set a time to come back to a ticket. NULL
 * means no reminder, which is what every existing ticket gets.
 */
import type { Migration } from './migration.js';

export const migration003FollowUp: Migration = {
  version: 3,
  name: 'follow-up',
  up(db) {
    db.exec(`
      ALTER TABLE tickets ADD COLUMN follow_up_at INTEGER CHECK (follow_up_at IS NULL OR follow_up_at >= 0);
    `);
  },
};
