/**
 * Idempotency becomes per user, and a sign-in token remembers the workstation it belongs to.
 *
 * `applied_mutations` was keyed by (client_id, mutation_id) alone: a second user who sent a
 * mutation with the same pair (a copied clientId, a replayed id) got the first user's stored
 * result back, or, arriving first, made the first user's later mutation look already
 * applied, so their note silently never landed. The key is now (user_id, client_id,
 * mutation_id); every row is kept (user_id was always recorded).
 *
 * `tokens.client_id`: the workstation (clientId) a user token was issued to or first
 * connected from; a socket presenting the token with another clientId is refused. NULL for
 * tokens issued before, and for integration tokens.
 */
import type { Migration } from './migration.js';

export const migration009UserBoundMutations: Migration = {
  version: 9,
  name: 'user-bound-mutations',
  up(db) {
    db.exec(`
      CREATE TABLE applied_mutations_by_user (
        user_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        mutation_id TEXT NOT NULL,
        result TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, client_id, mutation_id)
      );
      INSERT INTO applied_mutations_by_user (user_id, client_id, mutation_id, result, created_at)
        SELECT user_id, client_id, mutation_id, result, created_at FROM applied_mutations;
      DROP TABLE applied_mutations;
      ALTER TABLE applied_mutations_by_user RENAME TO applied_mutations;

      ALTER TABLE tokens ADD COLUMN client_id TEXT;
    `);
  },
};
