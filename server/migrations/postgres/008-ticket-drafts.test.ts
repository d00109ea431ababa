/** PostgreSQL migration 008 on a real throwaway database: one GD ticket per (user, draft), even when two sessions record it at once. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_008', (opened) => (db = opened));

describe('PostgreSQL migration 008 ticket drafts', () => {
  it('applies after 007, and two sessions recording the same draft leave one row', async () => {
    await migratePostgresToBefore(db, 8);
    await applyPostgresMigration(db, 8);
    await db.run(
      "INSERT INTO users (id, username, display_name, role, channels, groups_json, tier, senior, password_hash, created_at) VALUES ('agent1', 'agent1', '王芳', 'agent', 'phone', '[]', 1, 0, 'x', 1)",
    );
    await db.run("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)");
    for (const id of ['GD20241108001', 'GD20241108002']) {
      await db.run(
        `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
         VALUES (?, 'CUS20241108001', 'phone', 'consult', '来电', 'normal', 'in_progress', 1, 1, 14400001, '', 1)`,
        [id],
      );
    }
    const draft = 'GD00000000001733300000000123456789012';
    const record = (ticketId: string) =>
      db.withTransaction((tx) =>
        tx.get<{ ticket_id: string }>(
          "INSERT INTO ticket_drafts (user_id, draft_id, ticket_id, customer_id, created_at) VALUES ('agent1', ?, ?, 'CUS20241108001', 5) ON CONFLICT (user_id, draft_id) DO NOTHING RETURNING ticket_id",
          [draft, ticketId],
        ),
      );
    const results = await Promise.all([record('GD20241108001'), record('GD20241108002')]);
    expect(results.filter((row) => row !== undefined)).toHaveLength(1);
    expect(await db.get('SELECT COUNT(*)::int AS n FROM ticket_drafts')).toEqual({ n: 1 });
    await expect(
      db.run(
        "INSERT INTO ticket_drafts (user_id, draft_id, ticket_id, customer_id, created_at) VALUES ('agent1', 'other', 'GD20990101001', 'CUS20241108001', 5)",
      ),
    ).rejects.toMatchObject({ code: '23503' });
  });
});
