import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 002-outbox', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 2);
    db.prepare(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
      VALUES ('GD20240501001', 'CUS20240501001', 'chat', 'consult', '发票开具', 'normal', 'in_progress', 1, 1, 2, '', 1)`,
    ).run();
  });

  it('adds the outbox, attention and sync state without touching cached tickets', () => {
    applyCacheMigration(db, 2);
    expect(db.prepare('SELECT subject FROM tickets').pluck().all()).toEqual(['发票开具']);
    expect(db.prepare('SELECT last_seq, bootstrapped, bootstrap_after, bootstrap_seq, generation FROM sync_state').all()).toEqual([
      { last_seq: 0, bootstrapped: 0, bootstrap_after: null, bootstrap_seq: null, generation: 0 },
    ]);
  });

  it('keeps one sync state row, unique mutation ids and increasing outbox seqs', () => {
    migrateCache(db, undefined, 2);
    expect(() => db.prepare('INSERT INTO sync_state (id) VALUES (2)').run()).toThrow(/CHECK/);
    const append = db.prepare("INSERT INTO outbox (mutation_id, ticket_id, kind, body, created_at) VALUES (?, 'GD20240501001', 'note', '{}', 1)");
    const first = append.run('0190a1b2-0000-7000-8000-000000000001').lastInsertRowid;
    const second = append.run('0190a1b2-0000-7000-8000-000000000002').lastInsertRowid;
    expect(Number(second)).toBeGreaterThan(Number(first));
    expect(() => append.run('0190a1b2-0000-7000-8000-000000000001')).toThrow(/UNIQUE/);
  });
});
