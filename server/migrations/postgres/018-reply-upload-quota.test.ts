/** PostgreSQL migration 018 on a real throwaway database: the quota's index exists after it, and the planner reads the quota and the stale sweep through indexes. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { REPLY_UPLOAD_QUOTA_SQL, STALE_REPLY_UPLOADS_SQL } from '../../store.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, postgresQueryPlan, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_018', (opened) => (db = opened));

describe('PostgreSQL migration 018 the per-user upload quota', () => {
  it('applies after 017, keeps the uploads, and the quota and the stale sweep are read through indexes', async () => {
    await migratePostgresToBefore(db, 18);
    for (const id of ['agent1', 'agent2']) {
      await db.run(
        "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES (?, ?, '王芳', 'agent', 'chat', '[]', 1, 0, 'x', 1)",
        [id, id],
      );
    }
    const insert = (id: string, user: string, size: number, createdAt: number) =>
      db.run(
        "INSERT INTO reply_uploads (id, user_id, file_name, content_type, size, sha256, data, created_at) VALUES (?, ?, '发票.pdf', 'application/pdf', ?, 'h', ?, ?)",
        [id, user, size, Buffer.from([0]), createdAt],
      );
    await insert('u1', 'agent1', 100, 1_000);
    await insert('u2', 'agent1', 250, 5_000);
    await insert('u3', 'agent2', 7, 2_000);
    // Before: nothing but a sequential scan can answer the quota.
    expect(await postgresQueryPlan(db, REPLY_UPLOAD_QUOTA_SQL, ['agent1'])).toMatch(/Seq Scan on reply_uploads/);

    await applyPostgresMigration(db, 18);
    const indexes = await db.all<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'reply_uploads' AND indexname IN ('reply_uploads_user', 'reply_uploads_created') ORDER BY indexname",
    );
    expect(indexes).toEqual([
      { indexname: 'reply_uploads_created', indexdef: 'CREATE INDEX reply_uploads_created ON public.reply_uploads USING btree (created_at)' },
      { indexname: 'reply_uploads_user', indexdef: 'CREATE INDEX reply_uploads_user ON public.reply_uploads USING btree (user_id, size)' },
    ]);
    await db.run('ANALYZE reply_uploads');
    expect(await postgresQueryPlan(db, REPLY_UPLOAD_QUOTA_SQL, ['agent1'])).toMatch(/Index (Only )?Scan using reply_uploads_user on reply_uploads/);
    expect(await postgresQueryPlan(db, STALE_REPLY_UPLOADS_SQL, [3_000])).toMatch(/(Index|Bitmap Index) Scan (using|on) reply_uploads_created/);
    expect(await db.get(REPLY_UPLOAD_QUOTA_SQL, ['agent1'])).toEqual({ bytes: 350 });
    expect((await db.all<{ id: string }>(`${STALE_REPLY_UPLOADS_SQL} ORDER BY id`, [3_000])).map((row) => row.id)).toEqual(['u1', 'u3']);
    expect(await migratePostgres(db, 18)).toEqual([]);
  });
});
