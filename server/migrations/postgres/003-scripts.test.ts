/** PostgreSQL migration 003 (scripts) on a real throwaway database: from step 2 to 3, with the rules SQLite's 012 keeps. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_003', (opened) => (db = opened));

const insert = (id: string, scope: string, ownerId: string | null) =>
  db.run(
    `INSERT INTO scripts (id, scope, owner_id, language, title, body, category, keyword, variants_json, updated_at, updated_by_name)
     VALUES (?, ?, ?, 'zh', '问候', '您好', '问候', 'greet', '{"phone":null,"email":null,"chat":null}', 1731024000000, '李主管')`,
    [id, scope, ownerId],
  );

describe('PostgreSQL migration 003 (scripts)', () => {
  it('adds the libraries beside existing users, with their checks and the owner foreign key', async () => {
    await migratePostgresToBefore(db, 3);
    await db.run(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1731024000000)`,
    );
    await applyPostgresMigration(db, 3);

    await insert('team-1', 'team', null);
    await insert('mine-1', 'personal', 'agent1');
    await expect(insert('bad-1', 'team', 'agent1')).rejects.toMatchObject({ code: '23514' });
    await expect(insert('bad-2', 'personal', null)).rejects.toMatchObject({ code: '23514' });
    await expect(insert('bad-3', 'personal', 'nobody')).rejects.toMatchObject({ code: '23503' });

    await db.run("DELETE FROM users WHERE id = 'agent1'");
    expect(await db.all('SELECT id, updated_at FROM scripts')).toEqual([{ id: 'team-1', updated_at: 1731024000000 }]);
  });
});
