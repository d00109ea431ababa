import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 011 delivery claims', () => {
  it('adds unclaimed claim columns beside a reply already queued, which stays queued', () => {
    migrateToBefore(db, 11);
    db.prepare("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'social', 'consult', '在吗', 'normal', 'in_progress', 1, 1, 2, '在吗', 1)`,
    ).run();
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at, source, attachments_json)
       VALUES ('reply-1', 'GD20241108001', 'outbound', 'social', '王芳', '您好', 'queued', 1, 'webhook:weibo', '[]')`,
    ).run();

    applyMigration(db, 11);
    expect(db.prepare("SELECT delivery_status, claimed_by, claimed_until FROM messages WHERE id = 'reply-1'").get()).toEqual({
      delivery_status: 'queued',
      claimed_by: null,
      claimed_until: null,
    });
    db.prepare("UPDATE messages SET claimed_by = 'node-a', claimed_until = 60000 WHERE id = 'reply-1'").run();
    expect(db.prepare("SELECT claimed_by FROM messages WHERE id = 'reply-1'").pluck().get()).toBe('node-a');
  });
});
