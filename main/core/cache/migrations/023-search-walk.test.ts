import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';
import { insertSearchMessage, insertSearchTicket, seedSearchRows, ticketsWithBigram } from '../../testing/searchMigrationRows.js';

describe('cache migration 023-search-walk', () => {
  let db: Database.Database;
  /** Tickets found by each index: the 2-character one, the ticket one and the message one. */
  const matching = (word: string) => ({
    pairs: ticketsWithBigram(db, word.slice(0, 2)),
    tickets: db
      .prepare('SELECT t.id FROM tickets t WHERE t.rid IN (SELECT rowid FROM ticket_fts WHERE ticket_fts MATCH ?) ORDER BY t.id')
      .pluck()
      .all(`"${word}"`),
    messages: db
      .prepare('SELECT DISTINCT m.ticket_id FROM messages m WHERE m.rid IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?) ORDER BY m.ticket_id')
      .pluck()
      .all(`"${word}"`),
  });
  const walk = () => db.prepare('SELECT search_live, search_tickets_upto AS tickets, search_messages_upto AS messages FROM sync_state').safeIntegers().get();
  const insertMessage = (id: string, ticketId: string, text: string) => insertSearchMessage(db, id, ticketId, text);
  const insertTicket = (id: string, subject: string) => insertSearchTicket(db, id, subject);
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 23);
    seedSearchRows(db);
  });

  it('leaves live indexes as they were, covering every row, and its triggers keep them current', () => {
    expect(matching('物流查询')).toEqual({ pairs: ['GD20240501001'], tickets: ['GD20240501001'], messages: [] });
    applyCacheMigration(db, 23);
    expect(walk()).toEqual({ search_live: 1n, tickets: 9223372036854775807n, messages: 9223372036854775807n });
    expect(matching('物流查询')).toEqual({ pairs: ['GD20240501001'], tickets: ['GD20240501001'], messages: [] });
    expect(matching('快递三天')).toEqual({ pairs: ['GD20240501001'], tickets: [], messages: ['GD20240501001'] });

    insertMessage('m2', 'GD20240501001', '申请退款到原账户');
    expect(matching('退款到原')).toEqual({ pairs: ['GD20240501001'], tickets: [], messages: ['GD20240501001'] });
    db.prepare("UPDATE messages SET text = '发票重新开具' WHERE id = 'm2'").run();
    expect(matching('退款到原')).toEqual({ pairs: [], tickets: [], messages: [] });
    db.prepare("UPDATE customers SET name = '王芳芳' WHERE id = 'CUS20240501001'").run();
    expect(matching('王芳芳')).toEqual({ pairs: ['GD20240501001'], tickets: ['GD20240501001'], messages: [] });
    insertTicket('GD20240501002', '会员积分未到账');
    expect(matching('会员积分')).toEqual({ pairs: ['GD20240501002'], tickets: ['GD20240501002'], messages: [] });
    db.prepare("DELETE FROM messages WHERE id = 'm2'").run();
    db.prepare("DELETE FROM tickets WHERE id = 'GD20240501002'").run();
    expect(matching('发票重新')).toEqual({ pairs: [], tickets: [], messages: [] });
    expect(matching('会员积分')).toEqual({ pairs: [], tickets: [], messages: [] });
  });

  it('starts the walk from nothing when search was off (an interrupted bootstrap), and its triggers then leave the rows to the walk', () => {
    db.prepare('UPDATE sync_state SET search_live = 0, bootstrapped = 0').run();
    migrateCache(db, undefined, 23);
    expect(walk()).toEqual({ search_live: 0n, tickets: 0n, messages: 0n });
    insertTicket('GD20240501002', '会员积分未到账');
    insertMessage('m2', 'GD20240501002', '积分什么时候到账');
    expect(matching('会员积分')).toEqual({ pairs: [], tickets: [], messages: [] });
    expect(matching('积分什么')).toEqual({ pairs: [], tickets: [], messages: [] });
  });
});
