import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { migrateCache } from '../migrate.js';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 021-attachment-bytes', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 21);
    db.prepare("INSERT INTO outbox (mutation_id, ticket_id, kind, body, created_at) VALUES ('m1', 'GD20240501001', 'note', '{}', 1)").run();
  });

  it('adds an empty table for kept attachment bytes, with its indexes, and leaves the rest as it was', () => {
    const outbox = db.prepare('SELECT * FROM outbox').all();
    applyCacheMigration(db, 21);
    expect(db.prepare('SELECT * FROM outbox').all()).toEqual(outbox);
    expect(db.prepare('SELECT count(*) FROM attachment_bytes').pluck().get()).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'attachment_bytes' ORDER BY name").pluck().all()).toEqual([
      'attachment_bytes_by_ticket',
      'attachment_bytes_by_use',
      'sqlite_autoindex_attachment_bytes_1',
    ]);
    const plan = db.prepare<[], { detail: string }>('EXPLAIN QUERY PLAN SELECT attachment_id FROM attachment_bytes ORDER BY used_at, attachment_id').all();
    expect(plan.map((step) => step.detail).join(' ')).toContain('attachment_bytes_by_use');
  });

  it('refuses a row whose size is not its bytes, and a second row for the same attachment', () => {
    migrateCache(db, undefined, 21);
    const insert = db.prepare(
      "INSERT INTO attachment_bytes (attachment_id, ticket_id, content_type, size, data, kept_at, used_at) VALUES (?, 'GD20240501001', 'application/pdf', ?, ?, 1, 1)",
    );
    insert.run('a1', 4, Buffer.from('%PDF'));
    expect(() => insert.run('a2', 5, Buffer.from('%PDF'))).toThrow(/CHECK/);
    expect(() => insert.run('a1', 4, Buffer.from('%PDF'))).toThrow(/UNIQUE|PRIMARY/);
    expect(db.prepare('SELECT attachment_id, size, data FROM attachment_bytes').all()).toEqual([{ attachment_id: 'a1', size: 4, data: Buffer.from('%PDF') }]);
  });
});
