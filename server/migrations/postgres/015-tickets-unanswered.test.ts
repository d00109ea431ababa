/** PostgreSQL migration 015 on a real throwaway database: the partial index of open unanswered tickets exists after it. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_015', (opened) => (db = opened));

describe('PostgreSQL migration 015 open tickets without a first response', () => {
  it('applies after 014 and indexes open unanswered tickets by creation time', async () => {
    await migratePostgresToBefore(db, 15);
    await applyPostgresMigration(db, 15);
    const index = await db.get<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'tickets_open_unanswered'");
    expect(index?.indexdef).toMatch(
      /^CREATE INDEX tickets_open_unanswered ON public\.tickets USING btree \(created_at\) WHERE \(\(first_response_at IS NULL\) AND/,
    );
    expect(await migratePostgres(db, 15)).toEqual([]);
  });
});
