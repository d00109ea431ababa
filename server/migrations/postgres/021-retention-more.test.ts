/** PostgreSQL migration 021 on a real throwaway database: the retention finds expired user tokens, old rating-link tokens and old provisional ids through indexes after it. */
import { describe, expect, it } from 'vitest';
import type { PostgresDatabase } from '../../db/postgres.js';
import {
  APPLIED_MUTATIONS_BATCH,
  EXPIRED_CSAT_TOKENS_BATCH,
  EXPIRED_CSAT_TOKENS_SQL,
  EXPIRED_USER_TOKENS_BATCH,
  EXPIRED_USER_TOKENS_SQL,
  OLD_TICKET_DRAFTS_BATCH,
  OLD_TICKET_DRAFTS_SQL,
  retentionBatchDeleteSql,
} from '../../store.js';
import { migratePostgres } from './index.js';
import { applyPostgresMigration, migratePostgresToBefore, postgresQueryPlan, usePostgresMigrationDatabase } from '../../testing/postgresMigrations.js';

let db: PostgresDatabase;
usePostgresMigrationDatabase('omnidesk_migration_021', (opened) => (db = opened));

describe('PostgreSQL migration 021 retention more', () => {
  it('applies after 020, keeps the rows, and expired user tokens, rating-link tokens and provisional ids are found by age through indexes', async () => {
    await migratePostgresToBefore(db, 21);
    for (const [hash, kind, expiresAt] of [
      ['u-old', 'user', 100],
      ['u-new', 'user', 300],
      ['i-old', 'integration', 50],
    ] as const) {
      await db.run("INSERT INTO tokens (token_hash, kind, user_id, name, created_at, expires_at) VALUES (?, ?, NULL, 'sign-in', 0, ?)", [
        hash,
        kind,
        expiresAt,
      ]);
    }
    // Before: nothing orders these tables by age.
    expect(await postgresQueryPlan(db, EXPIRED_USER_TOKENS_SQL, [200, 10])).not.toMatch(/tokens_user_expiry/);
    expect(await postgresQueryPlan(db, EXPIRED_CSAT_TOKENS_SQL, [200, 200, 10])).not.toMatch(/csat_tokens_created/);
    expect(await postgresQueryPlan(db, OLD_TICKET_DRAFTS_SQL, [200, 10])).not.toMatch(/ticket_drafts_created/);

    await applyPostgresMigration(db, 21);
    const indexes = await db.all<{ indexname: string; indexdef: string }>(
      "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('tokens_user_expiry', 'csat_tokens_created', 'ticket_drafts_created') ORDER BY indexname",
    );
    expect(indexes).toEqual([
      { indexname: 'csat_tokens_created', indexdef: 'CREATE INDEX csat_tokens_created ON public.csat_tokens USING btree (created_at)' },
      { indexname: 'ticket_drafts_created', indexdef: 'CREATE INDEX ticket_drafts_created ON public.ticket_drafts USING btree (created_at)' },
      {
        indexname: 'tokens_user_expiry',
        indexdef: "CREATE INDEX tokens_user_expiry ON public.tokens USING btree (expires_at) WHERE (kind = 'user'::text)",
      },
    ]);
    for (const table of ['tokens', 'csat_tokens', 'ticket_drafts']) await db.run(`ANALYZE ${table}`);
    expect(await postgresQueryPlan(db, EXPIRED_USER_TOKENS_SQL, [200, 10])).toMatch(/Index (Only )?Scan using tokens_user_expiry/);
    expect(await postgresQueryPlan(db, EXPIRED_CSAT_TOKENS_SQL, [200, 200, 10])).toMatch(/Index (Only )?Scan using csat_tokens_created/);
    expect(await postgresQueryPlan(db, OLD_TICKET_DRAFTS_SQL, [200, 10])).toMatch(/Index (Only )?Scan using ticket_drafts_created/);
    // The integration token is older still, but configuration: never among them.
    expect(await db.all(EXPIRED_USER_TOKENS_SQL, [200, 10])).toEqual([{ token_hash: 'u-old' }]);
    expect(Number((await db.get<{ n: string }>('SELECT COUNT(*) AS n FROM tokens'))?.n)).toBe(3);
    // Each batch's delete goes to its rows by ctid, read once through the index, never joining a scan of the whole table.
    for (const [batch, parameters, index] of [
      [APPLIED_MUTATIONS_BATCH, [200, 10], 'applied_mutations_created'],
      [EXPIRED_USER_TOKENS_BATCH, [200, 10], 'tokens_user_expiry'],
      [EXPIRED_CSAT_TOKENS_BATCH, [200, 200, 10], 'csat_tokens_created'],
      [OLD_TICKET_DRAFTS_BATCH, [200, 10], 'ticket_drafts_created'],
    ] as const) {
      const deletion = await postgresQueryPlan(db, retentionBatchDeleteSql(batch, 'postgres'), [...parameters]);
      expect(deletion).toMatch(new RegExp(`Tid Scan on ${batch.table}`));
      expect(deletion).toMatch(new RegExp(`Index (Only )?Scan using ${index}`));
      expect(deletion).not.toMatch(/Seq Scan|Hash/);
    }
    expect(await db.run(retentionBatchDeleteSql(EXPIRED_USER_TOKENS_BATCH, 'postgres'), [10_000, 1])).toEqual({ changes: 1 });
    expect(await db.run(retentionBatchDeleteSql(EXPIRED_USER_TOKENS_BATCH, 'postgres'), [10_000, 5])).toEqual({ changes: 1 });
    expect(await db.all('SELECT token_hash FROM tokens')).toEqual([{ token_hash: 'i-old' }]);
    expect(await migratePostgres(db, 21)).toEqual([]);
  });
});
