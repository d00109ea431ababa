/** PostgreSQL migration 013 on a real throwaway database: reply uploads, bounded by the per-file limit. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_013', (opened) => (db = opened));

describe('PostgreSQL migration 013 reply uploads', () => {
  it('applies after 012 and refuses rows beyond the per-file limit or of no user', async () => {
    await migratePostgresToBefore(db, 13);
    await applyPostgresMigration(db, 13);
    await db.run(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES ('agent1', 'agent1', '王芳', 'agent', 'chat', '[]', 1, 0, 'x', 1)",
    );
    const insert = (id: string, user: string, size: number) =>
      db.run(
        "INSERT INTO reply_uploads (id, user_id, file_name, content_type, size, sha256, data, created_at) VALUES (?, ?, '发票.pdf', 'application/pdf', ?, 'h', ?, 1)",
        [id, user, size, Buffer.from([0])],
      );
    await insert('u1', 'agent1', 1);
    expect(await db.get('SELECT id, file_name FROM reply_uploads')).toEqual({ id: 'u1', file_name: '发票.pdf' });
    await expect(insert('u2', 'agent1', 10 * 1024 * 1024 + 1)).rejects.toMatchObject({ code: '23514' });
    await expect(insert('u3', 'nobody', 1)).rejects.toMatchObject({ code: '23503' });
  });
});
