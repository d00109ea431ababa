import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 004 routing engine', () => {
  it('keeps the old audit rows, adds agent settings, languages and ticket routing facts', () => {
    migrateToBefore(db, 4);
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run();
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'consult', '订单物流查询延迟', 'normal', 'in_progress', 'agent1', '王芳', 1, 1, 2, '你好', 1)`,
    ).run();
    db.prepare(
      "INSERT INTO routing_audit (ticket_id, at, decision, assignee_id, reason) VALUES ('GD20241108001', 5, 'assigned', 'agent1', 'Routed to 王芳: chat skill')",
    ).run();

    applyMigration(db, 4);
    expect(db.prepare('SELECT ticket_id, decision, assignee_id, reason, reason_json FROM routing_audit').all()).toEqual([
      { ticket_id: 'GD20241108001', decision: 'assigned', assignee_id: 'agent1', reason: 'Routed to 王芳: chat skill', reason_json: null },
    ]);
    expect(db.prepare('SELECT languages_json FROM users').get()).toEqual({ languages_json: '["zh"]' });
    expect(db.prepare('SELECT routing FROM tickets').get()).toEqual({ routing: null });

    // Decisions beyond assigned/queued are allowed now; presence is checked.
    db.prepare("INSERT INTO routing_audit (ticket_id, at, decision, assignee_id, reason) VALUES ('GD20241108001', 6, 'offer_timeout', 'agent1', '')").run();
    const insertSettings = db.prepare(
      "INSERT INTO agent_settings (user_id, presence, presence_cause, presence_since, capacity_json, phone_blocks_chat, updated_at) VALUES ('agent1', ?, 'self', 1, '{}', 1, 1)",
    );
    expect(() => insertSettings.run('lunch')).toThrow(/CHECK/);
    insertSettings.run('away');
    expect(() => insertSettings.run('available')).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(migrate(db, 4)).toEqual([]);
  });
});
