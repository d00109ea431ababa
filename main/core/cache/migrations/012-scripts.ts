/**
 * The scripts libraries (话术库) the user reads — the team's and their own — kept whole so
 * the `/` picker works offline: one row per script holding its JSON (shared/scripts.ts, read
 * back through the schema), and when the list was last fetched from the server. A fetch
 * replaces every row at once; nothing here is edited locally.
 */
import type { CacheMigration } from './migration.js';

export const migration012Scripts: CacheMigration = {
  version: 12,
  name: 'scripts',
  up(db) {
    db.exec(`
      CREATE TABLE scripts (
        id TEXT PRIMARY KEY NOT NULL,
        -- The whole script as the server sent it (validated again when read).
        script_json TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE scripts_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        -- When the list was last fetched (epoch ms); NULL before the first fetch.
        fetched_at INTEGER
      );
      INSERT INTO scripts_state (id, fetched_at) VALUES (1, NULL);
    `);
  },
};
