import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 004-ticket-fields', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 4);
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
      VALUES ('GD20240501001', 'CUS20240501001', 'phone', 'consult', '订单物流查询延迟', 'normal', 'in_progress', 1, 1, 2, '', 1)`,
    ).run();
  });

  it('gives cached tickets no reminder and default routing, keeps them searchable, and refuses a negative time', () => {
    applyCacheMigration(db, 4);
    expect(db.prepare('SELECT subject, follow_up_at, routing FROM tickets').all()).toEqual([
      { subject: '订单物流查询延迟', follow_up_at: null, routing: null },
    ]);
    expect(db.prepare(`SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH '"物流查询"'`).pluck().all()).toHaveLength(1);
    db.prepare("UPDATE tickets SET follow_up_at = 1731060000000 WHERE id = 'GD20240501001'").run();
    expect(db.prepare('SELECT follow_up_at FROM tickets').pluck().get()).toBe(1731060000000);
    expect(() => db.prepare("UPDATE tickets SET follow_up_at = -5 WHERE id = 'GD20240501001'").run()).toThrow(/CHECK/);
  });
});
