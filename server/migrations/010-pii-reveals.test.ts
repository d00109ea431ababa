import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 010 pii reveals', () => {
  it('adds the reveal audit next to the existing data, tied to real users, tickets and customers', () => {
    migrateToBefore(db, 10);
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run();
    db.prepare("INSERT INTO customers (id, name, phone, created_at) VALUES ('CUS20241108001', '张伟', '+8613800138000', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'consult', '退款', 'normal', 'unassigned', 1, 1, 2, '退款', 1)`,
    ).run();

    applyMigration(db, 10);
    expect(db.prepare('SELECT phone FROM customers').pluck().get()).toBe('+8613800138000');

    const insert = db.prepare(
      'INSERT INTO pii_reveals (at, user_id, user_name, role, ticket_id, customer_id, field, target_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    insert.run(5, 'agent1', '王芳', 'agent', 'GD20241108001', 'CUS20241108001', 'customerPhone', null);
    // A call still ringing has no ticket yet.
    insert.run(6, 'agent1', '王芳', 'agent', null, null, 'call', 'call-1');
    expect(db.prepare('SELECT user_name, field, ticket_id, target_id FROM pii_reveals ORDER BY id').all()).toEqual([
      { user_name: '王芳', field: 'customerPhone', ticket_id: 'GD20241108001', target_id: null },
      { user_name: '王芳', field: 'call', ticket_id: null, target_id: 'call-1' },
    ]);
    expect(() => insert.run(7, 'agent1', '王芳', 'visitor', null, null, 'call', 'call-1')).toThrow(/CHECK/);
    expect(() => insert.run(7, 'nobody', '?', 'agent', null, null, 'call', 'call-1')).toThrow(/FOREIGN KEY/);
    expect(() => insert.run(7, 'agent1', '王芳', 'agent', 'GD20991231001', null, 'subject', null)).toThrow(/FOREIGN KEY/);
  });
});
