/** PostgreSQL migration 014 on a real throwaway database: messages gain a nullable subject. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_014', (opened) => (db = opened));

describe('PostgreSQL migration 014 message subjects', () => {
  it('applies after 013 and adds a nullable text subject to messages', async () => {
    await migratePostgresToBefore(db, 14);
    await applyPostgresMigration(db, 14);
    expect(await db.get("SELECT data_type, is_nullable FROM information_schema.columns WHERE table_name = 'messages' AND column_name = 'subject'")).toEqual({
      data_type: 'text',
      is_nullable: 'YES',
    });
    expect(await migratePostgres(db, 14)).toEqual([]);
  });
});
