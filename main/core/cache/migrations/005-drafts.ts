/**
 * Offline work that must not go out by itself: customer replies written while offline are
 * kept as drafts until the agent confirms them online. The needs-attention list gains a
 * `dismissed` flag, so a refusal the agent has read leaves the list but is not forgotten.
 */
import type { CacheMigration } from './migration.js';

export const migration005Drafts: CacheMigration = {
  version: 5,
  name: 'drafts',
  up(db) {
    db.exec(`
      CREATE TABLE drafts (
        id TEXT PRIMARY KEY,
        ticket_id TEXT NOT NULL,
        text TEXT NOT NULL CHECK (length(text) > 0),
        created_at INTEGER NOT NULL
      );
      CREATE INDEX drafts_by_ticket ON drafts (ticket_id, created_at);

      ALTER TABLE attention ADD COLUMN dismissed INTEGER NOT NULL DEFAULT 0 CHECK (dismissed IN (0, 1));
    `);
  },
};
