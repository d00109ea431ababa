import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SLA_DAYS_SQL } from '../reports/reportRepository.js';
import { appliedVersions, migrate } from './index.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-021-'));
  db = new Database(path.join(dir, 'server.sqlite'));
  db.pragma('foreign_keys = ON');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('migration 021 tickets by due time', () => {
  it('keeps the tickets, and the SLA chart reads them by due time from the index alone', () => {
    migrate(db, 20);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'consult', '咨询', 'normal', 'in_progress', 1, 1, 7200001, '你好', 1)`,
    ).run();

    expect(migrate(db, 21)).toEqual([21]);
    expect(appliedVersions(db).at(-1)).toBe(21);
    expect(db.prepare('SELECT id, due_at FROM tickets').all()).toEqual([{ id: 'GD20241108001', due_at: 7200001 }]);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${SLA_DAYS_SQL}`).all(0, 0, 0, 86_400_000) as Array<{ detail: string }>)
      .map((step) => step.detail)
      .join(' | ');
    expect(plan).toContain('COVERING INDEX tickets_due');
  });
});
