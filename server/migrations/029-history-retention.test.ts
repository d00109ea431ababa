import type Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { COMMITTED_AUDIENCES_SQL, OLD_APPLIED_MUTATIONS_SQL, PRUNE_AUDIENCES_SQL } from '../store.js';
import { migrate } from './index.js';
import { applyMigration, migrateToBefore, queryPlan, useMigrationTestDatabase } from '../testing/sqliteMigrations.js';

let db: Database.Database;
useMigrationTestDatabase((opened) => (db = opened));

describe('migration 029 history retention', () => {
  it('keeps the rows, and reads audiences by seq and idempotency records by age through indexes instead of scanning them all', () => {
    migrateToBefore(db, 29);
    const change = db.prepare("INSERT INTO changes (seq, kind, body, created_at) VALUES (?, 'ticket', '{}', ?)");
    const audience = db.prepare('INSERT INTO change_audience (seq, principal) VALUES (?, ?)');
    for (let seq = 1; seq <= 3; seq++) {
      change.run(seq, seq * 10);
      audience.run(seq, 'queue:chat');
      audience.run(seq, `agent:a${String(seq)}`);
    }
    const record = db.prepare("INSERT INTO applied_mutations (user_id, client_id, mutation_id, result, created_at) VALUES ('a1', 'ws', ?, '{}', ?)");
    record.run('m1', 100);
    record.run('m2', 200);
    record.run('m3', 300);
    // Before: every audience row ever written is read for a few new seqs, and every record for the oldest.
    expect(queryPlan(db, COMMITTED_AUDIENCES_SQL, 1, 2)).toMatch(/^SCAN change_audience/);
    expect(queryPlan(db, PRUNE_AUDIENCES_SQL, 2)).toMatch(/^SCAN change_audience/);
    expect(queryPlan(db, OLD_APPLIED_MUTATIONS_SQL, 250, 1)).toMatch(/^SCAN applied_mutations/);

    applyMigration(db, 29);
    expect(db.prepare('SELECT COUNT(*) FROM change_audience').pluck().get()).toBe(6);
    expect(db.prepare('SELECT mutation_id FROM applied_mutations ORDER BY mutation_id').pluck().all()).toEqual(['m1', 'm2', 'm3']);

    expect(queryPlan(db, COMMITTED_AUDIENCES_SQL, 1, 2)).toMatch(/^SEARCH change_audience USING (COVERING )?INDEX change_audience_seq \(seq>\? AND seq<\?\)$/);
    expect((db.prepare(COMMITTED_AUDIENCES_SQL).all(1, 2) as Array<{ principal: string }>).sort((a, b) => a.principal.localeCompare(b.principal))).toEqual([
      { seq: 2, principal: 'agent:a2' },
      { seq: 2, principal: 'queue:chat' },
    ]);
    expect(queryPlan(db, PRUNE_AUDIENCES_SQL, 2)).toMatch(/^SEARCH change_audience USING (COVERING )?INDEX change_audience_seq \(seq<\?\)$/);
    expect(queryPlan(db, OLD_APPLIED_MUTATIONS_SQL, 250, 1)).toMatch(
      /^SEARCH applied_mutations USING (COVERING )?INDEX applied_mutations_created \(created_at<\?\)$/,
    );
    expect(db.prepare(OLD_APPLIED_MUTATIONS_SQL).all(250, 1)).toEqual([{ user_id: 'a1', client_id: 'ws', mutation_id: 'm1' }]);
    expect(migrate(db, 29)).toEqual([]);
  });
});
