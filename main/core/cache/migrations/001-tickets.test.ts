import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrateCache, schemaVersion } from '../migrate.js';
import { useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 001-tickets', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  it('creates the domain tables on an empty file and records version 1', () => {
    expect(schemaVersion(db)).toBe(0);
    expect(migrateCache(db, undefined, 1)).toBe(1);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['customers', 'messages', 'notes', 'tickets']);
  });

  it('stores a Chinese ticket with its customer, message and pending note, and keeps ticket ids unique', () => {
    migrateCache(db, undefined, 1);
    db.prepare(
      "INSERT INTO customers (id, name, phone, email, social_id, vip_tier, created_at) VALUES ('CUS20240501001', '张伟', '13800138000', NULL, NULL, 2, 1)",
    ).run();
    const insertTicket =
      db.prepare(`INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
      VALUES ('GD20240501001', 'CUS20240501001', 'phone', 'complaint', '订单物流查询延迟', 'urgent', 'unassigned', 1, 1, 7200001, '快递三天没动了', 1)`);
    insertTicket.run();
    expect(() => insertTicket.run()).toThrow(/UNIQUE/);
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, delivery_status, created_at)
      VALUES ('m1', 'GD20240501001', 'inbound', 'phone', '张伟', '快递三天没动了', 'received', 1)`,
    ).run();
    db.prepare(
      "INSERT INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending) VALUES ('n1', 'GD20240501001', 'agent1', '李娜', '已联系物流', 2, 1)",
    ).run();

    const ticket = db.prepare('SELECT subject, generation, assignee_id FROM tickets').get();
    expect(ticket).toEqual({ subject: '订单物流查询延迟', generation: 0, assignee_id: null });
    expect(db.prepare('SELECT pending FROM messages').pluck().get()).toBe(0);
    expect(db.prepare('SELECT pending FROM notes').pluck().get()).toBe(1);
  });
});
