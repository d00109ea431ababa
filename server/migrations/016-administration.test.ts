import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 016 administration', () => {
  it('keeps existing users active, adds the admin audit (actor must exist) and the policies', () => {
    migrateToBefore(db, 16);
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('u_admin', 'admin', 'Admin', 'admin', '[]', '[]', 1, 0, 'x', 1)`,
    ).run();

    applyMigration(db, 16);
    expect(db.prepare("SELECT deactivated_at FROM users WHERE id = 'u_admin'").get()).toEqual({ deactivated_at: null });
    db.prepare(
      "INSERT INTO admin_audit (at, actor_id, actor_name, action, target_id, after_json) VALUES (5, 'u_admin', 'Admin', 'user_created', 'u_admin', '{}')",
    ).run();
    expect(() => db.prepare("INSERT INTO admin_audit (at, actor_id, actor_name, action) VALUES (5, 'nobody', 'X', 'policies_set')").run()).toThrow(
      /FOREIGN KEY/,
    );
    db.prepare("INSERT INTO policies (key, value_json, updated_at, updated_by_name) VALUES ('service', '{}', 5, 'Admin')").run();
    expect(() => db.prepare("INSERT INTO policies (key, value_json, updated_at, updated_by_name) VALUES ('service', '{}', 6, 'Admin')").run()).toThrow(
      /UNIQUE/,
    );
  });
});
