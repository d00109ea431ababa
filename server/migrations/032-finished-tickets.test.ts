import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { COMPLETED_IN_DAY_SQL } from '../board/boardRepository.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 032 finished tickets', () => {
  it("counts the day's completed and closed tickets through one partial index instead of scanning the table", () => {
    migrateToBefore(db, 32);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    const insert = db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at, completed_at)
       VALUES (?, 'CUS20241108001', 'chat', 'consult', '咨询', 'normal', ?, 1, 1, 700, '你好', 1, ?)`,
    );
    insert.run('GD20241108001', 'completed', 500);
    insert.run('GD20241108002', 'closed', 900); // late (due at 700)
    insert.run('GD20241108003', 'closed', 2_000); // finished after the range
    insert.run('GD20241108004', 'in_progress', null);
    // Before: the completed-only index (026) cannot answer for the closed ones, so every ticket is read.
    expect(queryPlan(db, COMPLETED_IN_DAY_SQL, 0, 1_000)).toMatch(/^SCAN t\b/);

    applyMigration(db, 32);
    expect(queryPlan(db, COMPLETED_IN_DAY_SQL, 0, 1_000)).toMatch(/^SEARCH t USING INDEX tickets_finished_at \(completed_at>\? AND completed_at<\?\)/);
    expect(db.prepare(COMPLETED_IN_DAY_SQL).all(0, 1_000)).toEqual([{ channel: 'chat', n: 2, handling: 499 + 899, late: 1 }]);
    expect(migrate(db, 32)).toEqual([]);
  });
});
