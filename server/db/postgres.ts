/**
 * The PostgreSQL backend (node-postgres): a pool of connections, each statement prepared
 * once per connection under a stable name, `?` placeholders numbered for PostgreSQL, BIGINT
 * and NUMERIC read back as JavaScript numbers (every integer here is an epoch-ms time, a
 * seq or a count, all far below 2^53). Transactions run at READ COMMITTED unless asked for
 * SERIALIZABLE; code that reads, decides and writes locks what it decides on
 * (`SELECT … FOR UPDATE`), and a serialization failure or deadlock runs the unit again.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import {
  HookScope,
  NestedTransactionError,
  isRetryableTransactionError,
  type SqlDatabase,
  type SqlExecutor,
  type SqlRunResult,
  type SqlValue,
  type Transaction,
  type TransactionHook,
  type TransactionOptions,
} from './sql.js';

export interface PostgresDatabaseOptions {
  /** postgres://user@host:port/database */
  connectionString: string;
  /** Connections in the pool; default 10. */
  maxConnections?: number;
  log?: (line: string) => void;
}

export interface PostgresTransactionOptions extends TransactionOptions {
  isolation?: 'read committed' | 'serializable';
}

export interface PostgresDatabase extends SqlDatabase {
  readonly pool: pg.Pool;
  withTransaction<T>(fn: (tx: Transaction) => Promise<T>, options?: PostgresTransactionOptions): Promise<T>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** Type parsers of this pool only (the global pg.types are left alone). */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    // pg-types declares its parsers' type as any; each is a function of the text value.
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

const numberedCache = new Map<string, { text: string; name: string }>();

/**
 * `?` → `$1, $2…` outside quoted strings and identifiers, once per distinct text; the
 * statement's name makes node-postgres prepare it once per connection.
 */
export function numberPlaceholders(text: string): { text: string; name: string } {
  let cached = numberedCache.get(text);
  if (cached) return cached;
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = null;
      out += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      out += char;
    } else if (char === '?') {
      out += `$${String(++n)}`;
    } else {
      out += char;
    }
  }
  cached = { text: out, name: `omnidesk_${String(numberedCache.size + 1)}` };
  numberedCache.set(text, cached);
  return cached;
}

function toPgValue(value: SqlValue): unknown {
  return value instanceof Uint8Array && !Buffer.isBuffer(value) ? Buffer.from(value) : value;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

function executorOver(client: () => Queryable): Omit<SqlExecutor, 'dialect'> {
  async function query<Row>(text: string, params: readonly SqlValue[]): Promise<pg.QueryResult<pg.QueryResultRow & Row>> {
    const { text: numbered, name } = numberPlaceholders(text);
    return client().query<pg.QueryResultRow & Row>({ name, text: numbered, values: params.map(toPgValue) });
  }
  return {
    async all<Row>(text: string, params: readonly SqlValue[] = []): Promise<Row[]> {
      return (await query<Row>(text, params)).rows;
    },
    async allArrays(text: string, params: readonly SqlValue[] = []): Promise<unknown[][]> {
      const { text: numbered, name } = numberPlaceholders(text);
      return (await client().query<unknown[]>({ name, text: numbered, values: params.map(toPgValue), rowMode: 'array' })).rows;
    },
    async get<Row>(text: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
      return (await query<Row>(text, params)).rows[0];
    },
    async run(text: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
      return { changes: (await query(text, params)).rowCount ?? 0 };
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function openPostgresDatabase(options: PostgresDatabaseOptions): PostgresDatabase {
  const log = options.log ?? ((line: string) => console.error(line));
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10, types: typeParsers });
  // An idle connection that dies (server restart, network) must not crash the process.
  pool.on('error', (error) => log(`postgres: idle connection failed: ${error.message}`));
  const outside = executorOver(() => pool);
  const inTransaction = new AsyncLocalStorage<true>();
  const report = (error: unknown, kind: string) => log(`${kind} hook failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);

  function transactionOver(client: pg.PoolClient, scope: HookScope, savepoints: { n: number }): Transaction {
    const inside = executorOver(() => client);
    let nestedTail: Promise<unknown> = Promise.resolve();
    return {
      dialect: 'postgres',
      ...inside,
      afterCommit: (hook: TransactionHook) => scope.onCommit(hook),
      afterRollback: (hook: TransactionHook) => scope.onRollback(hook),
      nested<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
        const run = async (): Promise<T> => {
          const name = `sp_${String(++savepoints.n)}`;
          const child = new HookScope(report);
          await client.query(`SAVEPOINT ${name}`);
          try {
            const result = await fn(transactionOver(client, child, savepoints));
            await client.query(`RELEASE SAVEPOINT ${name}`);
            child.mergeInto(scope);
            return result;
          } catch (error) {
            await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
            await client.query(`RELEASE SAVEPOINT ${name}`);
            await child.settle(false);
            throw error;
          }
        };
        // Savepoints of one transaction take turns.
        const result = nestedTail.then(run, run);
        nestedTail = result.catch(() => undefined);
        return result;
      },
    };
  }

  async function attempt<T>(fn: (tx: Transaction) => Promise<T>, isolation: string): Promise<T> {
    const client = await pool.connect();
    const scope = new HookScope(report);
    let result: T;
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
      result = await inTransaction.run(true, () => fn(transactionOver(client, scope, { n: 0 })));
      await client.query('COMMIT');
    } catch (error) {
      let broken = false;
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      client.release(broken ? true : undefined);
      await scope.settle(false);
      throw error;
    }
    client.release();
    await scope.settle(true);
    return result;
  }

  return {
    dialect: 'postgres',
    pool,
    ...outside,
    async withTransaction<T>(fn: (tx: Transaction) => Promise<T>, txOptions: PostgresTransactionOptions = {}): Promise<T> {
      if (inTransaction.getStore()) throw new NestedTransactionError();
      const retries = txOptions.retries ?? 5;
      for (let attemptNo = 0; ; attemptNo++) {
        try {
          return await attempt(fn, txOptions.isolation ?? 'read committed');
        } catch (error) {
          if (!isRetryableTransactionError(error) || attemptNo >= retries) throw error;
          // Back off a little, with jitter, so the transactions that collided do not collide again.
          await sleep(Math.random() * 5 * 2 ** attemptNo);
        }
      }
    },
    async close() {
      await pool.end();
    },
  };
}
