import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 015-customer-history', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 15);
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '草稿', 1)").run();
  });

  it('adds an empty history cache, one row per (customer, ticket), and keeps what was cached', () => {
    applyCacheMigration(db, 15);
    expect(db.prepare('SELECT count(*) FROM customer_history').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM customer_history_state').pluck().get()).toBe(0);
    expect(db.prepare('SELECT id FROM drafts').pluck().all()).toEqual(['d1']);
    const insert = db.prepare(
      "INSERT INTO customer_history (customer_id, ticket_id, created_at, entry_json) VALUES ('CUS20240501001', 'GD20240501001', 1, '{}')",
    );
    insert.run();
    expect(() => insert.run()).toThrow(/UNIQUE|PRIMARY/);
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT entry_json FROM customer_history WHERE customer_id = 'CUS20240501001' ORDER BY created_at DESC, ticket_id DESC LIMIT 20",
      )
      .all() as Array<{ detail: string }>;
    expect(plan.map((step) => step.detail).join(' | ')).not.toContain('TEMP B-TREE');
  });
});
