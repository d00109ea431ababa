import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 013-ticket-own-fields', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 13);
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20240501001', 'CUS20240501001', 'chat', 'after_sales', '退货', 'normal', 'in_progress', 'agent1', 1, 1, 7200001, '您好', 5)`,
    ).run();
  });

  it('keeps every cached ticket, with no sub-category, tags, result or handover yet', () => {
    applyCacheMigration(db, 13);
    expect(db.prepare('SELECT id, type, sub_category, tags_json, result, handover_json FROM tickets').all()).toEqual([
      { id: 'GD20240501001', type: 'after_sales', sub_category: null, tags_json: '[]', result: null, handover_json: null },
    ]);
  });
});
