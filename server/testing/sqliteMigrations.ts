/**
 * What every server migration test starts from: a real SQLite file of its own, foreign keys on,
 * migrated to the version just before the one under test. "Just before" is read from MIGRATIONS
 * rather than written as N-1, so a migration that lands in between (two branches adding steps at
 * once) is applied too and the test still sees its own step applied alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, expect } from 'vitest';
import { MIGRATIONS, appliedVersions, migrate } from '../migrations/index.js';

/** The test's database file, and a way to open it again (for data that must survive a restart); `onOpen` hears of the new connection. */
export interface MigrationTestDatabase {
  readonly filePath: string;
  reopen(): void;
}

/**
 * Gives each test of the calling file a fresh database file in a temporary folder, removed
 * afterwards; `onOpen` receives each connection (test files keep it in a `db` of their own, which
 * their small row-writing helpers use).
 */
export function useMigrationTestDatabase(onOpen: (db: Database.Database) => void): MigrationTestDatabase {
  let dir = '';
  let db: Database.Database | undefined;
  const open = (): void => {
    db = new Database(path.join(dir, 'server.sqlite'));
    db.pragma('foreign_keys = ON');
    onOpen(db);
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'server-migration-'));
    open();
  });
  afterEach(() => {
    db?.close();
    db = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get filePath() {
      return path.join(dir, 'server.sqlite');
    },
    reopen() {
      db?.close();
      open();
    },
  };
}

/** The version MIGRATIONS applies just before `version`, 0 for the first. */
export function versionBefore(version: number): number {
  const index = MIGRATIONS.findIndex((migration) => migration.version === version);
  if (index < 0) throw new Error(`No server migration ${String(version)}.`);
  return index === 0 ? 0 : (MIGRATIONS[index - 1]?.version ?? 0);
}

/** Migrates `db` up to the step before `version`, so a test can write the rows that step must keep. */
export function migrateToBefore(db: Database.Database, version: number): void {
  migrate(db, versionBefore(version));
}

/** Applies `version` to a database at the step before it: checks that it alone ran and that every step up to it is recorded. */
export function applyMigration(db: Database.Database, version: number): void {
  expect(migrate(db, version)).toEqual([version]);
  expect(appliedVersions(db)).toEqual(MIGRATIONS.filter((migration) => migration.version <= version).map((migration) => migration.version));
}

/** SQLite's query plan of `sql`, one step's detail after another, joined by ' | '. */
export function queryPlan(db: Database.Database, sql: string, ...parameters: Array<string | number>): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((step) => step.detail).join(' | ');
}
