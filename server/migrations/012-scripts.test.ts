import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appliedVersions, migrate } from './index.js';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-012-'));
  db = new Database(path.join(dir, 'server.sqlite'));
  db.pragma('foreign_keys = ON');
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const insert = (id: string, scope: string, ownerId: string | null) =>
  db
    .prepare(
      `INSERT INTO scripts (id, scope, owner_id, language, title, body, category, keyword, variants_json, updated_at, updated_by_name)
       VALUES (?, ?, ?, 'zh', '问候', '您好', '问候', 'greet', '{"phone":null,"email":null,"chat":null}', 1, '李主管')`,
    )
    .run(id, scope, ownerId);

describe('migration 012 scripts', () => {
  it('adds the libraries beside existing users: a team script has no owner, a personal one has one and goes with its user', () => {
    migrate(db, 11);
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run();
    expect(migrate(db, 12)).toEqual([12]);
    expect(appliedVersions(db).at(-1)).toBe(12);

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
