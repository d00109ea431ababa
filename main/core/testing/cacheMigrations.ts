/**
 * What every cache migration test starts from: a real cache file of its own, migrated to the
 * version just before the one under test. "Just before" is read from CACHE_MIGRATIONS rather
 * than written as N-1, so a migration that lands in between (two branches adding steps at once)
 * is applied too and the test still sees its own step applied last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, expect } from 'vitest';
import { migrateCache, schemaVersion } from '../cache/migrate.js';
import { CACHE_MIGRATIONS } from '../cache/migrations/index.js';

/** The test's cache file, and a way to open it again (data that must survive a restart); `onOpen` hears of each connection. */
export interface CacheMigrationTestDatabase {
  readonly filePath: string;
  reopen(): void;
}

/**
 * Gives each test of the calling block a fresh cache file in a temporary folder, removed
 * afterwards; `onOpen` receives each connection (the block keeps it in a `db` of its own, which
 * its own beforeEach, registered after this call, can already seed). `prepare` runs on every
 * connection before anyone else sees it (e.g. the pragmas openCache sets).
 */
export function useCacheMigrationTestDatabase(
  onOpen: (db: Database.Database) => void,
  prepare: (db: Database.Database) => void = () => undefined,
): CacheMigrationTestDatabase {
  let dir = '';
  let db: Database.Database | undefined;
  const open = (): void => {
    db = new Database(path.join(dir, 'cache.sqlite'));
    prepare(db);
    onOpen(db);
  };
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cache-migration-'));
    open();
  });
  afterEach(() => {
    if (db?.open) db.close();
    db = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get filePath() {
      return path.join(dir, 'cache.sqlite');
    },
    reopen() {
      if (db?.open) db.close();
      open();
    },
  };
}

/** The version CACHE_MIGRATIONS reaches just before `version`, 0 for the first. */
export function cacheVersionBefore(version: number): number {
  const index = CACHE_MIGRATIONS.findIndex((migration) => migration.version === version);
  if (index < 0) throw new Error(`No cache migration ${String(version)}.`);
  return index === 0 ? 0 : (CACHE_MIGRATIONS[index - 1]?.version ?? 0);
}

/** Migrates `db` up to the step before `version`, so a test can write the rows that step must keep. */
export function migrateCacheToBefore(db: Database.Database, version: number): void {
  migrateCache(db, undefined, cacheVersionBefore(version));
}

/** Applies `version` to a cache at the step before it and checks the cache now says that version. */
export function applyCacheMigration(db: Database.Database, version: number): void {
  expect(schemaVersion(db)).toBe(cacheVersionBefore(version));
  expect(migrateCache(db, undefined, version)).toBe(version);
  expect(schemaVersion(db)).toBe(version);
}
