/**
 * Scripts (话术库): the team library (owner_id NULL, written by leads and admins) and each
 * user's personal library (owner_id = the user). Per-channel variants are one JSON column
 * (shared/scripts.ts `scriptVariantsSchema`): they are read and written whole, never queried.
 */
import type { Migration } from './migration.js';

export const migration012Scripts: Migration = {
  version: 12,
  name: 'scripts',
  up(db) {
    db.exec(`
      CREATE TABLE scripts (
        id TEXT PRIMARY KEY,
        scope TEXT NOT NULL CHECK (scope IN ('team', 'personal')),
        owner_id TEXT REFERENCES users (id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        category TEXT NOT NULL,
        keyword TEXT NOT NULL,
        variants_json TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by_name TEXT NOT NULL,
        CHECK ((scope = 'team' AND owner_id IS NULL) OR (scope = 'personal' AND owner_id IS NOT NULL))
      );
      CREATE INDEX scripts_by_owner ON scripts (scope, owner_id);
    `);
  },
};
