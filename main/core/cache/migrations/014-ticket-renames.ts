/**
 * Tickets created by hand (shared/manualTicket.ts) live under a provisional id until the
 * server numbers them; `ticket_renames` remembers which GD id each provisional id became, so
 * a renderer still showing the old id (the pane, a retried action) reaches the same ticket.
 */
import type { CacheMigration } from './migration.js';

export const migration014TicketRenames: CacheMigration = {
  version: 14,
  name: 'ticket-renames',
  up(db) {
    db.exec(`
      CREATE TABLE ticket_renames (
        provisional_id TEXT PRIMARY KEY NOT NULL,
        ticket_id TEXT NOT NULL,
        renamed_at INTEGER NOT NULL
      );
    `);
  },
};
