/** PostgreSQL migration 010 (knowledge) on a real throwaway database: from step 9 to 10, with the rules SQLite's 019 keeps. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_010', (opened) => (db = opened));

const suggestion = (
  id: string,
  articleId: string | null,
  baseVersion: number | null,
  status = 'pending',
  reason: string | null = null,
  decidedAt: number | null = null,
) =>
  db.run(
    `INSERT INTO kb_suggestions (id, article_id, base_version, title, body, category, tags_json, note, author_id, author_name, created_at, status, decline_reason, decided_at)
     VALUES (?, ?, ?, '退货流程', '新正文', '售后', '[]', '补充', 'agent1', '王芳', 1731024000000, ?, ?, ?)`,
    [id, articleId, baseVersion, status, reason, decidedAt],
  );

describe('PostgreSQL migration 010 (knowledge)', () => {
  it('adds articles, suggestions and their audit beside existing users, with their checks', async () => {
    await migratePostgresToBefore(db, 10);
    await db.run(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1731024000000)`,
    );
    await applyPostgresMigration(db, 10);

    await db.run(
      `INSERT INTO kb_articles (id, title, body, category, tags_json, status, version, created_at, updated_at, updated_by_id, updated_by_name)
       VALUES ('KB0000000001', '退货流程', '七天无理由退货', '售后', '[]', 'published', 1, 1731024000000, 1731024000000, 'lead1', '李主管')`,
    );
    await suggestion('s1', 'KB0000000001', 1);
    await suggestion('s2', null, null, 'declined', '重复', 1731024000001);
    await expect(suggestion('bad-1', 'KB0000000001', null)).rejects.toMatchObject({ code: '23514' });
    await expect(suggestion('bad-2', 'KB9999999999', 1)).rejects.toMatchObject({ code: '23503' });
    await expect(suggestion('bad-3', null, null, 'declined', null, 1)).rejects.toMatchObject({ code: '23514' });
    await db.run("INSERT INTO kb_audit (at, actor_id, actor_name, action, article_id) VALUES (1, 'lead1', '李主管', 'article_created', 'KB0000000001')");
    expect(await db.all('SELECT id, at FROM kb_audit')).toEqual([{ id: 1, at: 1 }]);

    await db.run("DELETE FROM users WHERE id = 'agent1'");
    expect(await db.all('SELECT id FROM kb_suggestions')).toEqual([]);
  });
});
