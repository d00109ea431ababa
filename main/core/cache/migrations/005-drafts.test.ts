import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 005-drafts', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 5);
    db.prepare(
      "INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, at) VALUES ('GD20240501001', 'm1', 'setStatus', 'forbidden', '工单已被组长改派给张强', 5)",
    ).run();
  });

  it('keeps existing attention rows as not dismissed and adds the drafts table', () => {
    applyCacheMigration(db, 5);
    expect(db.prepare('SELECT reason, dismissed FROM attention').all()).toEqual([{ reason: '工单已被组长改派给张强', dismissed: 0 }]);
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '您好，退款已提交', 10)").run();
    expect(db.prepare('SELECT text FROM drafts WHERE ticket_id = ?').pluck().all('GD20240501001')).toEqual(['您好，退款已提交']);
  });

  it('refuses an empty draft, a repeated draft id and a dismissed flag other than 0 or 1', () => {
    migrateCache(db, undefined, 5);
    expect(() => db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '', 10)").run()).toThrow(/CHECK/);
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '稍后回复', 10)").run();
    expect(() => db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '再写一次', 11)").run()).toThrow(/UNIQUE/);
    expect(() => db.prepare('UPDATE attention SET dismissed = 2').run()).toThrow(/CHECK/);
  });
});
