import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedVersions, migrate } from './index.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-002-'));
  db = new Database(path.join(dir, 'server.sqlite'));
  db.pragma('foreign_keys = ON');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('migration 002 routing audit', () => {
  it('adds the audit table and back-fills last assignment times from existing tickets', () => {
    migrate(db, 1);
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

    expect(migrate(db, 2)).toEqual([2]);
    expect(appliedVersions(db)).toEqual([1, 2]);
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
