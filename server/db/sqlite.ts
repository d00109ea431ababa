/**
 * The embedded backend: one SQLite file through better-sqlite3. better-sqlite3 is
 * synchronous, so each call resolves at once; what makes it safe to hide behind promises is
 * that transactions take turns (an async mutex: one writer, as SQLite wants) and that
 * reads outside a transaction go to a second, read-only connection while a transaction is
 * open, which sees committed data only (WAL), never the half-done work of a transaction that
 * is awaiting something; with none open they go to the writer, whose page cache is warm.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3-multiple-ciphers';
import { createBoundedMap } from '../../shared/boundedMap.js';
import {
  HookScope,
  NestedTransactionError,
  createTurns,
  type SqlDatabase,
  type SqlExecutor,
  type SqlRunResult,
  type SqlValue,
  type Transaction,
  type TransactionHook,
} from './sql.js';

export interface SqliteDatabaseOptions {
  filePath: string;
  /** Runs on the writer connection before anything else (the numbered migrations). */
  migrate?: (db: Database.Database) => void;
  /** Where failing hooks are reported. */
  log?: (line: string) => void;
}

/** The SQLite database, plus the writer connection for the few callers that need the driver (migrations, backups). */
export interface SqliteDatabase extends SqlDatabase {
  readonly filePath: string;
  readonly writer: Database.Database;
}

type Statement = Database.Statement<unknown[], unknown>;

/** Prepared statements kept per connection; more distinct texts push out the least recently prepared. */
const STATEMENTS_KEPT = 500;

function executorOver(connection: Database.Database): Omit<SqlExecutor, 'dialect'> & { statement(text: string): Statement } {
  // Bounded: a text built per call (an IN list, a filter combination) would otherwise keep a statement for ever.
  const statements = createBoundedMap<string, Statement>(STATEMENTS_KEPT);
  function statement(text: string): Statement {
    let prepared = statements.get(text);
    if (!prepared) {
      prepared = connection.prepare(text);
      statements.set(text, prepared);
    }
    return prepared;
  }
  return {
    statement,
    /* eslint-disable @typescript-eslint/require-await -- better-sqlite3 is synchronous, yet a driver error must reject as on PostgreSQL, not throw at the caller */
    async all<Row>(text: string, params: readonly SqlValue[] = []): Promise<Row[]> {
      return statement(text).all(...params) as Row[];
    },
    async allArrays(text: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
      // The prepared statement is shared with `all`: raw mode only for this synchronous call.
      const prepared = statement(text);
      try {
        return prepared.raw(true).all(...params) as unknown[][];
      } finally {
        prepared.raw(false);
      }
    },
    async get<Row>(text: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
      return statement(text).get(...params) as Row | undefined;
    },
    async run(text: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
      return { changes: statement(text).run(...params).changes };
    },
    /* eslint-enable @typescript-eslint/require-await */
  };
}

export function openSqliteDatabase(options: SqliteDatabaseOptions): SqliteDatabase {
  const log = options.log ?? ((line: string) => console.error(line));
  const writer = new Database(options.filePath);
  writer.pragma('journal_mode = WAL');
  writer.pragma('synchronous = FULL');
  writer.pragma('foreign_keys = ON');
  writer.pragma('busy_timeout = 5000');
  options.migrate?.(writer);
  const reader = new Database(options.filePath, { readonly: true });
  reader.pragma('busy_timeout = 5000');

  const writes = executorOver(writer);
  const reads = executorOver(reader);
  const inTransaction = new AsyncLocalStorage<true>();
  const nextTurn = createTurns();
  const report = (error: unknown, kind: string) => log(`${kind} hook failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  let savepoints = 0;

  function transactionOver(scope: HookScope): Transaction {
    // Savepoints of one transaction must not interleave: each nested unit waits for the previous one.
    const nestedTurn = createTurns();
    return {
      dialect: 'sqlite',
      all: writes.all,
      allArrays: writes.allArrays,
      get: writes.get,
      run: writes.run,
      afterCommit: (hook: TransactionHook) => scope.onCommit(hook),
      afterRollback: (hook: TransactionHook) => scope.onRollback(hook),
      async nested<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
        const release = await nestedTurn();
        const name = `sp_${String(++savepoints)}`;
        const child = new HookScope(report);
        writer.exec(`SAVEPOINT ${name}`);
        try {
          const result = await fn(transactionOver(child));
          writer.exec(`RELEASE ${name}`);
          child.mergeInto(scope);
          return result;
        } catch (error) {
          writer.exec(`ROLLBACK TO ${name}`);
          writer.exec(`RELEASE ${name}`);
          await child.settle(false);
          throw error;
        } finally {
          release();
        }
      },
    };
  }

  /*
   * A read outside a transaction goes to the writer connection when no transaction is open on it
   * (it then sees exactly what is committed, as the reader does) and the statement writes nothing.
   * Why: a connection starting a read after another connection committed drops its page cache,
   * so the reader, behind every commit of the writer, read its pages afresh each time; the
   * writer's cache survives its own commits (an indexed lookup just after a commit: ~40 % less
   * time on the writer, benchmarks.md "Ingest CPU, taken apart"). While a transaction is open
   * (awaiting something) the reader still serves, so its half-done work stays unseen.
   */
  function readerFor(text: string): typeof reads {
    if (writer.inTransaction) return reads;
    return writes.statement(text).readonly ? writes : reads;
  }

  let closed = false;
  const database: SqliteDatabase = {
    dialect: 'sqlite',
    filePath: options.filePath,
    writer,
    // async: a statement that fails to prepare must reject, not throw at the caller.
    all: async (text, params) => readerFor(text).all(text, params),
    allArrays: async (text, params) => readerFor(text).allArrays(text, params),
    get: async (text, params) => readerFor(text).get(text, params),
    // A write outside a transaction is a transaction of its own: on the shared writer connection it would otherwise join whichever transaction is open.
    run: (text, params) => database.withTransaction((tx) => tx.run(text, params)),
    async withTransaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      if (inTransaction.getStore()) throw new NestedTransactionError();
      const release = await nextTurn();
      const scope = new HookScope(report);
      let result: T;
      try {
        writer.exec('BEGIN IMMEDIATE');
        result = await inTransaction.run(true, () => fn(transactionOver(scope)));
        writer.exec('COMMIT');
      } catch (error) {
        if (writer.inTransaction) writer.exec('ROLLBACK');
        release();
        await scope.settle(false);
        throw error;
      }
      release();
      await scope.settle(true);
      return result;
    },
    async close() {
      if (closed) return;
      closed = true;
      // Wait for the running transaction, if any, then close both connections.
      const release = await nextTurn();
      reader.close();
      writer.close();
      release();
    },
  };
  return database;
}
