import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 017-reply-subjects', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 17);
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '草稿', 1)").run();
  });

  it('adds a nullable subject to messages and drafts; keeps what was cached', () => {
    applyCacheMigration(db, 17);
    expect(db.prepare('SELECT id, subject FROM drafts').all()).toEqual([{ id: 'd1', subject: null }]);
    db.prepare("UPDATE drafts SET subject = '退款进度' WHERE id = 'd1'").run();
    expect(db.prepare('SELECT subject FROM drafts').pluck().get()).toBe('退款进度');
    expect(db.prepare("SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'subject'").pluck().get()).toBe(1);
  });
});
