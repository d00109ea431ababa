import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 005 channels', () => {
  it('keeps existing messages readable and copies every customer identifier into the identities', () => {
    migrateToBefore(db, 5);
    db.prepare(
      "INSERT INTO customers (id, name, phone, email, social_id, created_at) VALUES ('CUS20241108001', '张伟', '13800138000', 'zhang.wei@example.cn', NULL, 1)",
    ).run();
    db.prepare("INSERT INTO customers (id, name, phone, email, social_id, created_at) VALUES ('CUS20241108002', '李娜', NULL, NULL, 'wx:oAbC123', 2)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'email', 'consult', '订单物流查询延迟', 'normal', 'in_progress', 1, 1, 2, '快递三天没动了', 1)`,
    ).run();
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at)
       VALUES ('m1', 'GD20241108001', 'inbound', 'email', NULL, '张伟', '快递三天没动了', NULL, 'received', 1)`,
    ).run();

    applyMigration(db, 5);
    expect(db.prepare('SELECT text, source, attachments_json, call_json, delivery_error FROM messages').all()).toEqual([
      { text: '快递三天没动了', source: null, attachments_json: '[]', call_json: null, delivery_error: null },
    ]);
    expect(db.prepare('SELECT kind, value, customer_id FROM customer_identities ORDER BY kind, value').all()).toEqual([
      { kind: 'email', value: 'zhang.wei@example.cn', customer_id: 'CUS20241108001' },
      { kind: 'phone', value: '13800138000', customer_id: 'CUS20241108001' },
      { kind: 'social', value: 'wx:oAbC123', customer_id: 'CUS20241108002' },
    ]);
    expect(() => db.prepare("INSERT INTO customer_identities (kind, value, customer_id, created_at) VALUES ('fax', '1', 'CUS20241108001', 3)").run()).toThrow(
      /CHECK/,
    );
    expect(() =>
      db.prepare("INSERT INTO attachments (id, message_id, file_name, content_type, size, data) VALUES ('a1', 'nope', 'x.txt', 'text/plain', 1, x'00')").run(),
    ).toThrow(/FOREIGN KEY/);
  });
});
