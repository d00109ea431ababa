import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { COMPLAINTS_UNSTARTED_WHERE, FIRST_RESPONSES_OVERDUE_WHERE } from '../alarms/alertStore.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

function planOf(where: string, params: number[]): string {
  return queryPlan(db, `SELECT t.id FROM tickets t WHERE ${where} ORDER BY t.created_at LIMIT 200`, ...params);
}

describe('migration 024 open tickets without a first response', () => {
  it('keeps the tickets, and the alarms find the unanswered ones through the partial index', () => {
    migrateToBefore(db, 24);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    const insert = db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at, first_response_at)
       VALUES (?, 'CUS20241108001', 'chat', 'complaint', '投诉', 'normal', ?, 1, 1, 7200001, '你好', 1, ?)`,
    );
    insert.run('GD20241108001', 'in_progress', null);
    insert.run('GD20241108002', 'in_progress', 5);
    insert.run('GD20241108003', 'completed', null);

    applyMigration(db, 24);
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
