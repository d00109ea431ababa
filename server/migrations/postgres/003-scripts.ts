/** The twin of SQLite migration 012: the scripts libraries (see server/migrations/012-scripts.ts). */
import type { PostgresMigration } from './migration.js';

export const postgresMigration003Scripts: PostgresMigration = {
  version: 3,
  name: 'scripts',
  sql: `
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
      updated_at BIGINT NOT NULL,
      updated_by_name TEXT NOT NULL,
      CHECK ((scope = 'team' AND owner_id IS NULL) OR (scope = 'personal' AND owner_id IS NOT NULL))
    );
    CREATE INDEX scripts_by_owner ON scripts (scope, owner_id);
  `,
};
