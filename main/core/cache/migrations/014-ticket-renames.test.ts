import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateCache, schemaVersion } from '../migrate.js';

describe('cache migration 014-ticket-renames', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-m014-'));
    db = new Database(path.join(dir, 'cache.sqlite'));
    migrateCache(db, undefined, 13);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds the map of provisional ids to GD ids, one GD id per provisional id', () => {
    expect(migrateCache(db, undefined, 14)).toBe(14);
    expect(schemaVersion(db)).toBe(14);
    const insert = db.prepare('INSERT INTO ticket_renames (provisional_id, ticket_id, renamed_at) VALUES (?, ?, ?)');
    insert.run('GD00000000001733300000000123456789012', 'GD20241108001', 5);
    expect(() => insert.run('GD00000000001733300000000123456789012', 'GD20241108002', 6)).toThrow(/UNIQUE/);
    expect(db.prepare('SELECT ticket_id FROM ticket_renames').all()).toEqual([{ ticket_id: 'GD20241108001' }]);
  });
});
