/** PostgreSQL migration 024 on a real throwaway database: report_credentials, its secret hashes unique and one live credential per name. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_024', (opened) => (db = opened));

describe('PostgreSQL migration 024 report credentials', () => {
  it('applies after 023: one secret hash per row, one live credential per name', async () => {
    await migratePostgresToBefore(db, 24);
    expect(await db.get("SELECT to_regclass('report_credentials') AS t")).toEqual({ t: null });

    await applyPostgresMigration(db, 24);
    const insert = (id: string, name: string, hash: string) =>
      db.run("INSERT INTO report_credentials (id, name, secret_hash, created_by_id, created_by_name, created_at) VALUES (?, ?, ?, 'admin1', '管理员', 1)", [
        id,
        name,
        hash,
      ]);
    await insert('rc1', 'BI 数据仓库', 'hash1');
    await expect(insert('rc2', 'BI 数据仓库', 'hash2')).rejects.toThrow(/unique|duplicate/i);
    await expect(insert('rc2', 'Other', 'hash1')).rejects.toThrow(/unique|duplicate/i);
    await db.run("UPDATE report_credentials SET revoked_at = 5 WHERE id = 'rc1'");
    await insert('rc2', 'BI 数据仓库', 'hash2');
    const rows = await db.all<{ id: string; revoked_at: string | null }>('SELECT id, revoked_at FROM report_credentials ORDER BY id');
    expect(rows.map((row) => [row.id, row.revoked_at === null ? null : Number(row.revoked_at)])).toEqual([
      ['rc1', 5],
      ['rc2', null],
    ]);
    expect(await migratePostgres(db, 24)).toEqual([]);
  });
});
