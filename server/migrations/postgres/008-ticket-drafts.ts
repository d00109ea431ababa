/** The twin of SQLite migration 017: which GD ticket each user's provisional id became (see server/migrations/017-ticket-drafts.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration008TicketDrafts: PostgresMigration = {
  version: 8,
  name: 'ticket-drafts',
  sql: `
    CREATE TABLE ticket_drafts (
      user_id TEXT NOT NULL REFERENCES users(id),
      draft_id TEXT NOT NULL,
      ticket_id TEXT NOT NULL REFERENCES tickets(id),
      customer_id TEXT NOT NULL REFERENCES customers(id),
      created_at BIGINT NOT NULL,
      PRIMARY KEY (user_id, draft_id)
    );
    CREATE UNIQUE INDEX ticket_drafts_ticket ON ticket_drafts(ticket_id);
  `,
};
