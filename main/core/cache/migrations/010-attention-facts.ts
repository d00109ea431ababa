/**
 * The needs-attention list keeps why as facts, and holds more than refused mutations:
 * `refusal_json` is the refusal as a code with facts (shared/ticketRules.ts) that the UI
 * says in the agent's language; a change from the server this build could not read is
 * listed too, by its `change_seq`, with the ticket id when one could be made out. Rows from
 * before keep their English `reason` (refusal_json NULL). The table is rebuilt because a
 * change that names no ticket has no ticket id and no mutation id.
 */
import type { CacheMigration } from './migration.js';

export const migration010AttentionFacts: CacheMigration = {
  version: 10,
  name: 'attention-facts',
  up(db) {
    db.exec(`
      CREATE TABLE attention_v10 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        -- NULL: an unreadable change that named no ticket.
        ticket_id TEXT,
        -- NULL: not a local change (an unreadable change from the server).
        mutation_id TEXT,
        -- The mutation kind (reply, setStatus…), or 'change' for an unreadable change.
        kind TEXT NOT NULL,
        code TEXT NOT NULL,
        -- English, for logs and for rows without facts.
        reason TEXT NOT NULL,
        refusal_json TEXT,
        change_seq INTEGER,
        at INTEGER NOT NULL,
        dismissed INTEGER NOT NULL DEFAULT 0 CHECK (dismissed IN (0, 1))
      );
      INSERT INTO attention_v10 (id, ticket_id, mutation_id, kind, code, reason, at, dismissed)
        SELECT id, ticket_id, mutation_id, kind, code, reason, at, dismissed FROM attention;
      DROP TABLE attention;
      ALTER TABLE attention_v10 RENAME TO attention;
      CREATE INDEX attention_by_ticket ON attention (ticket_id);
    `);
  },
};
