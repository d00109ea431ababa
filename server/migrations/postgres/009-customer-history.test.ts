/** PostgreSQL migration 009 on a real throwaway database: the customer history index exists after it, on top of the earlier ones. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../../db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';
import { migratePostgres } from './index.js';

let testDatabase: TestDatabase;
let db: PostgresDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase('omnidesk_migration_009');
  db = openPostgresDatabase({ connectionString: testDatabase.url, maxConnections: 4 });
});

afterAll(async () => {
  await db?.close();
  await testDatabase?.drop();
});

describe('PostgreSQL migration 009 customer history', () => {
  it('applies after 008 and indexes a customer’s tickets by (created_at, id)', async () => {
    expect(await migratePostgres(db, 5)).toEqual([1, 2, 3, 4, 5]);
    await migratePostgres(db, 8);
    expect(await migratePostgres(db, 9)).toEqual([9]);
    expect(await db.get("SELECT indexdef FROM pg_indexes WHERE indexname = 'tickets_customer_history'")).toEqual({
      indexdef: 'CREATE INDEX tickets_customer_history ON public.tickets USING btree (customer_id, created_at, id)',
    });
    // Applied once: running up to 9 again applies nothing.
    expect(await migratePostgres(db, 9)).toEqual([]);
  });
});
