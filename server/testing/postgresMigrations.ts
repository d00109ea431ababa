/**
 * What every PostgreSQL migration test starts from: a throwaway database of its own on the local
 * server (created before the file's tests, dropped after them), migrated to the step just before
 * the one under test. "Just before" is read from POSTGRES_MIGRATIONS rather than written as N-1,
 * so a migration that lands in between (two branches adding steps at once) is applied too and the
 * test still sees its own step applied alone.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../db/postgres.js';
import { POSTGRES_MIGRATIONS, migratePostgres } from '../migrations/postgres/index.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

/**
 * Creates a database named after `name` for the calling file and drops it when its tests are
 * done; `onOpen` receives the connection (a pool of 4, so tests can race two sessions).
 */
export function usePostgresMigrationDatabase(name: string, onOpen: (db: PostgresDatabase) => void): void {
  let testDatabase: TestDatabase | undefined;
  let db: PostgresDatabase | undefined;
  beforeAll(async () => {
    testDatabase = await createTestDatabase(name);
    db = openPostgresDatabase({ connectionString: testDatabase.url, maxConnections: 4 });
    onOpen(db);
  });
  afterAll(async () => {
    await db?.close();
    await testDatabase?.drop();
  });
}

function versionsUpTo(version: number): number[] {
  return POSTGRES_MIGRATIONS.filter((migration) => migration.version <= version).map((migration) => migration.version);
}

/** The version POSTGRES_MIGRATIONS applies just before `version`, 0 for the first. */
export function postgresVersionBefore(version: number): number {
  const index = POSTGRES_MIGRATIONS.findIndex((migration) => migration.version === version);
  if (index < 0) throw new Error(`No PostgreSQL migration ${String(version)}.`);
  return index === 0 ? 0 : (POSTGRES_MIGRATIONS[index - 1]?.version ?? 0);
}

/** Migrates the fresh database up to the step before `version` (checking every step up to there ran), so a test can write the rows that step must keep. */
export async function migratePostgresToBefore(db: PostgresDatabase, version: number): Promise<void> {
  expect(await migratePostgres(db, postgresVersionBefore(version))).toEqual(versionsUpTo(postgresVersionBefore(version)));
}

/** Applies `version` to a database at the step before it: checks that it alone ran and that every step up to it is recorded. */
export async function applyPostgresMigration(db: PostgresDatabase, version: number): Promise<void> {
  expect(await migratePostgres(db, version)).toEqual([version]);
  const recorded = await db.all<{ version: string | number }>('SELECT version FROM schema_migrations ORDER BY version');
  expect(recorded.map((row) => Number(row.version))).toEqual(versionsUpTo(version));
}

/**
 * PostgreSQL's plan of `sql` (with `?` placeholders) for `parameters`, sequential scans priced
 * out: on the few rows a test writes, the planner would else scan whatever the indexes.
 */
export async function postgresQueryPlan(db: PostgresDatabase, sql: string, parameters: Array<string | number>): Promise<string> {
  let n = 0;
  const numbered = sql.replace(/\?/g, () => `$${String(++n)}`);
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL enable_seqscan = off');
    const rows = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${numbered}`, parameters)).rows;
    await client.query('ROLLBACK');
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    client.release();
  }
}
