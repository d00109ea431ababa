import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedVersions, migrate } from './index.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-003-'));
  db = new Database(path.join(dir, 'server.sqlite'));
  db.pragma('foreign_keys = ON');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('migration 003 follow-up', () => {
  it('adds an empty follow-up time to existing tickets and accepts a reminder afterwards', () => {
    migrate(db, 2);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'phone', 'consult', '订单物流查询延迟', 'normal', 'in_progress', 1, 1, 2, '快递三天没动了', 1)`,
    ).run();

    expect(migrate(db, 3)).toEqual([3]);
    expect(appliedVersions(db)).toEqual([1, 2, 3]);
    expect(db.prepare('SELECT subject, follow_up_at FROM tickets').all()).toEqual([{ subject: '订单物流查询延迟', follow_up_at: null }]);

    db.prepare("UPDATE tickets SET follow_up_at = 1731060000000 WHERE id = 'GD20241108001'").run();
    expect(db.prepare('SELECT follow_up_at FROM tickets').pluck().get()).toBe(1731060000000);
    expect(() => db.prepare("UPDATE tickets SET follow_up_at = -1 WHERE id = 'GD20241108001'").run()).toThrow(/CHECK/);
  });
});
