import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 010-attention-facts', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 10);
    db.prepare(
      "INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, at, dismissed) VALUES ('GD20240501001', 'm1', 'setStatus', 'forbidden', '工单已被组长改派给张强', 5, 1)",
    ).run();
    db.prepare(
      "INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, at) VALUES ('GD20240501002', 'm2', 'reply', 'invalid', 'no route', 6)",
    ).run();
  });

  it('keeps every existing row readable, without facts, dismissed ones dismissed', () => {
    applyCacheMigration(db, 10);
    expect(
      db.prepare('SELECT id, ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at, dismissed FROM attention ORDER BY id').all(),
    ).toEqual([
      {
        id: 1,
        ticket_id: 'GD20240501001',
        mutation_id: 'm1',
        kind: 'setStatus',
        code: 'forbidden',
        reason: '工单已被组长改派给张强',
        refusal_json: null,
        change_seq: null,
        at: 5,
        dismissed: 1,
      },
      {
        id: 2,
        ticket_id: 'GD20240501002',
        mutation_id: 'm2',
        kind: 'reply',
        code: 'invalid',
        reason: 'no route',
        refusal_json: null,
        change_seq: null,
        at: 6,
        dismissed: 0,
      },
    ]);
  });

  it('holds a refusal with facts, and an unreadable change that names no ticket; new ids follow the old ones', () => {
    migrateCache(db, undefined, 10);
    const refusal = JSON.stringify({ code: 'not_owner', ticketId: 'GD20240501003', action: 'close', assigneeName: null });
    db.prepare(
      "INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, refusal_json, at) VALUES ('GD20240501003', 'm3', 'setStatus', 'forbidden', 'take it first', ?, 7)",
    ).run(refusal);
    db.prepare(
      "INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, change_seq, at) VALUES (NULL, NULL, 'change', 'unreadable_change', 'createdAt: too small', 42, 8)",
    ).run();
    expect(db.prepare('SELECT id, ticket_id, refusal_json, change_seq FROM attention WHERE id > 2 ORDER BY id').all()).toEqual([
      { id: 3, ticket_id: 'GD20240501003', refusal_json: refusal, change_seq: null },
      { id: 4, ticket_id: null, refusal_json: null, change_seq: 42 },
    ]);
    expect(() => db.prepare('UPDATE attention SET dismissed = 2').run()).toThrow(/CHECK/);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'attention_by_ticket'").pluck().get()).toBe(1);
  });
});
