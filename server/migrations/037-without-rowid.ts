/**
 * The narrow, keyed tables a first contact writes become `WITHOUT ROWID` (issue 10: each b-tree
 * an insert touches is one more page written into the contact's commit). A rowid table with a
 * non-integer primary key is two b-trees, the rows by rowid and the key's own index; keyed by
 * their primary key their small rows are one. Per first contact: `customer_identities`,
 * `customer_claims`, `change_audience` (a row per principal of each change) and
 * `report_rollup_tickets` each write one b-tree fewer, and `id_counters` is read and updated in
 * one b-tree instead of two. Their secondary indexes now hold the primary key instead of a
 * rowid: a few bytes more per entry for `customer_identities_customer`, `customer_claims_value`,
 * `change_audience_seq`.
 * Left as they are: `applied_mutations` (not written by a contact; its `result` is a mutation's
 * stored answer, wider than WITHOUT ROWID suits), `report_rollup` (a contact updates a row in
 * place, which writes one page either way), `tickets` and `messages` (wide rows).
 * Nothing reads these tables' rowid after migration 008. Each table is rebuilt from its own
 * `CREATE TABLE` text, so its columns, CHECKs, NOT NULLs and references stay exactly as they
 * were, and its indexes are made again from theirs. PostgreSQL has no rowid: nothing to do there.
 * (docs/technical/benchmarks.md "WITHOUT ROWID for the keyed tables a contact writes")
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import type { Migration } from './migration.js';

export const WITHOUT_ROWID_TABLES = ['customer_identities', 'customer_claims', 'change_audience', 'id_counters', 'report_rollup_tickets'] as const;

function rebuildWithoutRowid(db: Database.Database, table: string): void {
  const created = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string } | undefined;
  if (!created) throw new Error(`No table ${table} to rebuild.`);
  const indexes = (
    db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL").all(table) as Array<{ sql: string }>
  ).map((row) => row.sql);
  const staging = `${table}_without_rowid`;
  // The name right after CREATE TABLE, quoted or not (a table renamed by ALTER TABLE is stored quoted).
  const head = /^CREATE TABLE\s+("?)([A-Za-z_]+)\1/.exec(created.sql);
  if (!head || head[2] !== table) throw new Error(`Unexpected CREATE TABLE text for ${table}.`);
  db.exec(`${created.sql.replace(head[0], `CREATE TABLE ${staging}`)} WITHOUT ROWID`);
  db.exec(`INSERT INTO ${staging} SELECT * FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${staging} RENAME TO ${table}`);
  for (const index of indexes) db.exec(index);
}

export const migration037WithoutRowid: Migration = {
  version: 37,
  name: 'without-rowid',
  up(db) {
    for (const table of WITHOUT_ROWID_TABLES) rebuildWithoutRowid(db, table);
  },
};
