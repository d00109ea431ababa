import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

const article = (id: string, status = 'published') =>
  db
    .prepare(
      `INSERT INTO kb_articles (id, title, body, category, tags_json, status, version, created_at, updated_at, updated_by_id, updated_by_name)
       VALUES (?, '退货流程', '七天无理由退货', '售后', '["退货"]', ?, 1, 1, 1, 'lead1', '李主管')`,
    )
    .run(id, status);
const suggestion = (
  id: string,
  articleId: string | null,
  baseVersion: number | null,
  status = 'pending',
  reason: string | null = null,
  decidedAt: number | null = null,
) =>
  db
    .prepare(
      `INSERT INTO kb_suggestions (id, article_id, base_version, title, body, category, tags_json, note, author_id, author_name, created_at, status, decline_reason, decided_at)
       VALUES (?, ?, ?, '退货流程', '新正文', '售后', '[]', '补充运费说明', 'agent1', '王芳', 1, ?, ?, ?)`,
    )
    .run(id, articleId, baseVersion, status, reason, decidedAt);

describe('migration 019 knowledge', () => {
  it('adds articles, suggestions and their audit beside existing users, with their checks', () => {
    migrateToBefore(db, 19);
    db.prepare(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    ).run();
    applyMigration(db, 19);

    article('KB0000000001');
    expect(() => article('KB0000000002', 'archived')).toThrow(/CHECK/);
    suggestion('s1', 'KB0000000001', 1);
    suggestion('s2', null, null);
    suggestion('s3', 'KB0000000001', 1, 'declined', '重复', 2);
    expect(() => suggestion('bad-1', 'KB0000000001', null)).toThrow(/CHECK/);
    expect(() => suggestion('bad-2', 'KB9999999999', 1)).toThrow(/FOREIGN KEY/);
    expect(() => suggestion('bad-3', null, null, 'declined', null, 2)).toThrow(/CHECK/);
    expect(() => suggestion('bad-4', null, null, 'accepted', null, null)).toThrow(/CHECK/);
    db.prepare(
      "INSERT INTO kb_audit (at, actor_id, actor_name, action, article_id, suggestion_id, before_json, after_json) VALUES (1, 'lead1', '李主管', 'article_created', 'KB0000000001', NULL, NULL, '{}')",
    ).run();
    expect(() => db.prepare("INSERT INTO kb_audit (at, actor_id, actor_name, action) VALUES (1, 'x', 'x', 'article_deleted')").run()).toThrow(/CHECK/);

    // An agent's suggestions go with their user.
    db.prepare("DELETE FROM users WHERE id = 'agent1'").run();
    expect(db.prepare('SELECT count(*) FROM kb_suggestions').pluck().get()).toBe(0);
    expect(db.prepare('SELECT id FROM kb_articles').pluck().all()).toEqual(['KB0000000001']);
  });
});
