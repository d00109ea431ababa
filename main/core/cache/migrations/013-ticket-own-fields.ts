/**
 * The ticket's own fields and its handover on cached tickets, mirroring server migration 013:
 * sub-category, tags (JSON array), the result (处理结果) and the newest transfer with its note
 * (JSON). Existing rows get none until the next server snapshot brings them.
 */
import type { CacheMigration } from './migration.js';

export const migration013TicketOwnFields: CacheMigration = {
  version: 13,
  name: 'ticket-own-fields',
  up(db) {
    db.exec(`
      ALTER TABLE tickets ADD COLUMN sub_category TEXT;
      ALTER TABLE tickets ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE tickets ADD COLUMN result TEXT;
      ALTER TABLE tickets ADD COLUMN handover_json TEXT;
    `);
  },
};
