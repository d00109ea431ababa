import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 013 ticket fields', () => {
  it('gives an existing ticket no sub-category, no tags, no result and no handover, and keeps what it had', () => {
    migrateToBefore(db, 13);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'complaint', '快递丢了', 'urgent', 'in_progress', 1, 1, 2, '快递丢了', 1)`,
    ).run();

    applyMigration(db, 13);
    expect(db.prepare("SELECT type, subject, sub_category, tags_json, result, handover_json FROM tickets WHERE id = 'GD20241108001'").get()).toEqual({
      type: 'complaint',
      subject: '快递丢了',
      sub_category: null,
      tags_json: '[]',
      result: null,
      handover_json: null,
    });
    db.prepare(`UPDATE tickets SET sub_category = '物流', tags_json = '["加急"]', result = '已补发' WHERE id = 'GD20241108001'`).run();
    expect(db.prepare("SELECT result FROM tickets WHERE id = 'GD20241108001'").pluck().get()).toBe('已补发');
  });
});
