/**
 * The change feed on a real PostgreSQL database: a commit on one connection is heard on
 * another, a rolled-back announcement never is, and a listener whose backend is killed
 * reconnects and still reports what was committed while it was away.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPostgresDatabase, type PostgresDatabase } from '../db/postgres.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { announce, startChangeFeed, type ChangeFeed } from './changeFeed.js';

const EVENTUALLY = { timeout: 20_000, interval: 20 };
// So long that within a test only the poll after each (re)connection happens: what is heard is NOTIFY's doing.
const NO_PERIODIC_POLL_MS = 10 * 60_000;

let database: TestDatabase;
let writer: PostgresDatabase;
let reader: PostgresDatabase;
const feeds: ChangeFeed[] = [];

async function readMaxSeq(): Promise<number> {
  const row = await reader.get<{ seq: number | null }>('SELECT max(seq) AS seq FROM change_log');
  return row?.seq ?? 0;
}

/** One writer transaction: a change-log row and its announcement, committed together. */
async function commitChange(options: { announce: boolean } = { announce: true }): Promise<number> {
  return writer.withTransaction(async (tx) => {
    const row = await tx.get<{ seq: number }>('INSERT INTO change_log (body) VALUES (?) RETURNING seq', ['变更 GD20231001001']);
    if (options.announce) await announce(tx, row!.seq);
    return row!.seq;
  });
}

function listen(options: { readMaxSeq?: () => Promise<number>; fromSeq?: number; pollMs?: number } = {}) {
  const reports: number[] = [];
  const logs: string[] = [];
  const feed = startChangeFeed({
    databaseUrl: database.url,
    onSeq: (seq) => reports.push(seq),
    pollMs: options.pollMs ?? NO_PERIODIC_POLL_MS,
    readMaxSeq: options.readMaxSeq ?? readMaxSeq,
    fromSeq: options.fromSeq,
    reconnectMs: 20,
    log: (line) => logs.push(line),
  });
  feeds.push(feed);
  return { feed, reports, logs };
}

beforeAll(async () => {
  database = await createTestDatabase();
  writer = openPostgresDatabase({ connectionString: database.url, maxConnections: 2 });
  reader = openPostgresDatabase({ connectionString: database.url, maxConnections: 2 });
  await writer.run('CREATE TABLE change_log (seq BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)');
});

afterEach(async () => {
  await Promise.all(feeds.splice(0).map((feed) => feed.stop()));
});

afterAll(async () => {
  await writer?.close();
  await reader?.close();
  await database?.drop();
});

describe('change feed', () => {
  it('hears a commit made on another connection, and coalesces a burst into increasing reports', async () => {
    const start = await readMaxSeq();
    const { feed, reports } = listen({ fromSeq: start });
    await vi.waitFor(() => expect(feed.listening()).toBe(true), EVENTUALLY);
    const seq = await commitChange();
    await vi.waitFor(() => expect(feed.lastSeq()).toBe(seq), EVENTUALLY);

    const burst = await Promise.all([commitChange(), commitChange(), commitChange(), commitChange()]);
    const highest = Math.max(...burst);
    await vi.waitFor(() => expect(feed.lastSeq()).toBe(highest), EVENTUALLY);
    expect(reports.at(-1)).toBe(highest);
    for (let i = 1; i < reports.length; i++) expect(reports[i]).toBeGreaterThan(reports[i - 1]!);
    expect(reports.every((reported) => reported > start)).toBe(true);
  });

  it('never hears an announcement whose transaction rolled back', async () => {
    const { feed, reports } = listen({ fromSeq: await readMaxSeq() });
    await vi.waitFor(() => expect(feed.listening()).toBe(true), EVENTUALLY);
    const phantom = 9_000_000;
    await expect(
      writer.withTransaction(async (tx) => {
        await announce(tx, phantom);
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    // Notifications arrive in commit order: once this later commit is heard, the phantom would have been too.
    const seq = await commitChange();
    await vi.waitFor(() => expect(feed.lastSeq()).toBe(seq), EVENTUALLY);
    expect(reports).not.toContain(phantom);
    expect(Math.max(...reports)).toBe(seq);
  });

  it('reconnects after its backend is terminated and reports what was committed meanwhile', async () => {
    let reads = 0;
    let gate: Promise<void> = Promise.resolve();
    const { feed, logs } = listen({
      fromSeq: await readMaxSeq(),
      readMaxSeq: async () => {
        reads++;
        await gate;
        return readMaxSeq();
      },
    });
    await vi.waitFor(() => expect(feed.listening()).toBe(true), EVENTUALLY);
    await vi.waitFor(() => expect(reads).toBe(1), EVENTUALLY);

    // Hold the poll after the reconnection until the commit below is made, so the test
    // does not depend on who wins the race between the reconnection and the commit.
    let openGate = () => {};
    gate = new Promise((resolve) => (openGate = resolve));
    const listener = await reader.get<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'omnidesk-change-feed' AND datname = current_database()",
    );
    expect(listener).toBeDefined();
    await reader.run('SELECT pg_terminate_backend(?)', [listener!.pid]);
    await vi.waitFor(() => expect(logs.some((line) => line.includes('connection lost'))).toBe(true), EVENTUALLY);

    // Committed while the listener is away, with its notification lost on the way: only the poll can find it.
    const missed = await commitChange({ announce: false });
    openGate();
    await vi.waitFor(() => expect(feed.lastSeq()).toBe(missed), EVENTUALLY);
    expect(feed.listening()).toBe(true);
    expect(reads).toBe(2);

    // And notifications flow again on the new connection.
    const next = await commitChange();
    await vi.waitFor(() => expect(feed.lastSeq()).toBe(next), EVENTUALLY);
  });

  it('polls every pollMs as a safety net', async () => {
    const { feed } = listen({ fromSeq: await readMaxSeq(), pollMs: 30 });
    await vi.waitFor(() => expect(feed.listening()).toBe(true), EVENTUALLY);
    const silent = await commitChange({ announce: false });
    await vi.waitFor(() => expect(feed.lastSeq()).toBe(silent), EVENTUALLY);
  });
});

describe('stop', () => {
  it('waits for the read of the highest seq in flight, so its owner may close the pool after it; a second stop is the same stop', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const { feed, logs } = listen({
      readMaxSeq: async () => {
        reads += 1;
        await gate;
        return readMaxSeq();
      },
    });
    // The poll after the connection is held at the gate.
    await vi.waitFor(() => expect(reads).toBe(1), EVENTUALLY);
    let stopped = false;
    const stopping = feed.stop();
    expect(feed.stop()).toBe(stopping);
    void stopping.then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(reads).toBe(1);
    expect(logs.filter((line) => line.includes('failed'))).toEqual([]);
  });
});
