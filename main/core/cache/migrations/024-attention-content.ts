/**
 * A refused change keeps what the agent wrote: `content_json` holds the reply's text, subject and
 * file names, a note, a handover note… (shared/rpc.ts `attentionContentSchema`) with its
 * needs-attention row, so a long answer typed offline is not lost when the server refuses it.
 * NULL for rows from before, for changes that carried no text, for unreadable changes, and once
 * the agent dismissed the row (the text goes then; the row stays a while for `refusal()`).
 */
import type { CacheMigration } from './migration.js';

export const migration024AttentionContent: CacheMigration = {
  version: 24,
  name: 'attention-content',
  up(db) {
    db.exec('ALTER TABLE attention ADD COLUMN content_json TEXT');
  },
};
