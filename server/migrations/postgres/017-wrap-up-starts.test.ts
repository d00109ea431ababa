/** PostgreSQL migration 017 on a real throwaway database: the two partial indexes of what starts a wrap-up exist after it. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_017', (opened) => (db = opened));

describe('PostgreSQL migration 017 what started a wrap-up', () => {
  it('applies after 016 and indexes completed tickets and answered calls that ended by their time', async () => {
    await migratePostgresToBefore(db, 17);
    await applyPostgresMigration(db, 17);
    const indexes = await db.all<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('tickets_completed_at', 'cti_calls_answered_ended') ORDER BY indexname",
    );
    expect(indexes.map((index) => index.indexdef)).toEqual([
      expect.stringMatching(/^CREATE INDEX cti_calls_answered_ended ON public\.cti_calls USING btree \(ended_at\) WHERE \(\(state = 'ended'/),
      expect.stringMatching(/^CREATE INDEX tickets_completed_at ON public\.tickets USING btree \(completed_at\) WHERE \(status = 'completed'/),
    ]);
    expect(await migratePostgres(db, 17)).toEqual([]);
  });
});
