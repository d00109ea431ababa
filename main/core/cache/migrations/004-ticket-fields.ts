/**
 * New ticket fields on cached tickets, mirroring the server: the follow-up reminder (回访)
 * and the routing facts (group, tier, escalation, pin, offer) as one JSON value. Existing
 * rows get NULL for both — no reminder, default routing — until the next server snapshot.
 */
import type { CacheMigration } from './migration.js';

export const migration004TicketFields: CacheMigration = {
  version: 4,
  name: 'ticket-fields',
  up(db) {
    db.exec(`
      ALTER TABLE tickets ADD COLUMN follow_up_at INTEGER CHECK (follow_up_at IS NULL OR follow_up_at >= 0);
      ALTER TABLE tickets ADD COLUMN routing TEXT;
    `);
  },
};
