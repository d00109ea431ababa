import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { SLA_DAYS_SQL } from '../reports/reportRepository.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 021 tickets by due time', () => {
  it('keeps the tickets, and the SLA chart reads them by due time from the index alone', () => {
    migrateToBefore(db, 21);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'consult', '咨询', 'normal', 'in_progress', 1, 1, 7200001, '你好', 1)`,
    ).run();

    applyMigration(db, 21);
    expect(db.prepare('SELECT id, due_at FROM tickets').all()).toEqual([{ id: 'GD20241108001', due_at: 7200001 }]);
    expect(queryPlan(db, SLA_DAYS_SQL, 0, 0, 0, 86_400_000)).toContain('COVERING INDEX tickets_due');
  });
});
