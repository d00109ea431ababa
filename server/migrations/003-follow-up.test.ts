import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 003 follow-up', () => {
  it('adds an empty follow-up time to existing tickets and accepts a reminder afterwards', () => {
    migrateToBefore(db, 3);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'phone', 'consult', '订单物流查询延迟', 'normal', 'in_progress', 1, 1, 2, '快递三天没动了', 1)`,
    ).run();

    applyMigration(db, 3);
    expect(db.prepare('SELECT subject, follow_up_at FROM tickets').all()).toEqual([{ subject: '订单物流查询延迟', follow_up_at: null }]);

    db.prepare("UPDATE tickets SET follow_up_at = 1731060000000 WHERE id = 'GD20241108001'").run();
    expect(db.prepare('SELECT follow_up_at FROM tickets').pluck().get()).toBe(1731060000000);
    expect(() => db.prepare("UPDATE tickets SET follow_up_at = -1 WHERE id = 'GD20241108001'").run()).toThrow(/CHECK/);
  });
});
