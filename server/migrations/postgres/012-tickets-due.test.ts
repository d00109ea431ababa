/** PostgreSQL migration 012 on a real throwaway database: the tickets-by-due-time index exists after it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../../db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';
import { migratePostgres } from './index.js';

let testDatabase: TestDatabase;
let db: PostgresDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase('omnidesk_migration_012');
  db = openPostgresDatabase({ connectionString: testDatabase.url, maxConnections: 4 });
});

afterAll(async () => {
  await db?.close();
  await testDatabase?.drop();
});

describe('PostgreSQL migration 012 tickets by due time', () => {
  it('applies after 011 and indexes tickets by (due_at, completed_at)', async () => {
    await migratePostgres(db, 11);
    expect(await migratePostgres(db, 12)).toEqual([12]);
    expect(await db.get("SELECT indexdef FROM pg_indexes WHERE indexname = 'tickets_due'")).toEqual({
      indexdef: 'CREATE INDEX tickets_due ON public.tickets USING btree (due_at, completed_at)',
    });
    expect(await migratePostgres(db, 12)).toEqual([]);
  });
});
