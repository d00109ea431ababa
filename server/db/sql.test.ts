/**
 * The database seam's contract, run against both backends: embedded SQLite (a real file)
 * and a real PostgreSQL database created for this file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { openPostgresDatabase, numberPlaceholders, type PostgresDatabase } from './postgres.js';
import { IN_LIST_MAX, NestedTransactionError, inList, type SqlDatabase } from './sql.js';
import { openSqliteDatabase } from './sqlite.js';

interface Backend {
  name: string;
  open(): SqlDatabase | Promise<SqlDatabase>;
  cleanup(): void | Promise<void>;
}

const SCHEMA = [
  'CREATE TABLE items (id TEXT PRIMARY KEY, n BIGINT NOT NULL, data BYTEA)',
  'CREATE TABLE counters (id INTEGER PRIMARY KEY, value BIGINT NOT NULL)',
  'INSERT INTO counters (id, value) VALUES (1, 0)',
];

function sqliteBackend(): Backend {
  const dir = mkdtempSync(path.join(tmpdir(), 'omnidesk-sql-'));
  return {
    name: 'sqlite',
    open() {
      return openSqliteDatabase({
        filePath: path.join(dir, 'test.sqlite'),
        // SQLite takes BYTEA as a column type name with BLOB affinity.
        migrate: (db) => db.exec(SCHEMA.join(';\n')),
      });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBackend(): Backend {
  let test: TestDatabase | null = null;
  return {
    name: 'postgres',
    async open() {
      test = await createTestDatabase();
      const db = openPostgresDatabase({ connectionString: test.url, maxConnections: 4 });
      for (const statement of SCHEMA) await db.run(statement);
      return db;
    },
    async cleanup() {
      await test?.drop();
    },
  };
}

for (const make of [sqliteBackend, postgresBackend]) {
  const backend = make();
  describe(`the SQL seam on ${backend.name}`, () => {
    let db: SqlDatabase;
    beforeAll(async () => {
      db = await backend.open();
    });
    afterAll(async () => {
      await db.close();
      await backend.cleanup();
    });

    it('binds ? placeholders, reads integers as numbers and bytes as Buffers', async () => {
      const when = Date.UTC(2026, 11, 4, 9, 30);
      await db.run('INSERT INTO items (id, n, data) VALUES (?, ?, ?)', ['工单-1', when, Buffer.from('你好')]);
      const row = await db.get<{ id: string; n: number; data: Buffer }>('SELECT id, n, data FROM items WHERE id = ?', ['工单-1']);
      expect(row).toEqual({ id: '工单-1', n: when, data: Buffer.from('你好') });
      const count = await db.get<{ c: number }>('SELECT COUNT(*) AS c FROM items');
      expect(count?.c).toBe(1);
      expect(await db.get('SELECT id FROM items WHERE id = ?', ['none'])).toBeUndefined();
      // A ? inside a string literal is text, not a placeholder.
      expect(await db.get<{ q: string }>("SELECT '?' AS q")).toEqual({ q: '?' });
    });

    it('reads rows as arrays in the select order with the same values as objects, and the same statement still gives objects after', async () => {
      const when = Date.UTC(2026, 11, 6, 15, 0);
      await db.run('INSERT INTO items (id, n, data) VALUES (?, ?, ?)', ['工单-arrays-2', when + 1, null]);
      await db.run('INSERT INTO items (id, n, data) VALUES (?, ?, ?)', ['工单-arrays-1', when, Buffer.from('字节')]);
      const text = "SELECT data, id, n FROM items WHERE id LIKE '工单-arrays-%' ORDER BY id";
      expect(await db.allArrays(text)).toEqual([
        [Buffer.from('字节'), '工单-arrays-1', when],
        [null, '工单-arrays-2', when + 1],
      ]);
      expect(await db.all(text)).toEqual([
        { data: Buffer.from('字节'), id: '工单-arrays-1', n: when },
        { data: null, id: '工单-arrays-2', n: when + 1 },
      ]);
      // Inside a transaction too, and with parameters; none matching is an empty list.
      await db.withTransaction(async (tx) => {
        expect(await tx.allArrays('SELECT n FROM items WHERE id = ?', ['工单-arrays-2'])).toEqual([[when + 1]]);
        expect(await tx.allArrays('SELECT n FROM items WHERE id = ?', ['none'])).toEqual([]);
      });
    });

    it('commits a transaction as a whole and runs its after-commit hooks after the commit, in order', async () => {
      const seen: string[] = [];
      await db.withTransaction(async (tx) => {
        await tx.run('INSERT INTO items (id, n) VALUES (?, ?)', ['a', 1]);
        tx.afterCommit(async () => {
          // Committed data is visible from outside by the time the hook runs.
          const row = await db.get<{ n: number }>('SELECT n FROM items WHERE id = ?', ['a']);
          seen.push(`commit-1:${String(row?.n)}`);
        });
        tx.afterCommit(() => void seen.push('commit-2'));
        tx.afterRollback(() => void seen.push('rollback'));
        // Outside the transaction nothing is visible yet.
        expect(await db.get('SELECT n FROM items WHERE id = ?', ['a'])).toBeUndefined();
        seen.push('body');
      });
      expect(seen).toEqual(['body', 'commit-1:1', 'commit-2']);
    });

    it('rolls back everything on a throw and runs only the after-rollback hooks', async () => {
      const seen: string[] = [];
      await expect(
        db.withTransaction(async (tx) => {
          await tx.run('INSERT INTO items (id, n) VALUES (?, ?)', ['b', 2]);
          tx.afterCommit(() => void seen.push('commit'));
          tx.afterRollback(() => void seen.push('rollback'));
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(seen).toEqual(['rollback']);
      expect(await db.get('SELECT n FROM items WHERE id = ?', ['b'])).toBeUndefined();
    });

    it('undoes only a failed savepoint: its commit hooks never run, its rollback hooks do, the rest commits', async () => {
      const seen: string[] = [];
      await db.withTransaction(async (tx) => {
        await tx.nested(async (inner) => {
          await inner.run('INSERT INTO items (id, n) VALUES (?, ?)', ['kept', 3]);
          inner.afterCommit(() => void seen.push('kept:commit'));
          inner.afterRollback(() => void seen.push('kept:rollback'));
        });
        await expect(
          tx.nested(async (inner) => {
            await inner.run('INSERT INTO items (id, n) VALUES (?, ?)', ['dropped', 4]);
            inner.afterCommit(() => void seen.push('dropped:commit'));
            inner.afterRollback(() => void seen.push('dropped:rollback'));
            throw new Error('bad contact');
          }),
        ).rejects.toThrow('bad contact');
        seen.push('outer-continues');
      });
      expect(seen).toEqual(['dropped:rollback', 'outer-continues', 'kept:commit']);
      expect(await db.get('SELECT n FROM items WHERE id = ?', ['kept'])).toEqual({ n: 3 });
      expect(await db.get('SELECT n FROM items WHERE id = ?', ['dropped'])).toBeUndefined();
    });

    it('a savepoint that succeeded is still undone, with its rollback hooks, when the outer transaction fails', async () => {
      const seen: string[] = [];
      await expect(
        db.withTransaction(async (tx) => {
          await tx.nested(async (inner) => {
            await inner.run('INSERT INTO items (id, n) VALUES (?, ?)', ['inner-ok', 5]);
            inner.afterCommit(() => void seen.push('commit'));
            inner.afterRollback(() => void seen.push('rollback'));
          });
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');
      expect(seen).toEqual(['rollback']);
      expect(await db.get('SELECT n FROM items WHERE id = ?', ['inner-ok'])).toBeUndefined();
    });

    it('refuses a transaction started inside another one', async () => {
      await expect(db.withTransaction(async () => db.withTransaction(() => Promise.resolve(1)))).rejects.toBeInstanceOf(NestedTransactionError);
    });

    it('a read outside a transaction sees what is committed, never the rows of a transaction still open; a write passed as a read is refused', async () => {
      // On SQLite such a read goes to the writer connection whenever no transaction is open on it: this pins that it never sees one that is.
      await db.run('INSERT INTO items (id, n) VALUES (?, ?)', ['工单-read-before', 1]);
      expect(await db.get('SELECT n FROM items WHERE id = ?', ['工单-read-before'])).toEqual({ n: 1 });
      let letCommit!: () => void;
      const mayCommit = new Promise<void>((resolve) => (letCommit = resolve));
      let written!: () => void;
      const wasWritten = new Promise<void>((resolve) => (written = resolve));
      const open = db.withTransaction(async (tx) => {
        await tx.run('INSERT INTO items (id, n) VALUES (?, ?)', ['工单-read-open', 2]);
        await tx.run('UPDATE items SET n = ? WHERE id = ?', [3, '工单-read-before']);
        written();
        await mayCommit;
      });
      await wasWritten;
      expect(await db.get('SELECT n FROM items WHERE id = ?', ['工单-read-open'])).toBeUndefined();
      expect(await db.all('SELECT n FROM items WHERE id = ?', ['工单-read-before'])).toEqual([{ n: 1 }]);
      expect(await db.allArrays('SELECT n FROM items WHERE id = ?', ['工单-read-before'])).toEqual([[1]]);
      letCommit();
      await open;
      expect(await db.get('SELECT n FROM items WHERE id = ?', ['工单-read-open'])).toEqual({ n: 2 });
      expect(await db.get('SELECT n FROM items WHERE id = ?', ['工单-read-before'])).toEqual({ n: 3 });
      if (db.dialect === 'sqlite') {
        await expect(db.get("INSERT INTO items (id, n) VALUES ('工单-read-write', 4) RETURNING id")).rejects.toThrow();
        expect(await db.get('SELECT n FROM items WHERE id = ?', ['工单-read-write'])).toBeUndefined();
      }
    });

    it('concurrent read-modify-write transactions never lose an update', async () => {
      const increments = 20;
      await Promise.all(
        Array.from({ length: increments }, () =>
          db.withTransaction(async (tx) => {
            const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
            const row = await tx.get<{ value: number }>(`SELECT value FROM counters WHERE id = 1${lock}`);
            await new Promise((resolve) => setImmediate(resolve));
            await tx.run('UPDATE counters SET value = ? WHERE id = 1', [row!.value + 1]);
          }),
        ),
      );
      expect(await db.get('SELECT value FROM counters WHERE id = 1')).toEqual({ value: increments });
    });
  });
}

describe('IN lists', () => {
  it('pads to three lengths (so a statement cache holds three texts), repeating the first value, and refuses none or too many', () => {
    const lengths = new Set<number>();
    for (let n = 1; n <= IN_LIST_MAX; n++) {
      const values = Array.from({ length: n }, (_, i) => `GD${String(i)}`);
      const list = inList(values);
      expect(list.params.slice(0, n)).toEqual(values);
      expect(new Set(list.params)).toEqual(new Set(values));
      expect(list.sql).toBe(`(${list.params.map(() => '?').join(', ')})`);
      lengths.add(list.params.length);
    }
    expect([...lengths]).toEqual([8, 64, IN_LIST_MAX]);
    expect(() => inList([])).toThrow(RangeError);
    expect(() => inList(Array.from({ length: IN_LIST_MAX + 1 }, (_, i) => i))).toThrow(RangeError);
  });
});

describe('PostgreSQL specifics', () => {
  let test: TestDatabase;
  let db: PostgresDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
    db = openPostgresDatabase({ connectionString: test.url, maxConnections: 4 });
    await db.run('CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance BIGINT NOT NULL)');
    await db.run('INSERT INTO accounts (id, balance) VALUES (1, 0)');
  });
  afterAll(async () => {
    await db.close();
    await test.drop();
  });

  it('numbers placeholders once per text and leaves quoted ones alone', () => {
    expect(numberPlaceholders(`SELECT * FROM t WHERE a = ? AND b = '?' AND "c?" = ?`).text).toBe(`SELECT * FROM t WHERE a = $1 AND b = '?' AND "c?" = $2`);
    expect(numberPlaceholders('SELECT 1 WHERE 1 = ?').name).toBe(numberPlaceholders('SELECT 1 WHERE 1 = ?').name);
  });

  it('runs a serializable transaction again after a serialization failure, so no increment is lost', async () => {
    let attempts = 0;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        db.withTransaction(
          async (tx) => {
            attempts++;
            const row = await tx.get<{ balance: number }>('SELECT balance FROM accounts WHERE id = 1');
            await new Promise((resolve) => setTimeout(resolve, 5));
            await tx.run('UPDATE accounts SET balance = ? WHERE id = 1', [row!.balance + 1]);
          },
          { isolation: 'serializable', retries: 20 },
        ),
      ),
    );
    expect(await db.get('SELECT balance FROM accounts WHERE id = 1')).toEqual({ balance: 6 });
    // The collisions were real: some attempts had to run again.
    expect(attempts).toBeGreaterThan(6);
  });
});
