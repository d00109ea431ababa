import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 007-customer-identities', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 7);
    db.prepare(
      "INSERT INTO customers (id, name, phone, email, social_id, vip_tier, created_at) VALUES ('CUS20241108001', '张伟', '13800138000', NULL, NULL, 0, 1)",
    ).run();
  });

  it('keeps existing customers, with no identities known until the server sends them again', () => {
    applyCacheMigration(db, 7);
    expect(db.prepare('SELECT id, name, phone, identities_json FROM customers').all()).toEqual([
      { id: 'CUS20241108001', name: '张伟', phone: '13800138000', identities_json: '[]' },
    ]);
  });
});
