import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 034 mutation fingerprints', () => {
  it('adds a nullable fingerprint to applied_mutations: records made before keep their result and have none', () => {
    migrateToBefore(db, 34);
    db.prepare("INSERT INTO applied_mutations (user_id, client_id, mutation_id, result, created_at) VALUES ('u1', 'c1', 'm1', '{\"ok\":true}', 1)").run();

    applyMigration(db, 34);
    db.prepare(
      "INSERT INTO applied_mutations (user_id, client_id, mutation_id, result, created_at, fingerprint) VALUES ('u1', 'c1', 'm2', '{}', 2, 'abc')",
    ).run();
    expect(db.prepare('SELECT mutation_id, result, fingerprint FROM applied_mutations ORDER BY mutation_id').all()).toEqual([
      { mutation_id: 'm1', result: '{"ok":true}', fingerprint: null },
      { mutation_id: 'm2', result: '{}', fingerprint: 'abc' },
    ]);
    expect(migrate(db, 34)).toEqual([]);
  });
});
