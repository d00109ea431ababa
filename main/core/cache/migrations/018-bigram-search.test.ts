import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { REBUILD_BIGRAMS_SQL } from './018-bigram-search.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';
import { insertSearchMessage, insertSearchTicket, seedSearchRows, ticketsWithBigram } from '../../testing/searchMigrationRows.js';

describe('cache migration 018-bigram-search', () => {
  let db: Database.Database;
  const matching = (word: string) => ticketsWithBigram(db, word);
  const insertMessage = (id: string, ticketId: string, text: string) => insertSearchMessage(db, id, ticketId, text);
  const insertTicket = (id: string, subject: string) => insertSearchTicket(db, id, subject);
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 18);
    seedSearchRows(db);
  });

  it('indexes what was cached before it ran: subject, customer name and messages', () => {
    applyCacheMigration(db, 18);
    expect(matching('物流')).toEqual(['GD20240501001']);
    expect(matching('张伟')).toEqual(['GD20240501001']);
    expect(matching('三天')).toEqual(['GD20240501001']);
    // Pairs never span two fields or a space, and ASCII is left to LIKE.
    expect(matching('迟张')).toEqual([]);
    expect(matching('GD')).toEqual([]);
  });

  it('keeps the index current through inserts, updates and deletes while search is live, and skips them while it is off', () => {
    migrateCache(db, undefined, 18);
    insertMessage('m2', 'GD20240501001', '申请退款到原账户');
    expect(matching('退款')).toEqual(['GD20240501001']);
    db.prepare("UPDATE messages SET text = '发票重新开具' WHERE id = 'm2'").run();
    expect(matching('退款')).toEqual([]);
    expect(matching('开具')).toEqual(['GD20240501001']);
    db.prepare("UPDATE customers SET name = '王芳' WHERE id = 'CUS20240501001'").run();
    expect(matching('张伟')).toEqual([]);
    expect(matching('王芳')).toEqual(['GD20240501001']);
    db.prepare("UPDATE tickets SET subject = '会员积分' WHERE id = 'GD20240501001'").run();
    expect(matching('物流')).toEqual([]);
    expect(matching('积分')).toEqual(['GD20240501001']);
    db.prepare("DELETE FROM messages WHERE id = 'm2'").run();
    expect(matching('开具')).toEqual([]);
    expect(matching('三天')).toEqual(['GD20240501001']);
    // A message that arrives before its ticket is indexed when the ticket comes.
    insertMessage('m3', 'GD20240501002', '杯子碎了');
    expect(matching('杯子')).toEqual([]);
    insertTicket('GD20240501002', '商品质量问题');
    expect(matching('杯子')).toEqual(['GD20240501002']);
    expect(matching('王芳')).toEqual(['GD20240501001', 'GD20240501002']);
    db.prepare("DELETE FROM tickets WHERE id = 'GD20240501001'").run();
    expect(matching('积分')).toEqual([]);
    expect(matching('王芳')).toEqual(['GD20240501002']);

    db.prepare('UPDATE sync_state SET search_live = 0 WHERE id = 1').run();
    insertMessage('m4', 'GD20240501002', '换货申请');
    expect(matching('换货')).toEqual([]);
    db.exec(REBUILD_BIGRAMS_SQL);
    db.prepare('UPDATE sync_state SET search_live = 1 WHERE id = 1').run();
    expect(matching('换货')).toEqual(['GD20240501002']);
    expect(matching('积分')).toEqual([]);
  });
});
