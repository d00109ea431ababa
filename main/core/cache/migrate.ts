/**
 * Runs the numbered cache migrations the database has not seen yet, each in its own
 * transaction together with the `user_version` bump, so a crash leaves a consistent version.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { CACHE_MIGRATIONS, type CacheMigration } from './migrations/index.js';
import { registerSearchFunctions } from './searchBigrams.js';

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Migrates up to `targetVersion` (default: the newest); refuses a database newer than this code.
 * Registers the SQL functions the schema's triggers call first: every connection that opens the
 * cache migrates it, so none can write a row whose trigger finds no function.
 */
export function migrateCache(
  db: Database.Database,
  migrations: readonly CacheMigration[] = CACHE_MIGRATIONS,
  targetVersion: number = migrations.at(-1)?.version ?? 0,
): number {
  registerSearchFunctions(db);
  const current = schemaVersion(db);
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new Error(`The cache was written by a newer version of the app (schema ${String(current)}, this app knows ${String(newest)}).`);
  }
  for (const migration of migrations) {
    if (migration.version <= current || migration.version > targetVersion) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${String(migration.version)}`);
    })();
    migration.afterCommit?.(db);
  }
  return schemaVersion(db);
}
