/**
 * The one seam between the server's repositories and a database: plain SQL with `?`
 * placeholders, async everywhere (node-postgres has no synchronous API), explicit
 * transactions with after-commit / after-rollback hooks, nested units as savepoints.
 * Two implementations: embedded SQLite (`sqlite.ts`, the default) and PostgreSQL
 * (`postgres.ts`, several nodes). See docs/technical/storage.md.
 */

export type SqlDialect = 'sqlite' | 'postgres';

/** What a parameter may be: text, a number (integers are epoch ms or counters), bytes, or NULL. */
export type SqlValue = string | number | bigint | Buffer | Uint8Array | null;

export interface SqlRunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** Runs statements. SQL uses `?` placeholders on both backends; the PostgreSQL side numbers them. */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  all<Row>(text: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** The rows as arrays in the select's column order: no object per row (a bootstrap page reads thousands; the driver's objects cost twice the SQL). */
  allArrays(text: string, params?: readonly SqlValue[]): Promise<unknown[][]>;
  get<Row>(text: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  run(text: string, params?: readonly SqlValue[]): Promise<SqlRunResult>;
}

/** A function run after the outermost transaction commits (or rolls back); its failure is logged, never thrown. */
export type TransactionHook = () => void | Promise<void>;

/** An open transaction (or a savepoint inside one). */
export interface Transaction extends SqlExecutor {
  /**
   * Runs `hook` once the OUTERMOST transaction has committed. Registered inside a savepoint
   * that rolls back, it never runs as committed: it is dropped (and the savepoint's
   * after-rollback hooks run instead).
   */
  afterCommit(hook: TransactionHook): void;
  /** Runs `hook` when what this unit wrote is undone: its savepoint or the whole transaction rolled back. */
  afterRollback(hook: TransactionHook): void;
  /** Runs `fn` in a savepoint: a throw undoes only what `fn` wrote, then rethrows. */
  nested<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

export interface TransactionOptions {
  /**
   * How often to run `fn` again when the database reports a serialization failure or a
   * deadlock (PostgreSQL 40001 / 40P01); `fn` must then have no effect outside the
   * transaction except through hooks. Default 5.
   */
  retries?: number;
}

export interface SqlDatabase extends SqlExecutor {
  /** Reads and writes outside `withTransaction` see committed data only. */
  withTransaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

/** Thrown when code that holds a transaction asks for a second one (it would wait for itself on SQLite). */
export class NestedTransactionError extends Error {
  constructor() {
    super('withTransaction was called inside a transaction; use tx.nested(...) for a savepoint.');
  }
}

/**
 * The hooks of one transaction unit. A savepoint's scope is merged into its parent when it
 * is released, and settled as rolled back when it is rolled back; the outermost scope is
 * settled by the commit or the rollback.
 */
export class HookScope {
  private readonly commitHooks: TransactionHook[] = [];
  private readonly rollbackHooks: TransactionHook[] = [];

  constructor(private readonly report: (error: unknown, kind: 'after-commit' | 'after-rollback') => void) {}

  onCommit(hook: TransactionHook): void {
    this.commitHooks.push(hook);
  }

  onRollback(hook: TransactionHook): void {
    this.rollbackHooks.push(hook);
  }

  /** A released savepoint: its hooks now wait for the parent's outcome. */
  mergeInto(parent: HookScope): void {
    for (const hook of this.commitHooks) parent.onCommit(hook);
    for (const hook of this.rollbackHooks) parent.onRollback(hook);
  }

  /** Commit hooks run in the order registered; rollback hooks newest first, as an undo log unwinds. */
  async settle(committed: boolean): Promise<void> {
    const hooks = committed ? this.commitHooks : [...this.rollbackHooks].reverse();
    for (const hook of hooks) {
      try {
        await hook();
      } catch (error) {
        this.report(error, committed ? 'after-commit' : 'after-rollback');
      }
    }
  }
}

/** The error codes after which PostgreSQL asks for the transaction to be run again. */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40001' || code === '40P01';
}

/** A field of a TEXT column holding JSON, as text: `json_extract` on SQLite, `#>>` on PostgreSQL. */
/** The most values an `IN (…)` list of `inList` holds: under every driver's parameter limit. */
export const IN_LIST_MAX = 500;
const IN_LIST_SIZES = [8, 64, IN_LIST_MAX] as const;

/**
 * `(?, ?, …)` and its values for an `IN` test of 1 to IN_LIST_MAX values, padded (the first
 * value repeated: a repeated value matches once) to one of three lengths. The statement caches
 * (better-sqlite3's, by text) and PostgreSQL's prepared statements (one per text and connection)
 * then hold three texts, not one per length.
 */
export function inList<T extends SqlValue>(values: readonly T[]): { sql: string; params: T[] } {
  const size = IN_LIST_SIZES.find((n) => n >= values.length);
  if (values.length === 0 || size === undefined) throw new RangeError(`an IN list holds 1 to ${String(IN_LIST_MAX)} values, not ${String(values.length)}`);
  const params = [...values, ...Array<T>(size - values.length).fill(values[0]!)];
  return { sql: `(${params.map(() => '?').join(', ')})`, params };
}

export function jsonTextSql(dialect: SqlDialect, column: string, path: readonly string[]): string {
  return dialect === 'sqlite' ? `json_extract(${column}, '$.${path.join('.')}')` : `(${column}::jsonb #>> '{${path.join(',')}}')`;
}

/** The larger of two numbers: SQLite's scalar MAX, PostgreSQL's GREATEST. */
export function greatestSql(dialect: SqlDialect, a: string, b: string): string {
  return `${dialect === 'sqlite' ? 'MAX' : 'GREATEST'}(${a}, ${b})`;
}

/** One-at-a-time turns for an async critical section; each turn is released by calling what the promise gives. */
export function createTurns(): () => Promise<() => void> {
  let tail: Promise<void> = Promise.resolve();
  return () => {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const acquired = tail.then(() => release);
    tail = tail.then(() => turn);
    return acquired;
  };
}
