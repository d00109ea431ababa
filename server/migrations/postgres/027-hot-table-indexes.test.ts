/** PostgreSQL migration 027 on a real throwaway database: the customers' field indexes, tickets_customer and tickets_queue are gone, tickets_assignee holds the channel, and a channel's pending tickets are found through it. */
import { describe, expect, it } from 'vitest';
import { PENDING_OF_CHANNEL } from '../../alarms/alertStore.js';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, postgresQueryPlan, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_027', (opened) => (db = opened));

const BACKLOG_COUNT_SQL = `SELECT COUNT(*) AS n FROM tickets t WHERE ${PENDING_OF_CHANNEL}`;

async function indexesOf(table: string): Promise<string[]> {
  return (await db.all<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE tablename = ? ORDER BY indexname', [table])).map((row) => row.indexname);
}

describe('PostgreSQL migration 027 hot table indexes', () => {
  it("applies after 026, drops the customers' field indexes, tickets_customer and tickets_queue, and finds a channel's pending tickets through tickets_assignee", async () => {
    await migratePostgresToBefore(db, 27);
    await db.run("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)");
    for (const [id, channel, status] of [
      ['GD20241108001', 'chat', 'unassigned'],
      ['GD20241108002', 'chat', 'awaiting_customer'],
      ['GD20241108003', 'chat', 'completed'],
      ['GD20241108004', 'email', 'unassigned'],
    ] as const) {
      await db.run(
        `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
         VALUES (?, 'CUS20241108001', ?, 'consult', '咨询', 'normal', ?, 1, 1, 700, '你好', 1)`,
        [id, channel, status],
      );
    }
    const before = await indexesOf('tickets');
    expect(before).toEqual(expect.arrayContaining(['tickets_queue', 'tickets_customer', 'tickets_assignee']));
    expect(await indexesOf('customers')).toEqual(['customers_email', 'customers_phone', 'customers_pkey', 'customers_social_id']);

    await applyPostgresMigration(db, 27);
    expect(await indexesOf('tickets')).toEqual(before.filter((name) => name !== 'tickets_queue' && name !== 'tickets_customer'));
    expect(await indexesOf('customers')).toEqual(['customers_pkey']);
    const index = await db.get<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'tickets_assignee'");
    expect(index?.indexdef).toBe('CREATE INDEX tickets_assignee ON public.tickets USING btree (assignee_id, status, channel)');
    // Which index PostgreSQL's planner takes depends on its statistics (on these four rows the partial
    // tickets_open_due); what matters here is that it never scans the table.
    await db.run('ANALYZE tickets');
    expect(await postgresQueryPlan(db, BACKLOG_COUNT_SQL, ['chat'])).not.toMatch(/Seq Scan/);
    expect(Number((await db.get<{ n: number | string }>(BACKLOG_COUNT_SQL, ['chat']))?.n)).toBe(2);
    expect(await migratePostgres(db, 27)).toEqual([]);
  });
});
