import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { REPLY_UPLOAD_QUOTA_SQL, STALE_REPLY_UPLOADS_SQL } from '../store.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 027 the per-user upload quota', () => {
  it('keeps the uploads, reads the quota from the covering index, and the stale sweep keeps using reply_uploads_created', () => {
    migrateToBefore(db, 27);
    const user = db.prepare(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES (?, ?, '王芳', 'agent', 'chat', '[]', 1, 0, 'x', 1)",
    );
    user.run('agent1', 'agent1');
    user.run('agent2', 'agent2');
    const insert = db.prepare(
      "INSERT INTO reply_uploads (id, user_id, file_name, content_type, size, sha256, data, created_at) VALUES (?, ?, '发票.pdf', 'application/pdf', ?, 'h', x'00', ?)",
    );
    insert.run('u1', 'agent1', 100, 1_000);
    insert.run('u2', 'agent1', 250, 5_000);
    insert.run('u3', 'agent2', 7, 2_000);
    // Before: the quota reads every upload row.
    expect(queryPlan(db, REPLY_UPLOAD_QUOTA_SQL, 'agent1')).toMatch(/^SCAN reply_uploads$/);

    applyMigration(db, 27);
    expect(db.prepare('SELECT id, user_id, size, created_at FROM reply_uploads ORDER BY id').all()).toEqual([
      { id: 'u1', user_id: 'agent1', size: 100, created_at: 1_000 },
      { id: 'u2', user_id: 'agent1', size: 250, created_at: 5_000 },
      { id: 'u3', user_id: 'agent2', size: 7, created_at: 2_000 },
    ]);
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reply_uploads' AND sql IS NOT NULL ORDER BY name").pluck().all(),
    ).toEqual(['reply_uploads_created', 'reply_uploads_user']);

    expect(queryPlan(db, REPLY_UPLOAD_QUOTA_SQL, 'agent1')).toBe('SEARCH reply_uploads USING COVERING INDEX reply_uploads_user (user_id=?)');
    expect(db.prepare(REPLY_UPLOAD_QUOTA_SQL).get('agent1')).toEqual({ bytes: 350 });
    expect(db.prepare(REPLY_UPLOAD_QUOTA_SQL).get('nobody')).toEqual({ bytes: null });
    expect(queryPlan(db, STALE_REPLY_UPLOADS_SQL, 3_000)).toBe('SEARCH reply_uploads USING INDEX reply_uploads_created (created_at<?)');
    expect(db.prepare(STALE_REPLY_UPLOADS_SQL).pluck().all(3_000)).toEqual(['u1', 'u3']);
    expect(migrate(db, 27)).toEqual([]);
  });
});
