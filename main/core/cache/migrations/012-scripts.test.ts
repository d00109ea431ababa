import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateCache, schemaVersion } from '../migrate.js';

describe('cache migration 012-scripts', () => {
  let dir: string;
  let db: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-m012-'));
    db = new Database(path.join(dir, 'cache.sqlite'));
    migrateCache(db, undefined, 11);
    db.prepare("INSERT INTO drafts (id, ticket_id, text, created_at) VALUES ('d1', 'GD20240501001', '草稿', 1)").run();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds an empty script library, never fetched, and keeps what was cached', () => {
    expect(migrateCache(db, undefined, 12)).toBe(12);
    expect(schemaVersion(db)).toBe(12);
    expect(db.prepare('SELECT count(*) FROM scripts').pluck().get()).toBe(0);
    expect(db.prepare('SELECT fetched_at FROM scripts_state').all()).toEqual([{ fetched_at: null }]);
    expect(db.prepare('SELECT id FROM drafts').pluck().all()).toEqual(['d1']);
    db.prepare("INSERT INTO scripts (id, script_json) VALUES ('s1', '{}')").run();
    expect(() => db.prepare("INSERT INTO scripts (id, script_json) VALUES ('s1', '{}')").run()).toThrow(/UNIQUE|PRIMARY/);
    expect(() => db.prepare('INSERT INTO scripts_state (id, fetched_at) VALUES (2, 1)').run()).toThrow(/CHECK/);
  });
});
