/** PostgreSQL migration 006 on a real throwaway database: one survey per ticket, even from two sessions at once. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_006', (opened) => (db = opened));

describe('PostgreSQL migration 006 csat', () => {
  it('applies after 005, and two sessions creating the same ticket’s survey at once leave one row', async () => {
    await migratePostgresToBefore(db, 6);
    await applyPostgresMigration(db, 6);
    await db.run("INSERT INTO customers (id, name, created_at) VALUES ('CUS20261204001', '张伟', 1)");
    await db.run(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20261204001', 'CUS20261204001', 'email', 'inquiry', '咨询', 'normal', 'completed', 1, 1, 7200001, '咨询', 1)`,
    );
    const create = () =>
      db.withTransaction((tx) =>
        tx.get<{ id: string }>(
          "INSERT INTO csat_surveys (ticket_id, channel, status, created_at, expires_at) VALUES ('GD20261204001', 'email', 'queued', 5, 10) ON CONFLICT (ticket_id) DO NOTHING RETURNING id",
        ),
      );
    const results = await Promise.all([create(), create()]);
    expect(results.filter((row) => row !== undefined)).toHaveLength(1);
    await expect(db.run('UPDATE csat_surveys SET speed = 0')).rejects.toMatchObject({ code: '23514' });
    await expect(db.run("INSERT INTO csat_tokens (token_hash, survey_id, created_at) VALUES ('h', 99, 1)")).rejects.toMatchObject({ code: '23503' });
  });
});
