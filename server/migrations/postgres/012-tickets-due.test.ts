/** PostgreSQL migration 012 on a real throwaway database: the tickets-by-due-time index exists after it. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_012', (opened) => (db = opened));

describe('PostgreSQL migration 012 tickets by due time', () => {
  it('applies after 011 and indexes tickets by (due_at, completed_at)', async () => {
    await migratePostgresToBefore(db, 12);
    await applyPostgresMigration(db, 12);
    expect(await db.get("SELECT indexdef FROM pg_indexes WHERE indexname = 'tickets_due'")).toEqual({
      indexdef: 'CREATE INDEX tickets_due ON public.tickets USING btree (due_at, completed_at)',
    });
    expect(await migratePostgres(db, 12)).toEqual([]);
  });
});
