/** PostgreSQL migration 007 on a real throwaway database: deactivated users, the admin audit, the policies. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_007', (opened) => (db = opened));

describe('PostgreSQL migration 007 administration', () => {
  it('applies after 006, keeps users active and refuses an audit row by an unknown actor', async () => {
    await migratePostgresToBefore(db, 7);
    await db.run(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('u_admin', 'admin', 'Admin', 'admin', '[]', '[]', 1, 0, 'x', 1)`,
    );
    await applyPostgresMigration(db, 7);
    expect(await db.get("SELECT deactivated_at FROM users WHERE id = 'u_admin'")).toEqual({ deactivated_at: null });
    await db.run("INSERT INTO admin_audit (at, actor_id, actor_name, action, target_id) VALUES (5, 'u_admin', 'Admin', 'user_created', 'u_admin')");
    await expect(db.run("INSERT INTO admin_audit (at, actor_id, actor_name, action) VALUES (5, 'nobody', 'X', 'policies_set')")).rejects.toMatchObject({
      code: '23503',
    });
    await db.run("INSERT INTO policies (key, value_json, updated_at, updated_by_name) VALUES ('service', '{}', 5, 'Admin')");
    expect(await db.get('SELECT COUNT(*)::int AS n FROM policies')).toEqual({ n: 1 });
  });
});
