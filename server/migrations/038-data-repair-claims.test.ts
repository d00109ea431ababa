import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 038 data repair claims', () => {
  it('makes the table of repairs under way, empty: one claim per repair, with where its next batch begins (server/unreadableRows.test.ts)', () => {
    migrateToBefore(db, 38);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'data_repair_claims'").get()).toBeUndefined();

    applyMigration(db, 38);
    expect(db.prepare('SELECT count(*) AS n FROM data_repair_claims').get()).toEqual({ n: 0 });
    const claim = db.prepare(
      "INSERT INTO data_repair_claims (name, claimed_by, claimed_until, stage, resume_after) VALUES ('attack-10-unreadable-rows', ?, ?, 'messages', '')",
    );
    claim.run('node-a', 1_000);
    // A second node cannot hold the same repair: it takes the row over only once the claim has run out.
    expect(() => claim.run('node-b', 2_000)).toThrow(/UNIQUE/);
    expect(db.prepare('SELECT * FROM data_repair_claims').all()).toEqual([
      { name: 'attack-10-unreadable-rows', claimed_by: 'node-a', claimed_until: 1_000, stage: 'messages', resume_after: '' },
    ]);
    expect(migrate(db, 38)).toEqual([]);
  });
});
