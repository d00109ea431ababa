/** PostgreSQL migration 009 on a real throwaway database: the customer history index exists after it, on top of the earlier ones. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_009', (opened) => (db = opened));

describe('PostgreSQL migration 009 customer history', () => {
  it('applies after 008 and indexes a customer’s tickets by (created_at, id)', async () => {
    await migratePostgresToBefore(db, 9);
    await applyPostgresMigration(db, 9);
    expect(await db.get("SELECT indexdef FROM pg_indexes WHERE indexname = 'tickets_customer_history'")).toEqual({
      indexdef: 'CREATE INDEX tickets_customer_history ON public.tickets USING btree (customer_id, created_at, id)',
    });
    // Applied once: running up to 9 again applies nothing.
    expect(await migratePostgres(db, 9)).toEqual([]);
  });
});
