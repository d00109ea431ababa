/** PostgreSQL migration 005 on a real throwaway database: one alarm per (kind, subject, crossing), even from two sessions at once. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_005', (opened) => (db = opened));

describe('PostgreSQL migration 005 alerts', () => {
  it('applies after 002, and two sessions raising the same crossing at once leave one row', async () => {
    await migratePostgresToBefore(db, 5);
    await applyPostgresMigration(db, 5);
    const raise = () =>
      db.withTransaction((tx) =>
        tx.get<{ id: string }>(
          "INSERT INTO alerts (kind, subject, crossing, raised_at, facts_json) VALUES ('backlog', 'chat', '1', 5, '{}') ON CONFLICT (kind, subject, crossing) DO NOTHING RETURNING id",
        ),
      );
    const results = await Promise.all([raise(), raise()]);
    expect(results.filter((row) => row !== undefined)).toHaveLength(1);
    expect(await db.get("SELECT COUNT(*)::int AS n FROM alerts WHERE kind = 'backlog'")).toEqual({ n: 1 });
    await expect(db.run("UPDATE alerts SET decision = 'maybe'")).rejects.toMatchObject({ code: '23514' });
    await db.run("INSERT INTO channel_alarms (channel, backlog_threshold) VALUES ('chat', 50)");
    expect(await db.get("SELECT backlog_over::int AS over, backlog_crossings::int AS crossings FROM channel_alarms WHERE channel = 'chat'")).toEqual({
      over: 0,
      crossings: 0,
    });
  });
});
