import type Database from 'better-sqlite3-multiple-ciphers';
import { existsSync, readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

/** What a cache written before masking held in clear. */
const CLEAR = ['13800138000', 'zhang.wei@example.cn', '110101199003077777', '6222021234567890123'];

describe('cache migration 009-masked-content', () => {
  let db: Database.Database;
  const cache = useCacheMigrationTestDatabase(
    (opened) => (db = opened),
    (opened) => {
      // As openCache opens it.
      opened.pragma('journal_mode = WAL');
      opened.pragma('secure_delete = ON');
    },
  );

  beforeEach(() => {
    migrateCacheToBefore(db, 9);
    db.prepare(
      "INSERT INTO customers (id, name, phone, email, social_id, vip_tier, created_at, identities_json) VALUES ('CUS20240501001', '张伟', '13800138000', 'zhang.wei@example.cn', NULL, 0, 1, ?)",
    ).run(JSON.stringify([{ kind: 'phone', value: '+8613800138000' }]));
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at, generation)
       VALUES ('GD20240501001', 'CUS20240501001', 'phone', 'consult', '来电 13800138000', 'normal', 'in_progress', 1, 1, 2, '身份证110101199003077777', 1, 0)`,
    ).run();
    // Part of the clear data reaches the main file, part stays in the WAL.
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.prepare(
      `INSERT INTO messages (id, ticket_id, direction, channel, author_id, author_name, text, external_message_id, delivery_status, created_at, pending)
       VALUES ('m1', 'GD20240501001', 'inbound', 'phone', NULL, 'zhang.wei@example.cn', '卡号6222021234567890123，身份证110101199003077777', NULL, 'received', 1, 0)`,
    ).run();
    db.prepare(
      "INSERT INTO notes (id, ticket_id, author_id, author_name, text, created_at, pending) VALUES ('n1', 'GD20240501001', 'agent1', '王芳', '备用 13800138000', 2, 0)",
    ).run();
    // The agent's own unsent work.
    db.prepare("INSERT INTO outbox (mutation_id, ticket_id, kind, body, created_at) VALUES ('mu1', 'GD20240501001', 'note', '{\"text\":\"已回电\"}', 3)").run();
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '您好，退款已提交', 4)").run();
    db.prepare(
      "INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, at) VALUES ('GD20240501001', 'mu0', 'setStatus', 'forbidden', '工单已被组长改派给张强', 5)",
    ).run();
    db.prepare('UPDATE sync_state SET last_seq = 42, bootstrapped = 1 WHERE id = 1').run();
  });

  it('drops the cached content and the sync position, keeps outbox, drafts and attention', () => {
    applyCacheMigration(db, 9);
    for (const table of ['customers', 'tickets', 'messages', 'notes']) expect(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get()).toBe(0);
    expect(db.prepare('SELECT mutation_id FROM outbox').pluck().all()).toEqual(['mu1']);
    expect(db.prepare('SELECT text FROM drafts').pluck().all()).toEqual(['您好，退款已提交']);
    expect(db.prepare('SELECT reason FROM attention').pluck().all()).toEqual(['工单已被组长改派给张强']);
    expect(db.prepare('SELECT last_seq, bootstrapped, bootstrap_after, bootstrap_seq, search_live, pii_view FROM sync_state').get()).toEqual({
      last_seq: 0,
      bootstrapped: 0,
      bootstrap_after: null,
      bootstrap_seq: null,
      search_live: 1,
      pii_view: null,
    });
    expect(db.prepare(`SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH '"138001"'`).pluck().get()).toBe(0);
    expect(db.prepare(`SELECT count(*) FROM message_fts WHERE message_fts MATCH '"622202"'`).pluck().get()).toBe(0);
    expect(() => db.prepare("UPDATE sync_state SET pii_view = 'sometimes' WHERE id = 1").run()).toThrow(/CHECK/);
  });

  it('leaves no clear number or address anywhere in the files', () => {
    const file = cache.filePath;
    const bytesBefore = readFileSync(file).toString('latin1') + (existsSync(`${file}-wal`) ? readFileSync(`${file}-wal`).toString('latin1') : '');
    // The test is worth something only if the clear values were on disk before.
    expect(CLEAR.filter((value) => bytesBefore.includes(value))).not.toEqual([]);
    migrateCache(db);
    db.close();
    const bytes = [file, `${file}-wal`, `${file}-journal`]
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    for (const value of CLEAR) expect(bytes).not.toContain(value);
    // The agent's own work is still there.
    expect(bytes).toContain(Buffer.from('已回电').toString('latin1'));
  });
});
