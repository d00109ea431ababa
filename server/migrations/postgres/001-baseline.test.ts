/**
 * The PostgreSQL baseline against the SQLite schema at its latest migration: the same
 * tables, columns, nullability, primary keys and index names, with the agreed type mapping.
 * Real PostgreSQL (a throwaway database) and a real SQLite file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migrate } from '../index.js';
import { MIGRATION_LOCK_KEY, POSTGRES_MIGRATIONS, migratePostgres } from './index.js';
import { usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

interface ColumnShape {
  type: string;
  notNull: boolean;
  primaryKey: boolean;
}

/** SQLite's declared type as PostgreSQL spells it here. */
const TYPE_MAPPING: Record<string, string> = { TEXT: 'text', INTEGER: 'bigint', BLOB: 'bytea' };

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration', (opened) => (db = opened));
let sqliteDir: string;
let sqlite: Database.Database;

beforeAll(() => {
  sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-baseline-'));
  sqlite = new Database(path.join(sqliteDir, 'server.sqlite'));
  migrate(sqlite);
});

afterAll(() => {
  sqlite?.close();
  if (sqliteDir) fs.rmSync(sqliteDir, { recursive: true, force: true });
});

function sqliteTables(): Map<string, Map<string, ColumnShape>> {
  const tables = sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'schema_migrations' ORDER BY name").all() as Array<{
    name: string;
  }>;
  return new Map(
    tables.map(({ name }) => {
      const columns = sqlite.prepare(`PRAGMA table_info("${name}")`).all() as Array<{ name: string; type: string; notnull: number; pk: number }>;
      return [
        name,
        new Map(columns.map((c) => [c.name, { type: TYPE_MAPPING[c.type] ?? c.type, notNull: c.notnull === 1 || c.pk > 0, primaryKey: c.pk > 0 }])),
      ] as const;
    }),
  );
}

async function postgresTables(): Promise<Map<string, Map<string, ColumnShape>>> {
  const rows = await db.all<{ table_name: string; column_name: string; data_type: string; is_nullable: string; pk: boolean }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.is_nullable,
            EXISTS (SELECT 1 FROM information_schema.key_column_usage k
                    JOIN information_schema.table_constraints t ON t.constraint_name = k.constraint_name AND t.table_name = k.table_name
                    WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_name = c.table_name AND k.column_name = c.column_name) AS pk
     FROM information_schema.columns c
     WHERE c.table_schema = 'public' AND c.table_name != 'schema_migrations'
     ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, Map<string, ColumnShape>>();
  for (const row of rows) {
    let columns = tables.get(row.table_name);
    if (!columns) tables.set(row.table_name, (columns = new Map<string, ColumnShape>()));
    columns.set(row.column_name, { type: row.data_type, notNull: row.is_nullable === 'NO', primaryKey: row.pk });
  }
  return tables;
}

describe('PostgreSQL migration 001 (baseline)', () => {
  it('applies once even when several nodes start together, holding the advisory lock', async () => {
    const runs = await Promise.all([migratePostgres(db), migratePostgres(db), migratePostgres(db)]);
    // Every step once, whichever node ran it (the baseline and the steps after it).
    expect(runs.flat().sort((a, b) => a - b)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    expect(await migratePostgres(db)).toEqual([]);
    expect(await db.all('SELECT version, name FROM schema_migrations ORDER BY version')).toEqual(
      POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name })),
    );
    // The lock is released: another session can take it at once.
    expect(await db.get<{ locked: boolean }>('SELECT pg_try_advisory_lock(?) AS locked', [MIGRATION_LOCK_KEY])).toEqual({ locked: true });
    await db.get('SELECT pg_advisory_unlock(?)', [MIGRATION_LOCK_KEY]);
  });

  it('has the tables and columns of the SQLite schema at its latest migration, types mapped', async () => {
    const expected = sqliteTables();
    const actual = await postgresTables();
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [table, columns] of expected) {
      expect(Object.fromEntries(actual.get(table)!), table).toEqual(Object.fromEntries(columns));
    }
  });

  it('has the indexes of the SQLite schema, and the change log starts empty', async () => {
    const sqliteIndexes = (
      sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as Array<{ name: string }>
    ).map((row) => row.name);
    const postgresIndexes = (
      await db.all<{ indexname: string }>(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'",
      )
    ).map((row) => row.indexname);
    expect(postgresIndexes.sort()).toEqual(sqliteIndexes.sort());
    expect(await db.get('SELECT last_seq, first_retained_seq FROM change_log_state WHERE id = 1')).toEqual({ last_seq: 0, first_retained_seq: 1 });
  });

  it('keeps the rules SQLite enforces: checks, foreign keys, unique external ids, identities for audit rows', async () => {
    await db.run(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1731024000000)`,
    );
    await db.run("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1731024000000)");
    await db.run(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'chat', 'consult', '订单物流查询延迟', 'normal', 'unassigned', 1731024000000, 1731024000000, 1731027600000, '你好', 1731024000000)`,
    );
    await expect(db.run("INSERT INTO tokens (token_hash, kind, name, created_at) VALUES ('h', 'robot', 'x', 1)")).rejects.toMatchObject({ code: '23514' });
    await expect(
      db.run("INSERT INTO notes (id, ticket_id, author_id, author_name, text, created_at) VALUES ('n1', 'GD-missing', 'agent1', '王芳', '备注', 1)"),
    ).rejects.toMatchObject({ code: '23503' });
    const message = (id: string, external: string | null) =>
      db.run(
        `INSERT INTO messages (id, ticket_id, direction, channel, author_name, text, external_message_id, delivery_status, created_at)
         VALUES (?, 'GD20241108001', 'inbound', 'chat', '张伟', '你好', ?, 'received', 1731024000000)`,
        [id, external],
      );
    await message('m1', null);
    await message('m2', null);
    await message('m3', 'wx-1');
    await expect(message('m4', 'wx-1')).rejects.toMatchObject({ code: '23505' });
    const audit = await db.get<{ id: number }>(
      "INSERT INTO routing_audit (ticket_id, at, decision, reason) VALUES ('GD20241108001', 1731024000000, 'queued', '排队') RETURNING id",
    );
    expect(audit).toEqual({ id: 1 });
  });
});
