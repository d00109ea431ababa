import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 016-knowledge', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 16);
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '草稿', 1)").run();
  });

  it('adds an empty knowledge cache, never fetched, with a trigram index over the article text; keeps what was cached', () => {
    applyCacheMigration(db, 16);
    expect(db.prepare('SELECT count(*) FROM kb_articles').pluck().get()).toBe(0);
    expect(db.prepare('SELECT fetched_at FROM kb_state').all()).toEqual([{ fetched_at: null }]);
    expect(db.prepare('SELECT id FROM drafts').pluck().all()).toEqual(['d1']);

    const insert = db.prepare(
      "INSERT INTO kb_articles (id, title, status, updated_at, article_json, search_text) VALUES (?, '退货流程', 'published', 1, '{}', ?)",
    );
    insert.run('KB0000000001', '退货流程 签收后七天内可申请无理由退货');
    expect(() => insert.run('KB0000000001', 'again')).toThrow(/UNIQUE/);
    db.exec("INSERT INTO kb_fts (kb_fts) VALUES ('rebuild')");
    const match = db.prepare('SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?').pluck();
    expect(match.all('"无理由"')).toEqual([1]);
    // The trigram index cannot match a two-character word: that is what the LIKE fallback is for.
    expect(match.all('"退货"')).toEqual([]);
    expect(() => db.prepare('INSERT INTO kb_state (id, fetched_at) VALUES (2, 1)').run()).toThrow(/CHECK/);
  });
});
