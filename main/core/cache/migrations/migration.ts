/**
 * The shape of one numbered cache migration. Each lives in its own `NNN-name.ts` file with
 * its own test, and runs once, inside a transaction, tracked by `PRAGMA user_version`.
 */
import type Database from 'better-sqlite3-multiple-ciphers';

/** One schema step of the per-user cache. */
export interface CacheMigration {
  /** The `user_version` the database has after this migration. */
  version: number;
  name: string;
  up(db: Database.Database): void;
  /** Runs once the migration committed, outside any transaction (e.g. a WAL checkpoint, which a transaction would hold back). */
  afterCommit?(db: Database.Database): void;
}
