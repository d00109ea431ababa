/** PostgreSQL migration 025 on a real throwaway database: applied_mutations gets a nullable fingerprint; older records keep theirs NULL. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_025', (opened) => (db = opened));

describe('PostgreSQL migration 025 mutation fingerprints', () => {
  it('applies after 024: a nullable fingerprint beside each stored result', async () => {
    await migratePostgresToBefore(db, 25);
    await db.run("INSERT INTO applied_mutations (user_id, client_id, mutation_id, result, created_at) VALUES ('u1', 'c1', 'm1', '{}', 1)");

    await applyPostgresMigration(db, 25);
    await db.run("INSERT INTO applied_mutations (user_id, client_id, mutation_id, result, created_at, fingerprint) VALUES ('u1', 'c1', 'm2', '{}', 2, 'abc')");
    expect(await db.all('SELECT mutation_id, fingerprint FROM applied_mutations ORDER BY mutation_id')).toEqual([
      { mutation_id: 'm1', fingerprint: null },
      { mutation_id: 'm2', fingerprint: 'abc' },
    ]);
    expect(await migratePostgres(db, 25)).toEqual([]);
  });
});
