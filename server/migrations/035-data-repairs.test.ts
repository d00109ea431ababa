import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 035 data repairs', () => {
  it('makes the table of repairs done, empty: the store runs each repair missing from it once (server/unreadableRows.test.ts)', () => {
    migrateToBefore(db, 35);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'data_repairs'").get()).toBeUndefined();

    applyMigration(db, 35);
    expect(db.prepare('SELECT count(*) AS n FROM data_repairs').get()).toEqual({ n: 0 });
    db.prepare("INSERT INTO data_repairs (name, done_at) VALUES ('attack-10-unreadable-rows', 1)").run();
    // One row per repair: a second start (or node) cannot record it twice.
    expect(() => db.prepare("INSERT INTO data_repairs (name, done_at) VALUES ('attack-10-unreadable-rows', 2)").run()).toThrow(/UNIQUE/);
    expect(migrate(db, 35)).toEqual([]);
  });
});
