/**
 * The needs-attention row of a refused mutation, found by its id (`refusal(mutationId)`,
 * cache.ts: `… FROM attention WHERE mutation_id = ? ORDER BY id DESC LIMIT 1`). Without an index
 * that read every attention row ever kept (dismissed ones stay in the table). Partial: rows of no
 * local mutation (an unreadable change from the server, migration 010) are never looked up by
 * it; SQLite uses the index for `mutation_id = ?` since an equality implies NOT NULL. The index
 * holds the rowid (`id`) after the key, so the newest row of a mutation is its last entry: no
 * sort. Rows are kept as they are.
 */
import type { CacheMigration } from './migration.js';

export const migration020AttentionByMutation: CacheMigration = {
  version: 20,
  name: 'attention-by-mutation',
  up(db) {
    db.exec('CREATE INDEX attention_by_mutation ON attention (mutation_id) WHERE mutation_id IS NOT NULL');
  },
};
