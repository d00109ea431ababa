/** The twin of SQLite migration 013: the ticket's own fields and its handover (see server/migrations/013-ticket-fields.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration004TicketFields: PostgresMigration = {
  version: 4,
  name: 'ticket-fields',
  sql: `
    ALTER TABLE tickets ADD COLUMN sub_category TEXT;
    ALTER TABLE tickets ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE tickets ADD COLUMN result TEXT;
    ALTER TABLE tickets ADD COLUMN handover_json TEXT;
  `,
};
