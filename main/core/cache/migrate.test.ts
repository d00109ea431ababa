import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateCache, schemaVersion } from './migrate.js';
import { CACHE_MIGRATIONS } from './migrations/index.js';

/** The newest schema version (numbers are handed out ahead, so it may run ahead of the count while a branch waits to land). */
const NEWEST = CACHE_MIGRATIONS.at(-1)!.version;
/** Migration numbers given to another branch while this one took the next: 020 (this branch has 021). Remove once it lands. */
const HANDED_OUT: readonly number[] = [20];

describe('migrateCache', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'core-migrate-'));
    file = path.join(dir, 'cache.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('numbers the migrations 1, 2, 3… in order, without gaps but the numbers handed out to a branch that has not landed', () => {
    const versions = CACHE_MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    const numbered = [...new Set([...versions, ...HANDED_OUT])].sort((a, b) => a - b);
    expect(numbered).toEqual(numbered.map((_, i) => i + 1));
  });

  it('runs each migration once, across reopenings of the file', () => {
    const db = new Database(file);
    expect(migrateCache(db)).toBe(NEWEST);
    db.close();
    const again = new Database(file);
    expect(migrateCache(again)).toBe(NEWEST);
    expect(again.prepare('SELECT count(*) FROM sync_state').pluck().get()).toBe(1);
    again.close();
  });

  it('rolls back a failing migration and leaves the version where it was', () => {
    const db = new Database(file);
    const broken = [
      ...CACHE_MIGRATIONS,
      { version: NEWEST + 1, name: 'broken', up: (d: Database.Database) => d.exec('CREATE TABLE half (x); SELECT * FROM missing_table') },
    ];
    expect(() => migrateCache(db, broken)).toThrow(/missing_table/);
    expect(schemaVersion(db)).toBe(NEWEST);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a cache written by a newer app', () => {
    const db = new Database(file);
    db.pragma('user_version = 99');
    expect(() => migrateCache(db)).toThrow(/newer version/);
    db.close();
  });
});
