import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 033 report credentials', () => {
  it('adds report_credentials: one secret hash per row, one live credential per name, a revoked name free again', () => {
    migrateToBefore(db, 33);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'report_credentials'").all()).toEqual([]);

    applyMigration(db, 33);
    const insert = db.prepare(
      "INSERT INTO report_credentials (id, name, secret_hash, created_by_id, created_by_name, created_at) VALUES (?, ?, ?, 'admin1', '管理员', 1)",
    );
    insert.run('rc1', 'BI 数据仓库', 'hash1');
    expect(() => insert.run('rc2', 'BI 数据仓库', 'hash2')).toThrow(/UNIQUE/);
    expect(() => insert.run('rc2', 'Other', 'hash1')).toThrow(/UNIQUE/);
    db.prepare("UPDATE report_credentials SET revoked_at = 5 WHERE id = 'rc1'").run();
    insert.run('rc2', 'BI 数据仓库', 'hash2');
    expect(db.prepare('SELECT id, last_used_at, revoked_at FROM report_credentials ORDER BY id').all()).toEqual([
      { id: 'rc1', last_used_at: null, revoked_at: 5 },
      { id: 'rc2', last_used_at: null, revoked_at: null },
    ]);
    expect(migrate(db, 33)).toEqual([]);
  });
});
