/**
 * The commit stream's stop on a real PostgreSQL store (issue 10): a node closes its pool right
 * after stopping the stream, so stop() must not resolve while the stream is still reading the
 * change log (it once did, and the read failed on the closed pool at every busy shutdown).
 * The read is held at a gate in front of the real store (fault injection); the stream is real.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openPostgresServerStore, type ServerStore } from '../store.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { startCommitStream } from './commitStream.js';

let database: TestDatabase;
let store: ServerStore;
let storeOpen = false;

beforeEach(async () => {
  database = await createTestDatabase('omnidesk_commitstream');
  store = await openPostgresServerStore({ databaseUrl: database.url, log: () => undefined, announceCommits: true });
  storeOpen = true;
});

afterEach(async () => {
  if (storeOpen) await store.close();
  await database.drop();
});

describe('the commit stream', () => {
  it('stops only once its read of the change log has ended, so the pool can close after it; a second stop is the same stop', async () => {
    const logs: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const stream = await startCommitStream({
      store: {
        changeLogBounds: () => store.changeLogBounds(),
        async committedChangesAfter(after, limit) {
          reads += 1;
          await gate;
          return store.committedChangesAfter(after, limit);
        },
      },
      databaseUrl: database.url,
      log: (line) => logs.push(line),
      pollMs: 50,
    });
    const heard: number[] = [];
    stream.onDidCommitChanges((batch) => heard.push(...batch.map((entry) => entry.change.seq)));

    await store.ingestInbound({ channel: 'chat', customer: { name: '张伟', phone: '13800138000' }, text: '我的快递到哪了？' }, { now: Date.now() });
    await vi.waitFor(() => expect(reads).toBe(1), { timeout: 10_000 });

    let stopped = false;
    const stopping = stream.stop();
    expect(stream.stop()).toBe(stopping);
    void stopping.then(() => (stopped = true));
    // The change feed's connection closes meanwhile; the read is still held, so stop() waits.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stopped).toBe(false);

    release();
    await stopping;
    await store.close();
    storeOpen = false;
    // Nothing read after the stop is handed out, and nothing was read on the closed pool.
    expect(heard).toEqual([]);
    expect(reads).toBe(1);
    expect(logs.filter((line) => /failed|pool/i.test(line))).toEqual([]);
  }, 30_000);
});
