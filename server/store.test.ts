import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../shared/domain.js';
import { openServerStore, type ChannelContact, type CommittedChange, type ServerStore } from './store.js';
import { TEST_EPOCH, makeTempDir } from './testHarness.js';

let dir: string;
let store: ServerStore;
let lead: User;
let agent: User;

beforeEach(async () => {
  dir = makeTempDir('server-store-');
  store = openServerStore({ filePath: path.join(dir, 'data', 'server.sqlite') });
  lead = await store.createUser({ id: 'lead1', username: 'lead1', password: 'pw', displayName: '李主管', role: 'lead', channels: [] });
  agent = await store.createUser({ id: 'agent1', username: 'agent1', password: 'pw', displayName: '王芳', role: 'agent', channels: ['chat'] });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A chat contact whose phone the channel proved (as a call's caller number would be). */
const contact = (text: string, phone = '13800138000'): ChannelContact => ({ channel: 'chat', customer: { name: '张伟', phone }, text, proven: ['phone'] });

describe('server store', () => {
  it('opens the file with WAL and durable settings, and reopens it with the data intact', async () => {
    await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    await store.close();
    expect(fs.existsSync(path.join(dir, 'data', 'server.sqlite'))).toBe(true);
    store = openServerStore({ filePath: path.join(dir, 'data', 'server.sqlite') });
    expect(await store.getTicket('GD20241108001')).toMatchObject({ subject: '你好' });
    expect((await store.changeLogBounds()).maxSeq).toBe(1);
  });

  it('numbers tickets and customers per Beijing day', async () => {
    const first = await store.ingestInbound(contact('第一单', '13800000001'), { now: TEST_EPOCH });
    const second = await store.ingestInbound(contact('第二单', '13800000002'), { now: TEST_EPOCH + 1 });
    // 2024-11-09 00:00 in Beijing is 16:00 UTC on the 8th.
    const nextDay = await store.ingestInbound(contact('第二天', '13800000003'), { now: Date.UTC(2024, 10, 8, 16, 0, 0) });
    expect([first.ticketId, second.ticketId, nextDay.ticketId]).toEqual(['GD20241108001', 'GD20241108002', 'GD20241109001']);
    expect(nextDay.ticket.customerId).toBe('CUS20241109001');
  });

  it('notifies listeners once per outermost commit and nothing for a rolled-back transaction', async () => {
    const batches: CommittedChange[][] = [];
    store.onDidCommitChanges((batch) => batches.push(batch));
    await store.withTransaction(async () => {
      await store.ingestInbound(contact('一', '13800000001'), { now: TEST_EPOCH });
      await store.ingestInbound(contact('二', '13800000002'), { now: TEST_EPOCH });
    });
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((c) => c.change.seq)).toEqual([1, 2]);
    expect(batches[0]![0]!.audience).toEqual(['queue:chat']);

    await expect(
      store.withTransaction(async () => {
        await store.ingestInbound(contact('三', '13800000003'), { now: TEST_EPOCH });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(batches).toHaveLength(1);
    expect((await store.changeLogBounds()).maxSeq).toBe(2);
    expect((await store.listTickets(lead, { limit: 10 })).tickets).toHaveLength(2);
  });

  it('gives the audience before and after an assignment, as a bundle', async () => {
    const { ticketId } = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    const batches: CommittedChange[][] = [];
    store.onDidCommitChanges((batch) => batches.push(batch));
    await store.assignTicket({
      ticketId,
      assignee: { id: 'agent1', username: 'agent1', displayName: '王芳' },
      reason: { code: 'assigned_by_lead', byName: '李主管' },
      now: TEST_EPOCH + 1,
    });
    const [assigned] = batches[0]!;
    expect(assigned!.audience.sort()).toEqual(['agent:agent1', 'queue:chat']);
    expect(assigned!.change.kind).toBe('bundle');
    expect(await store.getTicket(ticketId)).toMatchObject({
      status: 'in_progress',
      assigneeId: 'agent1',
      assignmentReason: { code: 'assigned_by_lead', byName: '李主管' },
    });
    expect(await store.pullChanges(agent, 0)).toMatchObject({ mustRefetch: false, upTo: 2 });
  });

  it('applies status changes: same status is a no-op, completed sets and reopening clears completedAt', async () => {
    const { ticketId } = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    const status = async (mutationId: string, to: 'in_progress' | 'completed', now: number) =>
      await store.applyMutation(agent, 'client-1', { mutationId, kind: 'setStatus', ticketId, status: to, createdAt: now }, now);
    expect(await status('s1', 'in_progress', TEST_EPOCH + 10)).toMatchObject({ ok: true, seq: 2 });
    expect(await store.getTicket(ticketId)).toMatchObject({
      assigneeId: 'agent1',
      assignmentReason: { code: 'taken_from_queue', channel: 'chat', byName: '王芳' },
    });
    expect(await status('s2', 'in_progress', TEST_EPOCH + 20)).toEqual({ mutationId: 's2', ok: true, seq: 2 });
    expect(await status('s3', 'completed', TEST_EPOCH + 30)).toMatchObject({ ok: true, seq: 3 });
    expect((await store.getTicket(ticketId))!.completedAt).toBe(TEST_EPOCH + 30);
    expect(await status('s4', 'in_progress', TEST_EPOCH + 40)).toMatchObject({ ok: true, seq: 4 });
    expect((await store.getTicket(ticketId))!.completedAt).toBeNull();
  });

  it('refuses a message id that another message already uses', async () => {
    const { ticketId, messageId } = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    const result = await store.applyMutation(
      lead,
      'c',
      { mutationId: 'r1', kind: 'reply', ticketId, messageId, text: '您好', createdAt: TEST_EPOCH },
      TEST_EPOCH,
    );
    expect(result).toMatchObject({ ok: false, code: 'invalid' });
  });

  it('looks tokens up by hash and reports expiry', async () => {
    const issued = await store.issueUserToken('agent1', TEST_EPOCH, 1000);
    expect(await store.lookupToken(issued.token, TEST_EPOCH + 999)).toMatchObject({ status: 'valid', kind: 'user', user: { id: 'agent1' } });
    expect(await store.lookupToken(issued.token, TEST_EPOCH + 1000)).toEqual({ status: 'expired', expiredAt: TEST_EPOCH + 1000 });
    expect(await store.lookupToken('nope', TEST_EPOCH)).toEqual({ status: 'unknown' });
    await store.createIntegrationToken('微信公众号', 'wx-token');
    expect(await store.lookupToken('wx-token', TEST_EPOCH)).toMatchObject({ status: 'valid', kind: 'integration', name: '微信公众号' });
  });

  it('fills a missing identifier on a matched customer and logs a customer change for its tickets', async () => {
    const first = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    await store.ingestInbound(
      { channel: 'email', customer: { phone: '+86 13800138000', email: 'ZW@Example.cn' }, text: '邮件', proven: ['phone', 'email'] },
      { now: TEST_EPOCH + 1 },
    );
    expect(await store.getCustomer(first.ticket.customerId)).toMatchObject({ phone: '+8613800138000', email: 'zw@example.cn' });
    const pulled = await store.pullChanges(lead, 1);
    expect(!pulled.mustRefetch && pulled.changes.map((c) => c.kind)).toEqual(['customer', 'bundle']);
  });

  it('never matches a customer by a claimed identity: the claim is kept, fills an empty field, and is offered as a possible match', async () => {
    const proven = await store.ingestInbound(contact('你好'), { now: TEST_EPOCH });
    const claimed = await store.ingestInbound(
      {
        channel: 'chat',
        customer: { name: '自称张伟', phone: '138 0013 8000', socialId: 'webchat:demo:visitor-claims-01' },
        text: '我是张伟',
        proven: ['socialId'],
        source: 'webchat:demo',
      },
      { now: TEST_EPOCH + 1 },
    );
    expect(claimed.ticketId).not.toBe(proven.ticketId);
    expect(claimed.ticket.customerId).not.toBe(proven.ticket.customerId);
    // Where to answer, shown unverified: the phone is the claimant's primary field, not an identity of theirs.
    expect(await store.getCustomer(claimed.ticket.customerId)).toMatchObject({
      phone: '+8613800138000',
      identities: [{ kind: 'social', value: 'webchat:demo:visitor-claims-01' }],
    });
    expect((await store.findCustomerByPhone('13800138000'))?.id).toBe(proven.ticket.customerId);
    expect(
      (await store.listCustomerMatches(lead, claimed.ticket.customerId, 10))!.map((match) => [
        match.customer.id,
        match.shared,
        match.ticketCount,
        match.channels,
      ]),
    ).toEqual([[proven.ticket.customerId, [{ kind: 'phone', value: '+8613800138000', oursProven: false, theirsProven: true }], 1, ['chat']]]);
    // Both ways: the proven customer's agents see the claimant too.
    expect((await store.listCustomerMatches(lead, proven.ticket.customerId, 10))!.map((match) => match.customer.id)).toEqual([claimed.ticket.customerId]);
    // Unknown or merged-away customers have no answer.
    expect(await store.listCustomerMatches(lead, 'CUS20991231001', 10)).toBeNull();
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
