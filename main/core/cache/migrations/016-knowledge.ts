/**
 * The knowledge base articles the user may read (shared/knowledge.ts), kept so the side
 * panel searches and reads offline: one row per article holding its JSON (validated again
 * when read) and the text it is searched by, an FTS5 trigram index over that text (terms of
 * three or more characters), and when the list was last fetched. Shorter terms — most Chinese
 * words are two characters, which a trigram index cannot match — use LIKE over `search_text`.
 * A fetch replaces every row at once; nothing here is edited locally. The cache file is
 * encrypted as a whole, so the articles are at rest like the tickets.
 */
import type { CacheMigration } from './migration.js';

export const migration016Knowledge: CacheMigration = {
  version: 16,
  name: 'knowledge',
  up(db) {
    db.exec(`
      CREATE TABLE kb_articles (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        -- Ranking reads these without parsing any article.
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        -- The article as the server sent it.
        article_json TEXT NOT NULL,
        -- Number, title, category, tags and body: what a search looks in.
        search_text TEXT NOT NULL
      );
      CREATE VIRTUAL TABLE kb_fts USING fts5 (search_text, content = 'kb_articles', content_rowid = 'rid', tokenize = 'trigram');
      CREATE TABLE kb_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        -- When the articles were last fetched (epoch ms); NULL before the first fetch.
        fetched_at INTEGER
      );
      INSERT INTO kb_state (id, fetched_at) VALUES (1, NULL);
    `);
  },
};
