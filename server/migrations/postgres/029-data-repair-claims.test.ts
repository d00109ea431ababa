/** PostgreSQL migration 029 on a real throwaway database: the table of repairs under way, empty (the twin of SQLite 038). */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_029', (opened) => (db = opened));

describe('PostgreSQL migration 029 data repair claims', () => {
  it('applies after 027: an empty table of repairs under way, one claim per repair', async () => {
    await migratePostgresToBefore(db, 29);
    expect(await db.get("SELECT to_regclass('data_repair_claims') AS present")).toEqual({ present: null });

    await applyPostgresMigration(db, 29);
    expect(await db.get('SELECT count(*)::int AS n FROM data_repair_claims')).toEqual({ n: 0 });
    const claim =
      "INSERT INTO data_repair_claims (name, claimed_by, claimed_until, stage, resume_after) VALUES ('attack-10-unreadable-rows', ?, ?, 'messages', '')";
    await db.run(claim, ['node-a', 1_000]);
    await expect(db.run(claim, ['node-b', 2_000])).rejects.toThrow(/duplicate key/);
    expect(await db.all('SELECT * FROM data_repair_claims')).toEqual([
      { name: 'attack-10-unreadable-rows', claimed_by: 'node-a', claimed_until: 1_000, stage: 'messages', resume_after: '' },
    ]);
    expect(await migratePostgres(db, 29)).toEqual([]);
  });
});
