import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { REFUSAL_LOOKUP } from '../cache.js';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

/** The core's refusal lookup, reading the columns a cache at 020 has. */
const REFUSAL_SQL = `SELECT id, ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at ${REFUSAL_LOOKUP}`;

describe('cache migration 020-attention-by-mutation', () => {
  let db: Database.Database;
  /** Attention rows as a cache at 019 holds them. */
  const insert = (ticketId: string | null, mutationId: string | null, code: string, dismissed = 0) =>
    db
      .prepare(
        "INSERT INTO attention (ticket_id, mutation_id, kind, code, reason, refusal_json, change_seq, at, dismissed) VALUES (?, ?, 'setStatus', ?, 'refused', NULL, NULL, 1, ?)",
      )
      .run(ticketId, mutationId, code, dismissed);
  const plan = () =>
    db
      .prepare<[string], { detail: string }>(`EXPLAIN QUERY PLAN ${REFUSAL_SQL}`)
      .all('m1')
      .map((step) => step.detail)
      .join(' | ');
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 20);
    // Refusals (one mutation refused twice), a dismissed one, an unreadable change of no mutation.
    insert('GD20240501001', 'm1', 'forbidden');
    insert('GD20240501002', 'm2', 'not_found', 1);
    insert(null, null, 'unreadable_change');
    insert('GD20240501001', 'm1', 'conflict');
  });

  it('keeps every attention row, and the refusal lookup by mutation id seeks the partial index instead of scanning', () => {
    const before = db.prepare('SELECT * FROM attention ORDER BY id').all();
    // What 019 left: the lookup scans the table (and sorts unless it walks the rowids backwards).
    expect(plan()).not.toContain('attention_by_mutation');
    expect(plan()).toMatch(/SCAN attention/);

    applyCacheMigration(db, 20);
    expect(db.prepare('SELECT * FROM attention ORDER BY id').all()).toEqual(before);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'attention_by_mutation'").pluck().get()).toMatch(/WHERE mutation_id IS NOT NULL$/);

    const steps = plan();
    expect(steps).toContain('SEARCH attention USING INDEX attention_by_mutation (mutation_id=?)');
    // The newest row comes off the end of the index: no sort.
    expect(steps).not.toContain('TEMP B-TREE');
    expect(db.prepare(REFUSAL_SQL).get('m1')).toMatchObject({ mutation_id: 'm1', code: 'conflict' });
    expect(db.prepare(REFUSAL_SQL).get('m2')).toMatchObject({ mutation_id: 'm2', code: 'not_found' });
    expect(db.prepare(REFUSAL_SQL).get('unknown')).toBeUndefined();
    // Rows of no mutation are left out of the index, and still listed.
    expect(db.prepare('SELECT count(*) FROM attention INDEXED BY attention_by_mutation WHERE mutation_id IS NOT NULL').pluck().get()).toBe(3);
    expect(db.prepare('SELECT count(*) FROM attention WHERE dismissed = 0').pluck().get()).toBe(3);
  });

  it('indexes rows written after it', () => {
    migrateCache(db, undefined, 20);
    insert('GD20240501003', 'm3', 'forbidden');
    expect(db.prepare(REFUSAL_SQL).get('m3')).toMatchObject({ ticket_id: 'GD20240501003', code: 'forbidden' });
  });
});
