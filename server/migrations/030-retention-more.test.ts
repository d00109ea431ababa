import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import {
  APPLIED_MUTATIONS_BATCH,
  EXPIRED_CSAT_TOKENS_BATCH,
  EXPIRED_CSAT_TOKENS_SQL,
  EXPIRED_USER_TOKENS_BATCH,
  EXPIRED_USER_TOKENS_SQL,
  OLD_TICKET_DRAFTS_BATCH,
  OLD_TICKET_DRAFTS_SQL,
  retentionBatchDeleteSql,
} from '../store.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 030 retention more', () => {
  it('keeps the rows, and finds expired user tokens, old rating-link tokens and old provisional ids by age through indexes instead of reading them all', () => {
    migrateToBefore(db, 30);
    const token = db.prepare("INSERT INTO tokens (token_hash, kind, user_id, name, created_at, expires_at) VALUES (?, ?, NULL, 'sign-in', 0, ?)");
    token.run('u-old', 'user', 100);
    token.run('u-new', 'user', 300);
    token.run('i-old', 'integration', 50);
    // Before: every token, rating link and provisional id ever written is read for the oldest few.
    expect(queryPlan(db, EXPIRED_USER_TOKENS_SQL, 200, 10)).toMatch(/^SCAN tokens/);
    expect(queryPlan(db, EXPIRED_CSAT_TOKENS_SQL, 200, 200, 10)).toMatch(/^SCAN t\b/);
    expect(queryPlan(db, OLD_TICKET_DRAFTS_SQL, 200, 10)).toMatch(/^SCAN ticket_drafts/);

    applyMigration(db, 30);
    expect(db.prepare('SELECT token_hash FROM tokens ORDER BY token_hash').pluck().all()).toEqual(['i-old', 'u-new', 'u-old']);

    expect(queryPlan(db, EXPIRED_USER_TOKENS_SQL, 200, 10)).toMatch(/^SEARCH tokens USING (COVERING )?INDEX tokens_user_expiry \(expires_at<\?\)$/);
    // The integration token is older still, but configuration: never among them.
    expect(db.prepare(EXPIRED_USER_TOKENS_SQL).pluck().all(200, 10)).toEqual(['u-old']);
    expect(queryPlan(db, EXPIRED_CSAT_TOKENS_SQL, 200, 200, 10)).toMatch(
      /^SEARCH t USING (COVERING )?INDEX csat_tokens_created \(created_at<\?\) \| SEARCH s USING INTEGER PRIMARY KEY/,
    );
    expect(queryPlan(db, OLD_TICKET_DRAFTS_SQL, 200, 10)).toMatch(/^SEARCH ticket_drafts USING (COVERING )?INDEX ticket_drafts_created \(created_at<\?\)$/);
    // Each batch's delete looks its rows up by primary key, from the batch read through the index.
    for (const [batch, parameters, index] of [
      [APPLIED_MUTATIONS_BATCH, [200, 10], 'applied_mutations_created'],
      [EXPIRED_USER_TOKENS_BATCH, [200, 10], 'tokens_user_expiry'],
      [EXPIRED_CSAT_TOKENS_BATCH, [200, 200, 10], 'csat_tokens_created'],
      [OLD_TICKET_DRAFTS_BATCH, [200, 10], 'ticket_drafts_created'],
    ] as const) {
      const deletion = queryPlan(db, retentionBatchDeleteSql(batch, 'sqlite'), ...parameters);
      expect(deletion).toMatch(new RegExp(`^SEARCH ${batch.table} USING (COVERING )?(INDEX sqlite_autoindex_${batch.table}_1|PRIMARY KEY) \\(`));
      expect(deletion).toContain(`INDEX ${index} (`);
    }
    const deleteTokens = db.prepare(retentionBatchDeleteSql(EXPIRED_USER_TOKENS_BATCH, 'sqlite'));
    expect(deleteTokens.run(10_000, 1).changes).toBe(1);
    expect(deleteTokens.run(10_000, 5).changes).toBe(1);
    expect(db.prepare('SELECT token_hash FROM tokens').pluck().all()).toEqual(['i-old']);
    expect(migrate(db, 30)).toEqual([]);
  });
});
