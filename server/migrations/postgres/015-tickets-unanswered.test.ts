/** PostgreSQL migration 015 on a real throwaway database: the partial index of open unanswered tickets exists after it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../../db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';
import { migratePostgres } from './index.js';

let testDatabase: TestDatabase;
let db: PostgresDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase('omnidesk_migration_015');
  db = openPostgresDatabase({ connectionString: testDatabase.url, maxConnections: 4 });
});

afterAll(async () => {
  await db?.close();
  await testDatabase?.drop();
});

describe('PostgreSQL migration 015 open tickets without a first response', () => {
  it('applies after 014 and indexes open unanswered tickets by creation time', async () => {
    await migratePostgres(db, 14);
    expect(await migratePostgres(db, 15)).toEqual([15]);
    const index = await db.get<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'tickets_open_unanswered'");
    expect(index?.indexdef).toMatch(
      /^CREATE INDEX tickets_open_unanswered ON public\.tickets USING btree \(created_at\) WHERE \(\(first_response_at IS NULL\) AND/,
    );
    expect(await migratePostgres(db, 15)).toEqual([]);
  });
});
