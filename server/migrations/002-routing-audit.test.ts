import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 002 routing audit', () => {
  it('adds the audit table and back-fills last assignment times from existing tickets', () => {
    migrateToBefore(db, 2);
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES (?, ?, ?, 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run('agent1', 'agent1', '王芳');
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES (?, ?, ?, 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run('agent2', 'agent2', '张强');
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    const insertTicket = db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, assignee_name, assigned_at, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES (?, 'CUS20241108001', 'chat', 'consult', '退款', 'normal', 'in_progress', 'agent1', '王芳', ?, 1, 1, 2, '退款', 1)`,
    );
    insertTicket.run('GD20241108001', 1000);
    insertTicket.run('GD20241108002', 5000);

    applyMigration(db, 2);
    const times = db.prepare('SELECT id, last_assigned_at FROM users ORDER BY id').all();
    expect(times).toEqual([
      { id: 'agent1', last_assigned_at: 5000 },
      { id: 'agent2', last_assigned_at: null },
    ]);

    db.prepare("INSERT INTO routing_audit (ticket_id, at, decision, assignee_id, reason) VALUES ('GD20241108001', 1, 'assigned', 'agent1', '测试')").run();
    expect(() => db.prepare("INSERT INTO routing_audit (ticket_id, at, decision, reason) VALUES ('GD20241108001', 1, 'maybe', 'x')").run()).toThrow(/CHECK/);
    expect(() => db.prepare("INSERT INTO routing_audit (ticket_id, at, decision, reason) VALUES ('GD20990101001', 1, 'queued', 'x')").run()).toThrow(
      /FOREIGN KEY/,
    );
  });
});
