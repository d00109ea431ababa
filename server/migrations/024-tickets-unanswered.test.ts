import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMPLAINTS_UNSTARTED_WHERE, FIRST_RESPONSES_OVERDUE_WHERE } from '../alarms/alertStore.js';
import { appliedVersions, migrate } from './index.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-024-'));
  db = new Database(path.join(dir, 'server.sqlite'));
  db.pragma('foreign_keys = ON');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function planOf(where: string, params: number[]): string {
  return (
    db.prepare(`EXPLAIN QUERY PLAN SELECT t.id FROM tickets t WHERE ${where} ORDER BY t.created_at LIMIT 200`).all(...params) as Array<{ detail: string }>
  )
    .map((step) => step.detail)
    .join(' | ');
}

describe('migration 024 open tickets without a first response', () => {
  it('keeps the tickets, and the alarms find the unanswered ones through the partial index', () => {
    migrate(db, 23);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    const insert = db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at, first_response_at)
       VALUES (?, 'CUS20241108001', 'chat', 'complaint', '投诉', 'normal', ?, 1, 1, 7200001, '你好', 1, ?)`,
    );
    insert.run('GD20241108001', 'in_progress', null);
    insert.run('GD20241108002', 'in_progress', 5);
    insert.run('GD20241108003', 'completed', null);

    expect(migrate(db, 24)).toEqual([24]);
    expect(appliedVersions(db).at(-1)).toBe(24);
    expect(db.prepare('SELECT COUNT(*) AS n FROM tickets').get()).toEqual({ n: 3 });
    const unanswered = db.prepare(
      "SELECT id FROM tickets INDEXED BY tickets_open_unanswered WHERE first_response_at IS NULL AND status IN ('unassigned', 'in_progress', 'awaiting_customer') AND created_at >= 0",
    );
    expect(unanswered.all()).toEqual([{ id: 'GD20241108001' }]);
    expect(planOf(FIRST_RESPONSES_OVERDUE_WHERE, [0, 0, 1, 2, 3, 4])).toContain('USING INDEX tickets_open_unanswered');
    expect(planOf(COMPLAINTS_UNSTARTED_WHERE, [0])).toContain('USING INDEX tickets_open_unanswered');
    expect(migrate(db, 24)).toEqual([]);
  });
});
