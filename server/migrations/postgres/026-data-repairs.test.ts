/** PostgreSQL migration 026 on a real throwaway database: the table of repairs done, empty (the twin of SQLite 035). */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_026', (opened) => (db = opened));

describe('PostgreSQL migration 026 data repairs', () => {
  it('applies after 025: an empty table of repairs done, one row per repair', async () => {
    await migratePostgresToBefore(db, 26);
    expect(await db.get("SELECT to_regclass('data_repairs') AS present")).toEqual({ present: null });

    await applyPostgresMigration(db, 26);
    expect(await db.get('SELECT count(*)::int AS n FROM data_repairs')).toEqual({ n: 0 });
    await db.run("INSERT INTO data_repairs (name, done_at) VALUES ('attack-10-unreadable-rows', 1)");
    await expect(db.run("INSERT INTO data_repairs (name, done_at) VALUES ('attack-10-unreadable-rows', 2)")).rejects.toThrow(/duplicate key/);
    expect(await migratePostgres(db, 26)).toEqual([]);
  });
});
