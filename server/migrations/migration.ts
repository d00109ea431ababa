/**
 * Numbered schema migrations (Signal Desktop's idea: one file per step, each with a test).
 * The applied versions are kept in a plain table rather than SQLite's user_version so a
 * second SQL backend can share the bookkeeping.
 */
import type Database from 'better-sqlite3-multiple-ciphers';

/** One schema step. `up` runs inside a transaction together with its bookkeeping row. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}
