import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { WRAP_UP_STARTS_SQL } from '../routingStore.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 026 what started a wrap-up', () => {
  it('keeps the tickets, and the read of recent completions and calls goes through the two partial indexes', () => {
    migrateToBefore(db, 26);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run();
    const insert = db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at, assignee_id, completed_at)
       VALUES (?, 'CUS20241108001', 'chat', 'consult', '咨询', 'normal', ?, 1, 1, 7200001, '你好', 1, 'agent1', ?)`,
    );
    insert.run('GD20241108001', 'completed', 500);
    insert.run('GD20241108002', 'completed', 900);
    insert.run('GD20241108003', 'in_progress', null);

    applyMigration(db, 26);
    expect(db.prepare('SELECT COUNT(*) AS n FROM tickets').get()).toEqual({ n: 3 });
    expect(db.prepare(WRAP_UP_STARTS_SQL).all(600, 600)).toEqual([{ agent_id: 'agent1', channel: 'chat', started_at: 900 }]);
    const plan = queryPlan(db, WRAP_UP_STARTS_SQL, 600, 600);
    expect(plan).toContain('USING INDEX tickets_completed_at');
    expect(plan).toContain('USING INDEX cti_calls_answered_ended');
    expect(migrate(db, 26)).toEqual([]);
  });
});
