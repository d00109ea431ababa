/** PostgreSQL migration 020 on a real throwaway database: the retention's and the commit stream's reads by seq and by age go through indexes after it. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import { COMMITTED_AUDIENCES_SQL, OLD_APPLIED_MUTATIONS_SQL, PRUNE_AUDIENCES_SQL } from '../../store.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, postgresQueryPlan, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_020', (opened) => (db = opened));

describe('PostgreSQL migration 020 history retention', () => {
  it('applies after 018, keeps the rows, and audiences by seq and idempotency records by age are read through indexes', async () => {
    await migratePostgresToBefore(db, 20);
    for (let seq = 1; seq <= 3; seq++) {
      await db.run("INSERT INTO changes (seq, kind, body, created_at) VALUES (?, 'ticket', '{}', ?)", [seq, seq * 10]);
      await db.run('INSERT INTO change_audience (seq, principal) VALUES (?, ?), (?, ?)', [seq, 'queue:chat', seq, `agent:a${String(seq)}`]);
    }
    for (const [id, at] of [
      ['m1', 100],
      ['m2', 200],
      ['m3', 300],
    ] as const) {
      await db.run("INSERT INTO applied_mutations (user_id, client_id, mutation_id, result, created_at) VALUES ('a1', 'ws', ?, '{}', ?)", [id, at]);
    }
    // Before: the audiences of a few seqs walk the whole primary key (seq is not its first column); the oldest records, the whole table.
    expect(await postgresQueryPlan(db, COMMITTED_AUDIENCES_SQL, [1, 2])).toMatch(/Scan (using|on) change_audience_pkey/);
    expect(await postgresQueryPlan(db, OLD_APPLIED_MUTATIONS_SQL, [250, 1])).toMatch(/Seq Scan on applied_mutations/);

    await applyPostgresMigration(db, 20);
    const indexes = await db.all<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('change_audience_seq', 'applied_mutations_created') ORDER BY indexname",
    );
    expect(indexes).toEqual([
      { indexname: 'applied_mutations_created', indexdef: 'CREATE INDEX applied_mutations_created ON public.applied_mutations USING btree (created_at)' },
      { indexname: 'change_audience_seq', indexdef: 'CREATE INDEX change_audience_seq ON public.change_audience USING btree (seq)' },
    ]);
    await db.run('ANALYZE change_audience');
    await db.run('ANALYZE applied_mutations');
    expect(await postgresQueryPlan(db, COMMITTED_AUDIENCES_SQL, [1, 2])).toMatch(/(Index|Bitmap Index) Scan (using|on) change_audience_seq/);
    expect(await postgresQueryPlan(db, PRUNE_AUDIENCES_SQL, [2])).toMatch(/(Index|Bitmap Index) Scan (using|on) change_audience_seq/);
    expect(await postgresQueryPlan(db, OLD_APPLIED_MUTATIONS_SQL, [250, 1])).toMatch(/Index (Only )?Scan using applied_mutations_created/);
    expect((await db.all<{ principal: string }>(`${COMMITTED_AUDIENCES_SQL} ORDER BY principal`, [1, 2])).map((row) => row.principal)).toEqual([
      'agent:a2',
      'queue:chat',
    ]);
    expect(await db.all(OLD_APPLIED_MUTATIONS_SQL, [250, 1])).toEqual([{ user_id: 'a1', client_id: 'ws', mutation_id: 'm1' }]);
    expect(Number((await db.get<{ n: string }>('SELECT COUNT(*) AS n FROM change_audience'))?.n)).toBe(6);
    expect(await migratePostgres(db, 20)).toEqual([]);
  });
});
