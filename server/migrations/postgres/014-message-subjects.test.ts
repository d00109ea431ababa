/** PostgreSQL migration 014 on a real throwaway database: messages gain a nullable subject. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../../db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../../testing/postgres.js';
import { migratePostgres } from './index.js';

let testDatabase: TestDatabase;
let db: PostgresDatabase;

beforeAll(async () => {
  testDatabase = await createTestDatabase('omnidesk_migration_014');
  db = openPostgresDatabase({ connectionString: testDatabase.url, maxConnections: 4 });
});

afterAll(async () => {
  await db?.close();
  await testDatabase?.drop();
});

describe('PostgreSQL migration 014 message subjects', () => {
  it('applies after 013 and adds a nullable text subject to messages', async () => {
    await migratePostgres(db, 13);
    expect(await migratePostgres(db, 14)).toEqual([14]);
    expect(await db.get("SELECT data_type, is_nullable FROM information_schema.columns WHERE table_name = 'messages' AND column_name = 'subject'")).toEqual({
      data_type: 'text',
      is_nullable: 'YES',
    });
    expect(await migratePostgres(db, 14)).toEqual([]);
  });
});
