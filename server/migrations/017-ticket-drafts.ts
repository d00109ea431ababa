/**
 * Tickets created by hand (issue 12, shared/manualTicket.ts): which GD ticket each user's
 * provisional id became. The primary key (user_id, draft_id) is what makes a creation happen
 * once: a push retried (to this node or another) finds the row and answers with the same
 * ticket; later mutations that name the provisional id are translated through it. One ticket
 * comes from at most one draft (`ticket_drafts_ticket`).
 */
import type { Migration } from './migration.js';

export const migration017TicketDrafts: Migration = {
  version: 17,
  name: 'ticket-drafts',
  up(db) {
    db.exec(`
      CREATE TABLE ticket_drafts (
        user_id TEXT NOT NULL REFERENCES users(id),
        draft_id TEXT NOT NULL,
        ticket_id TEXT NOT NULL REFERENCES tickets(id),
        customer_id TEXT NOT NULL REFERENCES customers(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, draft_id)
      );
      CREATE UNIQUE INDEX ticket_drafts_ticket ON ticket_drafts(ticket_id);
    `);
  },
};
