/** PostgreSQL migration 028 on a real throwaway database: the table of sign-in devices, empty (the twin of SQLite 037). */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_028', (opened) => (db = opened));

describe('PostgreSQL migration 028 sign-in devices', () => {
  it('applies after 027: an empty table, one row per user and device', async () => {
    await migratePostgresToBefore(db, 28);
    expect(await db.get("SELECT to_regclass('sign_in_devices') AS present")).toEqual({ present: null });

    await applyPostgresMigration(db, 28);
    expect(await db.get('SELECT count(*)::int AS n FROM sign_in_devices')).toEqual({ n: 0 });
    await db.run("INSERT INTO sign_in_devices (user_id, client_id, last_sign_in_at) VALUES ('agent1', 'ws-1', 1)");
    await db.run("INSERT INTO sign_in_devices (user_id, client_id, last_sign_in_at) VALUES ('lead1', 'ws-1', 1)");
    await expect(db.run("INSERT INTO sign_in_devices (user_id, client_id, last_sign_in_at) VALUES ('agent1', 'ws-1', 2)")).rejects.toThrow(/duplicate key/);
    expect(await migratePostgres(db, 28)).toEqual([]);
  });
});
