import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 025-server-clock', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 25);
    // A cache at 024 that has synced: its seq and bootstrap state must stay.
    db.prepare('UPDATE sync_state SET last_seq = 42, bootstrapped = 1 WHERE id = 1').run();
  });

  it('keeps the sync state, with no offset measured yet, and stores one afterwards', () => {
    const before = db.prepare('SELECT * FROM sync_state').get();
    expect(() => db.prepare('SELECT clock_offset_ms FROM sync_state').all()).toThrow(/no such column/);

    applyCacheMigration(db, 25);
    const after = db.prepare<[], Record<string, unknown>>('SELECT * FROM sync_state').get()!;
    const { clock_offset_ms: offset, ...rest } = after;
    expect(offset).toBeNull();
    expect(rest).toEqual(before);

    // The core's statement (cache.ts setClockOffset): a clock ten minutes behind the server.
    db.prepare('UPDATE sync_state SET clock_offset_ms = ? WHERE id = 1').run(600_000);
    expect(db.prepare('SELECT clock_offset_ms FROM sync_state WHERE id = 1').pluck().get()).toBe(600_000);
  });
});
