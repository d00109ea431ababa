/** PostgreSQL migration 023 on a real throwaway database: the index of completed and closed tickets exists after it, and the board's day count reads through it. */
import { describe, expect, it } from 'vitest';
import { COMPLETED_IN_DAY_SQL } from '../../board/boardRepository.js';
import type { PostgresDatabase } from '../../db/postgres.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, postgresQueryPlan, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_023', (opened) => (db = opened));

describe('PostgreSQL migration 023 finished tickets', () => {
  it("applies after 022 and indexes completed and closed tickets by completion time, which the board's day count reads", async () => {
    await migratePostgresToBefore(db, 23);
    await db.run("INSERT INTO customers (id, name, created_at) VALUES ('CUS20241108001', '张伟', 1)");
    for (const [id, status, completedAt] of [
      ['GD20241108001', 'completed', 500],
      ['GD20241108002', 'closed', 900],
      ['GD20241108003', 'closed', 2_000],
      ['GD20241108004', 'in_progress', null],
    ] as const) {
      await db.run(
        `INSERT INTO tickets (id, customer_id, channel, type, subject, priority, status, created_at, updated_at, due_at, last_message_preview, last_message_at, completed_at)
         VALUES (?, 'CUS20241108001', 'chat', 'consult', '咨询', 'normal', ?, 1, 1, 700, '你好', 1, ?)`,
        [id, status, completedAt],
      );
    }
    expect(await postgresQueryPlan(db, COMPLETED_IN_DAY_SQL, [0, 1_000])).not.toMatch(/tickets_finished_at/);

    await applyPostgresMigration(db, 23);
    const index = await db.get<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'tickets_finished_at'");
    expect(index?.indexdef).toMatch(
      /^CREATE INDEX tickets_finished_at ON public\.tickets USING btree \(completed_at\) WHERE \(status = ANY \(ARRAY\['completed'/,
    );
    await db.run('ANALYZE tickets');
    expect(await postgresQueryPlan(db, COMPLETED_IN_DAY_SQL, [0, 1_000])).toMatch(/(Index|Bitmap Index) Scan (using|on) tickets_finished_at/);
    const rows = await db.all<{ channel: string; n: number | string; handling: number | string; late: number | string }>(COMPLETED_IN_DAY_SQL, [0, 1_000]);
    expect(rows.map((row) => [row.channel, Number(row.n), Number(row.handling), Number(row.late)])).toEqual([['chat', 2, 499 + 899, 1]]);
    expect(await migratePostgres(db, 23)).toEqual([]);
  });
});
