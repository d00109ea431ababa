import type Database from 'better-sqlite3-multiple-ciphers';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyCacheMigration, migrateCacheToBefore, useCacheMigrationTestDatabase } from '../../testing/cacheMigrations.js';

describe('cache migration 014-ticket-renames', () => {
  let db: Database.Database;
  useCacheMigrationTestDatabase((opened) => (db = opened));

  beforeEach(() => {
    migrateCacheToBefore(db, 14);
  });

  it('adds the map of provisional ids to GD ids, one GD id per provisional id', () => {
    applyCacheMigration(db, 14);
    const insert = db.prepare('INSERT INTO ticket_renames (provisional_id, ticket_id, renamed_at) VALUES (?, ?, ?)');
    insert.run('GD00000000001733300000000123456789012', 'GD20241108001', 5);
    expect(() => insert.run('GD00000000001733300000000123456789012', 'GD20241108002', 6)).toThrow(/UNIQUE/);
    expect(db.prepare('SELECT ticket_id FROM ticket_renames').all()).toEqual([{ ticket_id: 'GD20241108001' }]);
  });
});
