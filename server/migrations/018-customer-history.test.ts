import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 018 customer history', () => {
  it('keeps the tickets and lets a history page seek a customer’s tickets by (created_at, id) without sorting', () => {
    migrateToBefore(db, 18);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'inquiry', '咨询', 'normal', 'completed', 1, 1, 2, '你好', 1)`,
    ).run();

    applyMigration(db, 18);
    expect(db.prepare('SELECT id FROM tickets').pluck().all()).toEqual(['GD20241108001']);
    const details = queryPlan(
      db,
      "SELECT id FROM tickets WHERE customer_id = 'CUS20241108001' AND (created_at < 5 OR (created_at = 5 AND id < 'GD2')) ORDER BY created_at DESC, id DESC LIMIT 21",
    );
    expect(details).toContain('tickets_customer_history');
    expect(details).not.toContain('TEMP B-TREE');
  });
});
