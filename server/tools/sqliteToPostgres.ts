/**
 * Moves a single-node SQLite database into an empty PostgreSQL database: the PostgreSQL
 * migrations first, then every table copied in foreign-key order inside ONE transaction, in
 * multi-row batches, identities reset past the copied ids, and a verification (row count and
 * a content checksum per table, computed the same way on both sides) before the commit. Any
 * difference rolls everything back. Refusals are codes with facts; the command
 * (migrateToPostgresCommand.ts) words them for the operator. See docs/technical/deployment.md.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3-multiple-ciphers';
import pg from 'pg';
import { openPostgresDatabase } from '../db/postgres.js';
import { MIGRATIONS } from '../migrations/index.js';
import { COPY_LOCK_KEY } from '../db/lockKeys.js';
import { POSTGRES_MIGRATIONS, migratePostgres } from '../migrations/postgres/index.js';

export { COPY_LOCK_KEY };

/** Rows per INSERT unless asked otherwise. */
export const DEFAULT_BATCH_SIZE = 500;
/** A batch is also sent once its values reach this many bytes, so attachments do not pile up in memory. */
const BATCH_BYTE_BUDGET = 8 * 1024 * 1024;
/** Rows fetched per round trip when the copy is read back for verification; fewer when rows carry files. */
const VERIFY_FETCH_SIZE = 1000;
const VERIFY_FETCH_SIZE_WITH_BYTES = 16;
/** Tables of ours that the copy does not carry over: bookkeeping each side keeps for itself. */
const NOT_COPIED = new Set(['schema_migrations']);
/** Tables of ours that exist in PostgreSQL only (server/cluster/leaderLease.ts). */
const POSTGRES_ONLY_TABLES = new Set(['schema_migrations', 'cluster_leader']);

export type MigrationRefusal =
  | { code: 'sqlite_missing'; path: string }
  | { code: 'sqlite_unreadable'; path: string; sqliteCode: string }
  | { code: 'sqlite_schema_version'; found: number; expected: number }
  | { code: 'not_postgres_url' }
  | { code: 'target_foreign_schema'; unknownTables: string[]; unknownVersions: string[]; mismatchedColumns: string[] }
  | { code: 'target_not_empty'; counts: Record<string, number> }
  | { code: 'verification_failed'; table: string; sqliteRows: number; postgresRows: number; sqliteChecksum: string; postgresChecksum: string };

export interface TableCopied {
  table: string;
  rows: number;
  /** md5 of the table's rows in primary-key order (see `encodeValue`), equal on both sides. */
  checksum: string;
}

export interface MigrationSummary {
  /** In the order they were copied (referenced tables first). */
  tables: TableCopied[];
  /** Identity columns and the value each will hand out next. */
  identities: Array<{ table: string; column: string; next: number }>;
  /** The change log's newest seq, carried over, so new changes continue after it. */
  changeLogLastSeq: number;
  /** PostgreSQL migrations this run applied (empty when the schema was already there). */
  migrationsApplied: number[];
}

export type MigrationOutcome = { ok: true; summary: MigrationSummary } | { ok: false; refusal: MigrationRefusal };

export type MigrationProgress =
  | { kind: 'migrated'; versions: number[] }
  | { kind: 'copying'; table: string; copied: number; total: number }
  | { kind: 'verified'; table: string; rows: number };

export interface MigrateSqliteToPostgresOptions {
  /** The single node's SQLite file (DATA_DIR/server.sqlite), the node stopped. */
  sqlitePath: string;
  /** postgres:// or postgresql:// */
  postgresUrl: string;
  batchSize?: number;
  onProgress?: (progress: MigrationProgress) => void;
}

type ColumnKind = 'integer' | 'text' | 'bytes';

interface ColumnPlan {
  name: string;
  kind: ColumnKind;
}

interface TablePlan {
  name: string;
  columns: ColumnPlan[];
  /** Columns that order the rows: the primary key, or every column when there is none. */
  orderBy: string[];
  /** Nullable columns referencing the same table: written NULL first, set once every row exists. */
  selfReferences: string[];
}

/** A table's rows could not be written (a value PostgreSQL rejects, such as a NUL in text): the copy rolled back. */
export class TableCopyError extends Error {
  /** The database's error code (SQLSTATE), when there is one. */
  readonly code: string | undefined;

  constructor(
    readonly table: string,
    cause: unknown,
  ) {
    super(`${table}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** Thrown inside the copy's transaction to roll it back with a refusal. */
class RefusalSignal extends Error {
  constructor(readonly refusal: MigrationRefusal) {
    super(refusal.code);
  }
}

const INT8_OID = 20;
const KIND_OF_SQLITE_TYPE: Record<string, ColumnKind> = { INTEGER: 'integer', TEXT: 'text', BLOB: 'bytes' };
const POSTGRES_TYPE_OF_KIND: Record<ColumnKind, string> = { integer: 'bigint', text: 'text', bytes: 'bytea' };

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A pg client whose BIGINTs come back as their exact decimal text, for the checksum. */
function exactTypes(): pg.CustomTypesConfig {
  // pg-types declares its parsers as `any`; they take the value's text.
  const builtin = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => (value: string) => unknown;
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID ? (value: string) => value : builtin(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/** A text column's value as SQLite returns it (text, or a number SQLite's type affinity left). */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw new Error(`a text value of type ${typeof value}`);
}

/**
 * One value as the checksum sees it, the same whichever side it was read from: SQLite gives
 * bigints (safeIntegers) and PostgreSQL decimal text for integers; text and bytes are length-prefixed
 * so no two rows encode alike.
 */
export function encodeValue(hash: Hash, kind: ColumnKind, value: unknown): void {
  if (value === null || value === undefined) {
    hash.update('n;');
    return;
  }
  if (kind === 'integer') {
    hash.update(`i${integerText(value)};`);
    return;
  }
  const bytes = kind === 'bytes' ? toBytes(value) : Buffer.from(textOf(value), 'utf8');
  hash.update(`${kind === 'bytes' ? 'b' : 't'}${String(bytes.length)}:`);
  hash.update(bytes);
}

function integerText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
  throw new Error(`not an integer: ${typeof value}`);
}

/** BYTEA from a BLOB; a string stored in a BLOB column (SQLite allows it) moves as its UTF-8 bytes. */
function toBytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  return Buffer.from(String(value), 'utf8');
}

/** What PostgreSQL is sent for one SQLite value. */
function toPostgresParameter(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'integer') return integerText(value);
  if (kind === 'bytes') return toBytes(value);
  return textOf(value);
}

function parameterBytes(value: unknown): number {
  if (Buffer.isBuffer(value)) return value.length;
  return typeof value === 'string' ? value.length * 3 : 8;
}

function openSqlite(path: string): Database.Database | MigrationRefusal {
  if (!existsSync(path)) return { code: 'sqlite_missing', path };
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { code: 'sqlite_unreadable', path, sqliteCode: typeof code === 'string' ? code : 'unknown' };
  }
}

/** The SQLite file must be exactly at the newest migration this server knows: the PostgreSQL schema mirrors that one. */
function checkSqliteVersion(db: Database.Database): MigrationRefusal | null {
  const expected = Math.max(...MIGRATIONS.map((m) => m.version));
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get() !== undefined;
  const versions = hasTable ? (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>) : [];
  const found = versions.length === 0 ? 0 : Math.max(...versions.map((row) => Number(row.version)));
  const complete = MIGRATIONS.every((m) => versions.some((row) => Number(row.version) === m.version));
  return found === expected && complete ? null : { code: 'sqlite_schema_version', found, expected };
}

/** Tables, columns, order keys, and the order that puts every referenced table before the tables referencing it. */
function planTables(db: Database.Database): TablePlan[] {
  const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>)
    .map((row) => row.name)
    .filter((name) => !NOT_COPIED.has(name));
  const plans = new Map<string, TablePlan & { references: Set<string> }>();
  for (const name of names) {
    const info = db.prepare(`PRAGMA table_info(${quoteIdentifier(name)})`).all() as Array<{ name: string; type: string; notnull: number; pk: number }>;
    const foreignKeys = db.prepare(`PRAGMA foreign_key_list(${quoteIdentifier(name)})`).all() as Array<{ table: string; from: string }>;
    const columns = info.map((column) => {
      const kind = KIND_OF_SQLITE_TYPE[column.type.toUpperCase()];
      if (!kind) throw new Error(`${name}.${column.name}: unexpected SQLite type ${column.type}`);
      return { name: column.name, kind };
    });
    const primaryKey = info
      .filter((column) => column.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((column) => column.name);
    const selfReferences = foreignKeys.filter((fk) => fk.table === name).map((fk) => fk.from);
    for (const column of selfReferences) {
      if (info.find((c) => c.name === column)?.notnull) throw new Error(`${name}.${column}: a NOT NULL reference to its own table cannot be copied`);
    }
    plans.set(name, {
      name,
      columns,
      orderBy: primaryKey.length > 0 ? primaryKey : columns.map((c) => c.name),
      selfReferences,
      references: new Set(foreignKeys.map((fk) => fk.table).filter((table) => table !== name)),
    });
  }
  const ordered: TablePlan[] = [];
  const placed = new Set<string>();
  while (placed.size < plans.size) {
    const ready = [...plans.values()].filter((plan) => !placed.has(plan.name) && [...plan.references].every((ref) => placed.has(ref) || !plans.has(ref)));
    if (ready.length === 0) throw new Error('the foreign keys between tables form a cycle');
    for (const plan of ready) {
      placed.add(plan.name);
      ordered.push({ name: plan.name, columns: plan.columns, orderBy: plan.orderBy, selfReferences: plan.selfReferences });
    }
  }
  return ordered;
}

/**
 * Before anything is written: the target holds nothing but OmniDesk's tables, its schema
 * versions are ones this server knows, and none of our tables exists without them.
 */
async function checkTargetSchema(client: pg.Client, ourTables: ReadonlySet<string>): Promise<MigrationRefusal | null> {
  const tables = (
    await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")
  ).rows.map((row) => row.name);
  const unknownTables = tables.filter((name) => !ourTables.has(name) && !POSTGRES_ONLY_TABLES.has(name));
  let unknownVersions: string[] = [];
  if (tables.includes('schema_migrations')) {
    try {
      const rows = (
        await client.query<{ version: string; name: string }>('SELECT version::text AS version, name::text AS name FROM schema_migrations ORDER BY 1')
      ).rows;
      unknownVersions = rows
        .filter((row) => !POSTGRES_MIGRATIONS.some((m) => String(m.version) === row.version && m.name === row.name))
        .map((row) => `${row.version} ${row.name}`);
    } catch {
      unknownVersions = ['(schema_migrations of another shape)'];
    }
  } else if (tables.some((name) => ourTables.has(name))) {
    // Our tables without our bookkeeping: made by hand or by another tool.
    unknownVersions = ['(no schema_migrations)'];
  }
  return unknownTables.length > 0 || unknownVersions.length > 0
    ? { code: 'target_foreign_schema', unknownTables, unknownVersions, mismatchedColumns: [] }
    : null;
}

/** After the PostgreSQL migrations: every table and column the copy writes exists with the mapped type. */
async function checkTargetColumns(client: pg.Client, plans: readonly TablePlan[]): Promise<MigrationRefusal | null> {
  const rows = (
    await client.query<{ table_name: string; column_name: string; data_type: string }>(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'",
    )
  ).rows;
  const typeOf = new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row.data_type]));
  const mismatchedColumns = plans.flatMap((plan) =>
    plan.columns
      .filter((column) => typeOf.get(`${plan.name}.${column.name}`) !== POSTGRES_TYPE_OF_KIND[column.kind])
      .map((column) => `${plan.name}.${column.name}`),
  );
  return mismatchedColumns.length > 0 ? { code: 'target_foreign_schema', unknownTables: [], unknownVersions: [], mismatchedColumns } : null;
}

/** Rows already in the target's tables (a fresh baseline's change-log state row does not count). */
async function countTargetRows(client: pg.Client, plans: readonly TablePlan[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const plan of plans) {
    const freshRowsExcluded = plan.name === 'change_log_state' ? ' WHERE NOT (id = 1 AND last_seq = 0 AND first_retained_seq = 1)' : '';
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdentifier(plan.name)}${freshRowsExcluded}`);
    const n = Number(rows[0]!.n);
    if (n > 0) counts[plan.name] = n;
  }
  return counts;
}

async function copyTable(
  sqlite: Database.Database,
  client: pg.Client,
  plan: TablePlan,
  batchSize: number,
  onProgress: (progress: MigrationProgress) => void,
): Promise<TableCopied> {
  const columnList = plan.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const total = Number((sqlite.prepare(`SELECT count(*) AS n FROM ${quoteIdentifier(plan.name)}`).get() as { n: number }).n);
  const select = sqlite
    .prepare(`SELECT ${columnList} FROM ${quoteIdentifier(plan.name)} ORDER BY ${plan.orderBy.map(quoteIdentifier).join(', ')}`)
    .raw(true)
    .safeIntegers(true);
  const selfReferenceIndexes = plan.selfReferences.map((name) => plan.columns.findIndex((c) => c.name === name));
  const hash = createHash('md5');
  const deferred: unknown[][] = [];
  let batch: unknown[][] = [];
  let batchBytes = 0;
  let copied = 0;

  async function flush(): Promise<void> {
    if (batch.length === 0) return;
    const values: unknown[] = [];
    const tuples = batch.map((row) => {
      const placeholders = row.map((value) => {
        values.push(value);
        return `$${String(values.length)}`;
      });
      return `(${placeholders.join(', ')})`;
    });
    await client.query(`INSERT INTO ${quoteIdentifier(plan.name)} (${columnList}) VALUES ${tuples.join(', ')}`, values);
    copied += batch.length;
    batch = [];
    batchBytes = 0;
    onProgress({ kind: 'copying', table: plan.name, copied, total });
  }

  for (const row of select.iterate() as Iterable<unknown[]>) {
    plan.columns.forEach((column, i) => encodeValue(hash, column.kind, row[i]));
    hash.update('\n');
    const parameters = plan.columns.map((column, i) => toPostgresParameter(column.kind, row[i]));
    if (selfReferenceIndexes.some((i) => parameters[i] !== null)) {
      deferred.push([...parameters]);
      for (const i of selfReferenceIndexes) parameters[i] = null;
    }
    batch.push(parameters);
    batchBytes += parameters.reduce<number>((sum, value) => sum + parameterBytes(value), 0);
    if (batch.length >= batchSize || batchBytes >= BATCH_BYTE_BUDGET) await flush();
  }
  await flush();
  if (total === 0) onProgress({ kind: 'copying', table: plan.name, copied: 0, total: 0 });

  // Rows pointing into their own table (a merged customer's merged_into) once every row exists.
  if (deferred.length > 0) {
    const keyIndexes = plan.orderBy.map((name) => plan.columns.findIndex((c) => c.name === name));
    const assignments = plan.selfReferences.map((name, i) => `${quoteIdentifier(name)} = $${String(i + 1)}`).join(', ');
    const where = plan.orderBy.map((name, i) => `${quoteIdentifier(name)} = $${String(plan.selfReferences.length + i + 1)}`).join(' AND ');
    const update = `UPDATE ${quoteIdentifier(plan.name)} SET ${assignments} WHERE ${where}`;
    for (const row of deferred) {
      await client.query(update, [...selfReferenceIndexes.map((i) => row[i]), ...keyIndexes.map((i) => row[i])]);
    }
  }
  return { table: plan.name, rows: copied, checksum: hash.digest('hex') };
}

/** The copy as PostgreSQL holds it, read back in the same order and encoded the same way. */
async function checksumTarget(client: pg.Client, plan: TablePlan): Promise<{ rows: number; checksum: string }> {
  const columnList = plan.columns.map((c) => quoteIdentifier(c.name)).join(', ');
  // "C" orders text by bytes, as SQLite's BINARY collation does.
  const orderBy = plan.orderBy
    .map((name) => (plan.columns.find((c) => c.name === name)?.kind === 'text' ? `${quoteIdentifier(name)} COLLATE "C"` : quoteIdentifier(name)))
    .join(', ');
  await client.query(`DECLARE verify_rows NO SCROLL CURSOR FOR SELECT ${columnList} FROM ${quoteIdentifier(plan.name)} ORDER BY ${orderBy}`);
  const fetchSize = plan.columns.some((c) => c.kind === 'bytes') ? VERIFY_FETCH_SIZE_WITH_BYTES : VERIFY_FETCH_SIZE;
  const hash = createHash('md5');
  let rows = 0;
  for (;;) {
    const result = await client.query<unknown[]>({ text: `FETCH ${String(fetchSize)} FROM verify_rows`, rowMode: 'array' });
    for (const row of result.rows) {
      plan.columns.forEach((column, i) => encodeValue(hash, column.kind, row[i]));
      hash.update('\n');
    }
    rows += result.rows.length;
    if (result.rows.length < fetchSize) break;
  }
  await client.query('CLOSE verify_rows');
  return { rows, checksum: hash.digest('hex') };
}

/** Every identity column hands out max(id) + 1 next, so new audit rows do not collide with copied ones. */
async function resetIdentities(client: pg.Client): Promise<MigrationSummary['identities']> {
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND is_identity = 'YES' ORDER BY table_name",
  );
  const identities: MigrationSummary['identities'] = [];
  for (const { table_name: table, column_name: column } of rows) {
    const { rows: next } = await client.query<{ next: string }>(
      `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(max(${quoteIdentifier(column)}), 0) + 1, false)::text AS next FROM ${quoteIdentifier(table)}`,
      [quoteIdentifier(table), column],
    );
    identities.push({ table, column, next: Number(next[0]!.next) });
  }
  return identities;
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Copies the SQLite database at `sqlitePath` into the empty PostgreSQL database at
 * `postgresUrl` (see the file comment). Resolves with a summary, or with a refusal when
 * nothing was written to the target's tables (the PostgreSQL migrations may have run).
 * Throws on failures of the databases themselves, and `TableCopyError` for rows PostgreSQL
 * rejects, after rolling the copy back.
 */
export async function migrateSqliteToPostgres(options: MigrateSqliteToPostgresOptions): Promise<MigrationOutcome> {
  const onProgress = options.onProgress ?? (() => undefined);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!isPostgresUrl(options.postgresUrl)) return { ok: false, refusal: { code: 'not_postgres_url' } };
  const sqlite = openSqlite(options.sqlitePath);
  if (!(sqlite instanceof Database)) return { ok: false, refusal: sqlite };
  const client = new pg.Client({ connectionString: options.postgresUrl, types: exactTypes(), application_name: 'omnidesk-migrate' });
  // A connection lost between queries must fail the next query (and so the copy), not crash the process.
  client.on('error', () => undefined);
  try {
    const versionRefusal = checkSqliteVersion(sqlite);
    if (versionRefusal) return { ok: false, refusal: versionRefusal };
    // One read transaction: every table is read from the same snapshot of the file.
    sqlite.exec('BEGIN');
    const plans = planTables(sqlite);
    await client.connect();
    const foreign = await checkTargetSchema(client, new Set(plans.map((plan) => plan.name)));
    if (foreign) return { ok: false, refusal: foreign };

    const target = openPostgresDatabase({ connectionString: options.postgresUrl, maxConnections: 1 });
    let migrationsApplied: number[];
    try {
      migrationsApplied = await migratePostgres(target);
    } finally {
      await target.close();
    }
    onProgress({ kind: 'migrated', versions: migrationsApplied });
    const columns = await checkTargetColumns(client, plans);
    if (columns) return { ok: false, refusal: columns };

    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [COPY_LOCK_KEY]);
      const counts = await countTargetRows(client, plans);
      if (Object.keys(counts).length > 0) throw new RefusalSignal({ code: 'target_not_empty', counts });
      // The baseline seeds the change log's state row; the copied one replaces it.
      await client.query('DELETE FROM change_log_state');
      const tables: TableCopied[] = [];
      for (const plan of plans) {
        try {
          tables.push(await copyTable(sqlite, client, plan, batchSize, onProgress));
        } catch (error) {
          throw new TableCopyError(plan.name, error);
        }
      }
      for (const [i, plan] of plans.entries()) {
        const copied = tables[i]!;
        const actual = await checksumTarget(client, plan);
        if (actual.rows !== copied.rows || actual.checksum !== copied.checksum) {
          throw new RefusalSignal({
            code: 'verification_failed',
            table: plan.name,
            sqliteRows: copied.rows,
            postgresRows: actual.rows,
            sqliteChecksum: copied.checksum,
            postgresChecksum: actual.checksum,
          });
        }
        onProgress({ kind: 'verified', table: plan.name, rows: actual.rows });
      }
      const identities = await resetIdentities(client);
      const state = await client.query<{ last_seq: string }>('SELECT last_seq FROM change_log_state WHERE id = 1');
      await client.query('COMMIT');
      return { ok: true, summary: { tables, identities, changeLogLastSeq: Number(state.rows[0]?.last_seq ?? 0), migrationsApplied } };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (error instanceof RefusalSignal) return { ok: false, refusal: error.refusal };
      throw error;
    }
  } finally {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    sqlite.close();
    await client.end().catch(() => undefined);
  }
}
