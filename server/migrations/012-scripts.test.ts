import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

const insert = (id: string, scope: string, ownerId: string | null) =>
  db
    .prepare(
      `INSERT INTO scripts (id, scope, owner_id, language, title, body, category, keyword, variants_json, updated_at, updated_by_name)
       VALUES (?, ?, ?, 'zh', '问候', '您好', '问候', 'greet', '{"phone":null,"email":null,"chat":null}', 1, '李主管')`,
    )
    .run(id, scope, ownerId);

describe('migration 012 scripts', () => {
  it('adds the libraries beside existing users: a team script has no owner, a personal one has one and goes with its user', () => {
    migrateToBefore(db, 12);
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run();
    applyMigration(db, 12);

    insert('team-1', 'team', null);
    insert('mine-1', 'personal', 'agent1');
    expect(() => insert('bad-1', 'team', 'agent1')).toThrow(/CHECK/);
    expect(() => insert('bad-2', 'personal', null)).toThrow(/CHECK/);
    expect(() => insert('bad-3', 'shared', null)).toThrow(/CHECK/);
    expect(() => insert('bad-4', 'personal', 'nobody')).toThrow(/FOREIGN KEY/);

    db.prepare("DELETE FROM users WHERE id = 'agent1'").run();
    expect(db.prepare('SELECT id FROM scripts').pluck().all()).toEqual(['team-1']);
  });
});
