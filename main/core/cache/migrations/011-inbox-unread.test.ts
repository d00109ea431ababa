import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 011-inbox-unread', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 11);
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, assignee_id, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20240501001', 'CUS20240501001', 'chat', 'consult', '发票', 'urgent', 'in_progress', 'agent1', 1, 1, 7200001, '您好', 5)`,
    ).run();
  });

  it('keeps every ticket, starts with nothing unread, and lists the inbox from one covering index', () => {
    applyCacheMigration(db, 11);
    expect(db.prepare('SELECT id, status FROM tickets').all()).toEqual([{ id: 'GD20240501001', status: 'in_progress' }]);
    expect(db.prepare('SELECT count(*) FROM ticket_unread').pluck().get()).toBe(0);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets'").pluck().all();
    expect(indexes).toContain('tickets_inbox');
    expect(indexes).not.toContain('tickets_by_activity');
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT t.rid FROM tickets t WHERE t.status IN ('unassigned', 'in_progress') AND t.channel = ? ORDER BY t.last_message_at DESC, t.id DESC LIMIT 50",
      )
      .all('chat') as Array<{ detail: string }>;
    expect(plan.map((row) => row.detail).join(' | ')).toContain('COVERING INDEX tickets_inbox');
  });

  it('holds one unread row per ticket', () => {
    migrateCache(db, undefined, 11);
    db.prepare("INSERT INTO ticket_unread (ticket_id, since) VALUES ('GD20240501001', 10)").run();
    expect(() => db.prepare("INSERT INTO ticket_unread (ticket_id, since) VALUES ('GD20240501001', 11)").run()).toThrow(/UNIQUE|PRIMARY/);
    expect(() => db.prepare("INSERT INTO ticket_unread (ticket_id, since) VALUES ('GD20240501002', NULL)").run()).toThrow(/NOT NULL/);
  });
});
