/**
 * The ticket's own fields and its handover (issue 12): sub-category, tags (a JSON array),
 * the result (处理结果) required to complete, and the newest transfer with its note (JSON),
 * which the receiving side reads first. Existing tickets have none of them.
 */
import type { Migration } from './migration.js';

export const migration013TicketFields: Migration = {
  version: 13,
  name: 'ticket-fields',
  up(db) {
    db.exec(`
      ALTER TABLE tickets ADD COLUMN sub_category TEXT;
      ALTER TABLE tickets ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE tickets ADD COLUMN result TEXT;
      ALTER TABLE tickets ADD COLUMN handover_json TEXT;
    `);
  },
};
