import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 019-outbox-rowid', () => {
  let db: Database.Database;
  const append = (mutationId: string, ticketId = 'GD20240501001') =>
    Number(
      db
        .prepare("INSERT INTO outbox (mutation_id, ticket_id, kind, body, created_at) VALUES (?, ?, 'note', ?, 1)")
        .run(mutationId, ticketId, JSON.stringify({ mutationId })).lastInsertRowid,
    );
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 19);
    append('m1');
    append('m2', 'GD20240501002');
    append('m3');
    // An acknowledged entry leaves a gap, as in a cache that has been pushing.
    db.prepare("DELETE FROM outbox WHERE mutation_id = 'm2'").run();
  });

  it('keeps every queued row with its seq, order and indexes, and no longer keeps a sequence for the outbox', () => {
    const before = db.prepare('SELECT * FROM outbox ORDER BY seq').all();
    applyCacheMigration(db, 19);
    expect(db.prepare('SELECT * FROM outbox ORDER BY seq').all()).toEqual(before);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'outbox'").pluck().get()).not.toMatch(/AUTOINCREMENT/i);
    expect(db.prepare("SELECT count(*) FROM sqlite_sequence WHERE name = 'outbox'").pluck().get()).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' ORDER BY name").pluck().all()).toEqual([
      'outbox_by_ticket',
      'sqlite_autoindex_outbox_1',
    ]);
    const plan = db.prepare<[], { detail: string }>("EXPLAIN QUERY PLAN SELECT seq FROM outbox WHERE ticket_id = 'GD20240501001' ORDER BY seq").all();
    expect(plan.map((step) => step.detail).join(' ')).toContain('outbox_by_ticket');
  });

  it('gives a new row a seq above every queued one, and refuses a mutation id twice', () => {
    migrateCache(db, undefined, 19);
    const queued = db.prepare('SELECT max(seq) FROM outbox').pluck().get() as number;
    expect(append('m4')).toBeGreaterThan(queued);
    expect(() => append('m1')).toThrow(/UNIQUE/);
    expect(db.prepare('SELECT mutation_id FROM outbox ORDER BY seq').pluck().all()).toEqual(['m1', 'm3', 'm4']);
  });
});
