import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { applyMigration, migrateToBefore, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 022 reply uploads', () => {
  it('applies after 021, keeps a user upload, and refuses rows beyond the per-file limit or of no user', () => {
    migrateToBefore(db, 22);
    db.prepare(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES ('agent1', 'agent1', '王芳', 'agent', 'chat', '[]', 1, 0, 'x', 1)",
    ).run();
    applyMigration(db, 22);
    const insert = db.prepare(
      "INSERT INTO reply_uploads (id, user_id, file_name, content_type, size, sha256, data, created_at) VALUES (?, ?, '发票.pdf', 'application/pdf', ?, 'h', x'00', 1)",
    );
    insert.run('u1', 'agent1', 1);
    expect(db.prepare('SELECT id, file_name, size FROM reply_uploads').all()).toEqual([{ id: 'u1', file_name: '发票.pdf', size: 1 }]);
    expect(() => insert.run('u2', 'agent1', 10 * 1024 * 1024 + 1)).toThrow(/CHECK/);
    expect(() => insert.run('u3', 'nobody', 1)).toThrow(/FOREIGN KEY/);
  });
});
