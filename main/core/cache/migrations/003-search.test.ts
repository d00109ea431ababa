import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

function ticketsMatching(db: Database.Database, phrase: string): string[] {
  return db
    .prepare(
      `SELECT t.id FROM tickets t WHERE t.rid IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?)
       OR t.id IN (SELECT m.ticket_id FROM message_fts JOIN messages m ON m.rid = message_fts.rowid WHERE message_fts MATCH ?)
       ORDER BY t.id`,
    )
    .pluck()
    .all(`"${phrase}"`, `"${phrase}"`) as string[];
}

describe('cache migration 003-search', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 3);
    db.prepare(
      "INSERT INTO customers (id, name, phone, email, social_id, vip_tier, created_at) VALUES ('CUS20240501001', '张伟', '13800138000', 'zhangwei@example.com', NULL, 0, 1)",
    ).run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
      VALUES ('GD20240501001', 'CUS20240501001', 'email', 'consult', '订单物流查询延迟', 'normal', 'unassigned', 1, 1, 2, '', 1)`,
    ).run();
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at)
      VALUES ('m1', 'GD20240501001', 'inbound', 'email', '张伟', '请帮我查一下包裹的位置', 'received', 1)`,
    ).run();
  });

  it('indexes the rows that existed before it ran', () => {
    applyCacheMigration(db, 3);
    expect(ticketsMatching(db, '物流查询')).toEqual(['GD20240501001']);
    expect(ticketsMatching(db, '包裹的位置')).toEqual(['GD20240501001']);
    expect(ticketsMatching(db, '138001')).toEqual(['GD20240501001']);
    expect(ticketsMatching(db, 'ZHANGWEI@')).toEqual(['GD20240501001']);
    expect(ticketsMatching(db, '20240501001')).toEqual(['GD20240501001']);
    expect(ticketsMatching(db, '退款申请')).toEqual([]);
  });

  it('keeps the index current through inserts, updates and deletes', () => {
    // Up to the newest triggers (008); 009 drops cached content, which is not what this is about.
    migrateCache(db, undefined, 8);
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at)
      VALUES ('m2', 'GD20240501001', 'outbound', 'email', '李娜', '已为您申请退款', 'queued', 2)`,
    ).run();
    expect(ticketsMatching(db, '申请退款')).toEqual(['GD20240501001']);

    db.prepare("UPDATE customers SET name = '王芳' WHERE id = 'CUS20240501001'").run();
    db.prepare("UPDATE tickets SET subject = '发票重新开具' WHERE id = 'GD20240501001'").run();
    expect(ticketsMatching(db, '发票重新')).toEqual(['GD20240501001']);
    expect(ticketsMatching(db, '物流查询')).toEqual([]);

    db.prepare("DELETE FROM messages WHERE id = 'm2'").run();
    expect(ticketsMatching(db, '申请退款')).toEqual([]);
    db.prepare("DELETE FROM tickets WHERE id = 'GD20240501001'").run();
    expect(db.prepare('SELECT count(*) FROM ticket_fts').pluck().get()).toBe(0);
  });
});
