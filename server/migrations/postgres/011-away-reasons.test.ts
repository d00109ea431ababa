/** PostgreSQL migration 011 on a real throwaway database: agent settings keep their rows and gain an away reason. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_011', (opened) => (db = opened));

describe('PostgreSQL migration 011 away reasons', () => {
  it('applies after 010 and keeps the agents’ routing settings', async () => {
    await migratePostgresToBefore(db, 11);
    await db.run(
      `INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at)
       VALUES ('agent1', 'agent1', '王芳', 'agent', '["chat"]', '[]', 1, 0, 'x', 1)`,
    );
    await db.run(
      "INSERT INTO agent_settings (user_id, presence, presence_cause, presence_since, capacity_json, phone_blocks_chat, updated_at) VALUES ('agent1', 'away', 'self', 5, '{}', 1, 5)",
    );
    await applyPostgresMigration(db, 11);
    expect(await db.all('SELECT user_id, presence, away_reason FROM agent_settings')).toEqual([{ user_id: 'agent1', presence: 'away', away_reason: null }]);
    expect(await migratePostgres(db, 11)).toEqual([]);
  });
});
