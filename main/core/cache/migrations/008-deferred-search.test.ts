import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { REBUILD_SEARCH_SQL } from './008-deferred-search.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 008-deferred-search', () => {
  let db: Database.Database;
  const matches = (term: string) => db.prepare('SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH ?').pluck().get(`"${term}"`);
  const messageMatches = (term: string) => db.prepare('SELECT count(*) FROM message_fts WHERE message_fts MATCH ?').pluck().get(`"${term}"`);
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 8);
    db.prepare("INSERT INTO customers (id, name, phone, email, vip_tier, created_at) VALUES ('CUS20240501001', '张伟', '13800138000', NULL, 0, 1)").run();
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at, generation)
       VALUES ('GD20240501001', 'CUS20240501001', 'phone', 'consult', '订单物流查询延迟', 'normal', 'in_progress', 1, 1, 2, '', 1, 0)`,
    ).run();
  });

  it('keeps the existing index, indexes rows while search is live and skips them while it is off', () => {
    applyCacheMigration(db, 8);
    expect(matches('物流查询')).toBe(1);
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at, pending)
       VALUES ('m1', 'GD20240501001', 'inbound', 'phone', NULL, '张伟', '快递三天没动了', NULL, 'received', 1, 0)`,
    ).run();
    expect(messageMatches('三天没')).toBe(1);

    db.prepare('UPDATE sync_state SET search_live = 0 WHERE id = 1').run();
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at, pending)
       VALUES ('m2', 'GD20240501001', 'inbound', 'phone', NULL, '张伟', '申请退款到原账户', NULL, 'received', 2, 0)`,
    ).run();
    db.prepare("UPDATE tickets SET subject = '退款申请处理' WHERE id = 'GD20240501001'").run();
    expect(messageMatches('退款到')).toBe(0);
    expect(matches('退款申请')).toBe(0);

    db.exec(REBUILD_SEARCH_SQL);
    db.prepare('UPDATE sync_state SET search_live = 1 WHERE id = 1').run();
    expect(messageMatches('退款到')).toBe(1);
    expect(matches('退款申请')).toBe(1);
    expect(matches('物流查询')).toBe(0);
    expect(() => db.prepare('UPDATE sync_state SET search_live = 2 WHERE id = 1').run()).toThrow(/CHECK/);
  });
});
