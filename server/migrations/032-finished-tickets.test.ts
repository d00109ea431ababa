import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMPLETED_IN_DAY_SQL } from '../board/boardRepository.js';
import { appliedVersions, migrate } from './index.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-032-'));
  db = new Database(path.join(dir, 'server.sqlite'));
  db.pragma('foreign_keys = ON');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function plan(sql: string, ...parameters: number[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
}

describe('migration 032 finished tickets', () => {
  it("counts the day's completed and closed tickets through one partial index instead of scanning the table", () => {
    migrate(db, 31);
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
    expect(plan(COMPLETED_IN_DAY_SQL, 0, 1_000)).toMatch(/^SCAN t\b/);

    expect(migrate(db, 32)).toEqual([32]);
    expect(appliedVersions(db).at(-1)).toBe(32);
    expect(plan(COMPLETED_IN_DAY_SQL, 0, 1_000)).toMatch(/^SEARCH t USING INDEX tickets_finished_at \(completed_at>\? AND completed_at<\?\)/);
    expect(db.prepare(COMPLETED_IN_DAY_SQL).all(0, 1_000)).toEqual([{ channel: 'chat', n: 2, handling: 499 + 899, late: 1 }]);
    expect(migrate(db, 32)).toEqual([]);
  });
});
