/** PostgreSQL migration 022 on a real throwaway database: tickets.requeued_at (dated from the routing audit), and the partial indexes of open alarms, waiting escalation requests and requeued tickets. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_022', (opened) => (db = opened));

describe('PostgreSQL migration 022 alarm paging', () => {
  it('applies after 021: requeued tickets dated, open alarms and waiting requests indexed by id', async () => {
    await migratePostgresToBefore(db, 22);
    await db.run("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)");
    await db.run(
      `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at)
       VALUES ('GD20241108001', 'CUS20241108001', 'email', 'inquiry', '退货', 'normal', 'unassigned', 1, 900, 7200001, '你好', 1)`,
    );
    await db.run("INSERT INTO routing_audit (ticket_id, at, decision, assignee_id, reason) VALUES ('GD20241108001', 500, 'assigned', 'agent1', 'x')");
    await db.run("INSERT INTO routing_audit (ticket_id, at, decision, assignee_id, reason) VALUES ('GD20241108001', 700, 'queued', NULL, 'x')");

    await applyPostgresMigration(db, 22);
    expect(Number((await db.get<{ requeued_at: number | string }>('SELECT requeued_at FROM tickets'))?.requeued_at)).toBe(700);
    const indexes = await db.all<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('alerts_open', 'alerts_escalations_waiting', 'tickets_requeued_waiting') ORDER BY indexname",
    );
    expect(indexes.map((index) => index.indexname)).toEqual(['alerts_escalations_waiting', 'alerts_open', 'tickets_requeued_waiting']);
    expect(indexes[1]!.indexdef).toMatch(/^CREATE INDEX alerts_open ON public\.alerts USING btree \(id\) WHERE \(\(acked_at IS NULL\) OR/);
    expect(indexes[2]!.indexdef).toMatch(
      /^CREATE INDEX tickets_requeued_waiting ON public\.tickets USING btree \(requeued_at\) WHERE \(\(requeued_at IS NOT NULL\)/,
    );
    expect(await migratePostgres(db, 22)).toEqual([]);
  });
});
