import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import { openServerStore, type ChannelContact, type ServerStore } from './store.js';
import { TEST_EPOCH, makeTempDir } from './testHarness.js';

let dir: string;
let store: ServerStore;
let lead: User;

beforeEach(async () => {
  dir = makeTempDir('server-store-');
  store = openServerStore({ filePath: path.join(dir, 'data', 'server.sqlite') });
  lead = await store.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] });
  await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A chat contact whose phone the channel proved (as a call's caller number would be). */
const contact = (text: string, phone = '13800138000'): ChannelContact => ({ channel: 'chat', customer: { name: '张伟', phone }, text, proven: ['phone'] });

// What the store does on either backend is in store.contract.test.ts; this file keeps what is SQLite's own and the transaction hooks.
describe('server store on its SQLite file', () => {
  it('opens the file with WAL and durable settings, and reopens it with the data intact', async () => {
    await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    await store.close();
    expect(fs.existsSync(path.join(dir, 'data', 'server.sqlite'))).toBe(true);
    store = openServerStore({ filePath: path.join(dir, 'data', 'server.sqlite') });
    expect(await store.getTicket('GD20241108001')).toMatchObject({ subject: '你好' });
    expect((await store.changeLogBounds()).maxSeq).toBe(1);
  });
});

describe('transaction hooks', () => {
  /** Opens a store whose log is kept, to see hook failures reported. */
  async function storeWithLog(): Promise<{ store: ServerStore; lines: string[] }> {
    const lines: string[] = [];
    await store.close();
    store = openServerStore({ filePath: path.join(dir, 'data', 'server.sqlite'), log: (line) => lines.push(line) });
    return { store, lines };
  }

  /** What another connection sees committed right now (hooks are synchronous functions; the store answers with promises). */
  const storedNow = () => {
    const peek = new Database(store.filePath!, { readonly: true });
    try {
      return peek.prepare("SELECT 1 FROM tickets WHERE id = 'GD20241108001'").get() ? 1 : 0;
    } finally {
      peek.close();
    }
  };

  it('runs after-commit hooks once the outermost transaction has committed, after the change listeners', async () => {
    const events: string[] = [];
    store.onDidCommitChanges(() => events.push('listener'));
    await store.withTransaction(async (tx) => {
      tx.afterCommit(() => events.push(`commit: ${String(storedNow())} stored`));
      tx.afterRollback(() => events.push('rollback'));
      await store.withTransaction(async (inner) => {
        inner.afterCommit(() => events.push('inner commit'));
        await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
      });
      events.push('outer still open');
    });
    expect(events).toEqual(['outer still open', 'listener', 'commit: 1 stored', 'inner commit']);
  });

  it('runs after-rollback hooks newest first when the outermost transaction rolls back, and no after-commit hook', async () => {
    const events: string[] = [];
    await expect(
      store.withTransaction(async (tx) => {
        tx.afterCommit(() => events.push('commit'));
        tx.afterRollback(() => events.push('outer rollback'));
        await store.withTransaction((inner) => {
          inner.afterRollback(() => events.push(`inner rollback: ${String(storedNow())} stored`));
          return Promise.resolve();
        });
        await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
        throw new Error('the batch fails');
      }),
    ).rejects.toThrow('the batch fails');
    expect(events).toEqual(['inner rollback: 0 stored', 'outer rollback']);
  });

  it('treats the hooks of a savepoint that rolled back as rolled back at once, while the outer transaction commits', async () => {
    const events: string[] = [];
    await store.withTransaction(async (tx) => {
      tx.afterCommit(() => events.push('outer commit'));
      try {
        await store.withTransaction(async (savepoint) => {
          savepoint.afterCommit(() => events.push('savepoint commit'));
          savepoint.afterRollback(() => events.push(`savepoint rollback: ${String(storedNow())} stored`));
          await store.ingestInbound(contact('会被撤回'), { now: TEST_EPOCH });
          throw new Error('this contact fails');
        });
      } catch {
        events.push('outer goes on');
      }
      await store.ingestInbound(contact('保留', '13800000002'), { now: TEST_EPOCH });
    });
    expect(events).toEqual(['savepoint rollback: 0 stored', 'outer goes on', 'outer commit']);
    expect((await store.listTickets(lead, { limit: 50 })).tickets.map((t) => t.subject)).toEqual(['保留']);
  });

  it('treats the hooks of a savepoint that committed as rolled back when the outer transaction rolls back', async () => {
    const events: string[] = [];
    await expect(
      store.withTransaction(async () => {
        await store.withTransaction((savepoint) => {
          savepoint.afterCommit(() => events.push('savepoint commit'));
          savepoint.afterRollback(() => events.push('savepoint rollback'));
          return Promise.resolve();
        });
        throw new Error('the outer fails later');
      }),
    ).rejects.toThrow();
    expect(events).toEqual(['savepoint rollback']);
  });

  it('logs a failing hook and still runs the others; a hook cannot be added once the transaction has ended', async () => {
    const { lines } = await storeWithLog();
    const events: string[] = [];
    let kept: { afterCommit(fn: () => void): void } | null = null;
    await store.withTransaction((tx) => {
      kept = tx;
      tx.afterCommit(() => {
        throw new Error('a broken hook');
      });
      tx.afterCommit(() => events.push('second hook'));
      return Promise.resolve();
    });
    expect(events).toEqual(['second hook']);
    expect(lines.some((line) => line.includes('after-commit hook failed') && line.includes('a broken hook'))).toBe(true);
    expect(() => kept!.afterCommit(() => {})).toThrow('already ended');
  });

  it('announces a transaction committed from a listener after the one that caused it (commit order)', async () => {
    const events: string[] = [];
    let reacted = false;
    // Starts resolved, not null: TypeScript cannot see the listener assign it and would narrow `await reaction` to `await null`.
    let reaction: Promise<void> = Promise.resolve();
    store.onDidCommitChanges((batch) => {
      events.push(`listener: seq ${batch.map((c) => c.change.seq).join(',')}`);
      if (reacted) return;
      reacted = true;
      reaction = store.withTransaction(async (tx) => {
        tx.afterCommit(() => events.push('reaction committed'));
        await store.ingestInbound(contact('二', '13800000002'), { now: TEST_EPOCH });
      });
      events.push('listener done');
    });
    await store.withTransaction(async (tx) => {
      tx.afterCommit(() => events.push('first committed'));
      await store.ingestInbound(contact('一'), { now: TEST_EPOCH });
    });
    await reaction;
    expect(events).toEqual(['listener: seq 1', 'listener done', 'first committed', 'listener: seq 2', 'reaction committed']);
  });

  it('joins calls made inside an open transaction; calls from outside see committed data only and write after it', async () => {
    const order: string[] = [];
    let insideWrote!: () => void;
    const wrote = new Promise<void>((resolve) => (insideWrote = resolve));
    // Registered out here, so these run in the caller's context, not the transaction's.
    const outsideRead = wrote.then(async () => order.push(`outside read: ${(await store.getTicket('GD20241108001')) ? 'found' : 'none'}`));
    const outsideWrite = wrote.then(async () => {
      await store.ingestInbound(contact('二', '13800000002'), { now: TEST_EPOCH });
      order.push('outside wrote');
    });
    await store.withTransaction(async () => {
      await store.ingestInbound(contact('一'), { now: TEST_EPOCH });
      order.push(`inside wrote, inside reads: ${(await store.getTicket('GD20241108001')) ? 'found' : 'none'}`);
      insideWrote();
      await outsideRead;
      order.push('inside done');
    });
    await outsideWrite;
    expect(order).toEqual(['inside wrote, inside reads: found', 'outside read: none', 'inside done', 'outside wrote']);
    expect((await store.getTicket('GD20241108002'))?.subject).toBe('二');
  });
});
