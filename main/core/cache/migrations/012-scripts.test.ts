import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 012-scripts', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 12);
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '草稿', 1)").run();
  });

  it('adds an empty script library, never fetched, and keeps what was cached', () => {
    applyCacheMigration(db, 12);
    expect(db.prepare('SELECT count(*) FROM scripts').pluck().get()).toBe(0);
    expect(db.prepare('SELECT fetched_at FROM scripts_state').all()).toEqual([{ fetched_at: null }]);
    expect(db.prepare('SELECT id FROM drafts').pluck().all()).toEqual(['d1']);
    db.prepare("INSERT INTO scripts (id, script_json) VALUES ('s1', '{}')").run();
    expect(() => db.prepare("INSERT INTO scripts (id, script_json) VALUES ('s1', '{}')").run()).toThrow(/UNIQUE|PRIMARY/);
    expect(() => db.prepare('INSERT INTO scripts_state (id, fetched_at) VALUES (2, 1)').run()).toThrow(/CHECK/);
  });
});
