import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 023 message subjects', () => {
  it('keeps the messages (no subject) and stores an agent-written subject', () => {
    migrateToBefore(db, 23);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'email', 'consult', '咨询', 'normal', 'in_progress', 1, 1, 7200001, '你好', 1)`,
    ).run();
    const insert = db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, delivery_status, created_at)
       VALUES (?, 'GD20241108001', 'outbound', 'email', NULL, '李娜', '您好', 'queued', 1)`,
    );
    insert.run('m1');

    applyMigration(db, 23);
    expect(db.prepare('SELECT id, subject FROM messages').all()).toEqual([{ id: 'm1', subject: null }]);
    insert.run('m2');
    db.prepare("UPDATE messages SET subject = '退款进度 [GD20241108001]' WHERE id = 'm2'").run();
    expect(db.prepare("SELECT subject FROM messages WHERE id = 'm2'").pluck().get()).toBe('退款进度 [GD20241108001]');
    expect(migrate(db, 23)).toEqual([]);
  });
});
