/**
 * Data repairs in bounded batches: the claim of a repair under way and where it has got to. A
 * repair (`repairUnreadableRows`, server/unreadableRows.ts) used to run in one transaction with
 * its row in `data_repairs`; on a large database that one writer transaction held the first
 * start after an update (and, on PostgreSQL, every node's change-log appends) for as long as it
 * scanned. Now each batch commits on its own, so the node doing the repair holds a claim here
 * while it works: `claimed_by` (a node's start), `claimed_until` (renewed by each batch: a node
 * that stopped midway lets the next start take over once it passes), and where the next batch
 * begins (`stage`, `resume_after`). The row goes, in the transaction that writes the repair's
 * `data_repairs` row, when the repair is done. Numbered 038; PostgreSQL 029 is its twin.
 */
import type { Migration } from './migration.js';

/** The table in either dialect: `claimed_until` is an epoch-ms time, INTEGER in SQLite (the type `npm run migrate:postgres` copies), BIGINT in PostgreSQL. */
export function dataRepairClaimsTable(timeType: 'INTEGER' | 'BIGINT'): string {
  return `CREATE TABLE data_repair_claims (name TEXT PRIMARY KEY, claimed_by TEXT NOT NULL, claimed_until ${timeType} NOT NULL, stage TEXT NOT NULL, resume_after TEXT NOT NULL)`;
}

export const migration038DataRepairClaims: Migration = {
  version: 38,
  name: 'data-repair-claims',
  up(db) {
    db.exec(dataRepairClaimsTable('INTEGER'));
  },
};
