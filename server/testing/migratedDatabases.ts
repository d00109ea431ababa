/**
 * The two backends a repository test runs the same cases on, each with the current schema: a real
 * SQLite file in a temporary folder (schema by the numbered migrations) and a real PostgreSQL
 * database made for the test (schema by the PostgreSQL migrations), removed by `cleanup`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openPostgresDatabase } from '../db/postgres.js';
import type { SqlDatabase } from '../db/sql.js';
import { openSqliteDatabase } from '../db/sqlite.js';
import { migrate } from '../migrations/index.js';
import { migratePostgres } from '../migrations/postgres/index.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface MigratedBackend {
  /** 'SQLite' or 'PostgreSQL', for the describe block's title. */
  name: string;
  open(): Promise<SqlDatabase>;
  cleanup(): Promise<void>;
}

/** SQLite then PostgreSQL; `label` names the temporary folder (`omnidesk-<label>-…`) and the database (`omnidesk_<label>…`). */
export function migratedBackends(label: string): MigratedBackend[] {
  return [sqliteBackend(label), postgresBackend(label)];
}

function sqliteBackend(label: string): MigratedBackend {
  const dir = mkdtempSync(path.join(tmpdir(), `omnidesk-${label}-`));
  return {
    name: 'SQLite',
    open: () => Promise.resolve(openSqliteDatabase({ filePath: path.join(dir, 'server.sqlite'), migrate: (db) => migrate(db) })),
    cleanup: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  };
}

function postgresBackend(label: string): MigratedBackend {
  let test: TestDatabase | null = null;
  return {
    name: 'PostgreSQL',
    async open() {
      test = await createTestDatabase(`omnidesk_${label}`);
      const db = openPostgresDatabase({ connectionString: test.url, maxConnections: 2 });
      await migratePostgres(db);
      return db;
    },
    async cleanup() {
      await test?.drop();
    },
  };
}
