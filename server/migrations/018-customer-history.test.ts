import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedVersions, migrate } from './index.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-018-'));
  db = new Database(path.join(dir, 'server.sqlite'));
  db.pragma('foreign_keys = ON');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('migration 018 customer history', () => {
  it('keeps the tickets and lets a history page seek a customer’s tickets by (created_at, id) without sorting', () => {
    migrate(db, 17);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'inquiry', '咨询', 'normal', 'completed', 1, 1, 2, '你好', 1)`,
    ).run();

    expect(migrate(db, 18)).toEqual([18]);
    expect(appliedVersions(db).at(-1)).toBe(18);
    expect(db.prepare('SELECT id FROM tickets').pluck().all()).toEqual(['GD20241108001']);
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT id FROM tickets WHERE customer_id = 'CUS20241108001' AND (created_at < 5 OR (created_at = 5 AND id < 'GD2')) ORDER BY created_at DESC, id DESC LIMIT 21",
      )
      .all() as Array<{ detail: string }>;
    const details = plan.map((step) => step.detail).join(' | ');
    expect(details).toContain('tickets_customer_history');
    expect(details).not.toContain('TEMP B-TREE');
  });
});
