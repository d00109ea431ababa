/**
 * The routing turn on PostgreSQL: a transaction takes the database's advisory lock, then this
 * process's turn. When PostgreSQL asks for a transaction to be run again (a deadlock it broke, a
 * serialization failure), the retried attempt must not keep this process's turn while it waits
 * for the database's lock again: another transaction of this process that got the database's
 * lock meanwhile waits for the process's turn, and the two would wait for each other for ever
 * (PostgreSQL cannot see half of that wait). Real PostgreSQL, one store.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgresServerStore, type ServerStore } from './store.js';
import { createTestDatabase, type TestDatabase } from './testing/postgres.js';

let database: TestDatabase;
let store: ServerStore;

beforeAll(async () => {
  database = await createTestDatabase('omnidesk_turn');
  store = await openPostgresServerStore({ databaseUrl: database.url, log: () => undefined });
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** Transactions of this database waiting for an advisory lock. */
async function waitingForTheTurn(): Promise<number> {
  const row = await store.sql.get<{ n: number | string }>(
    "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
  );
  return Number(row?.n ?? 0);
}

describe('the routing turn when PostgreSQL retries a transaction', () => {
  it('lets another transaction of this process through while the retried one waits, and both end', async () => {
    const order: string[] = [];
    // Started from outside the first transaction (a then() made here runs in this context), so it is a transaction of its own.
    let startOther: () => void = () => undefined;
    const other = new Promise<void>((resolve) => (startOther = resolve)).then(() =>
      store.withTransaction(async () => {
        await store.lockRoutingTurn();
        order.push('other');
      }),
    );
    let attempts = 0;
    const retried = store.withTransaction(async () => {
      attempts += 1;
      await store.lockRoutingTurn();
      if (attempts === 1) {
        // A second transaction of this process queues for the database's lock behind this one…
        startOther();
        await vi.waitFor(async () => expect(await waitingForTheTurn()).toBe(1), { timeout: 10_000 });
        // …then PostgreSQL breaks a deadlock elsewhere by failing this one: it rolls back (the
        // database's lock goes to the other) and runs again.
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }
      order.push('retried');
    });
    const ended = Promise.all([retried, other]);
    const outcome = await Promise.race([ended.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('stuck'), 10_000))]);
    expect(outcome).toBe('ended');
    expect(attempts).toBe(2);
    expect(order).toEqual(['other', 'retried']);
  });
});

describe('the hooks of a transaction PostgreSQL runs again', () => {
  it('take the retried attempt’s hooks: the failed attempt’s rollback hooks, then the retried one’s commit hooks', async () => {
    // Before the fix the first attempt's rollback marked the whole transaction ended, so the retried
    // attempt's first hook threw "the transaction has already ended": a routing decision that
    // PostgreSQL asked to run again failed instead, and the engine forgot it (a waiting ticket).
    const heard: string[] = [];
    let attempts = 0;
    const result = await store.withTransaction(async (tx) => {
      attempts += 1;
      const attempt = attempts;
      await store.lockRoutingTurn();
      tx.afterCommit(() => heard.push(`commit ${String(attempt)}`));
      tx.afterRollback(() => heard.push(`rollback ${String(attempt)}`));
      if (attempt === 1) throw Object.assign(new Error('could not serialize access due to concurrent update'), { code: '40001' });
      return 'decided';
    });
    expect(result).toBe('decided');
    expect(attempts).toBe(2);
    expect(heard).toEqual(['rollback 1', 'commit 2']);
  });
});
